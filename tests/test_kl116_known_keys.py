"""KL116: `scan --known-keys` and `known-keys` in the configuration; a listed key is a SARIF result
(security-severity >= 9.0), visible in text, json and github output, exit code 1, and it replaces
the other findings of that key at that place."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from conftest import assert_valid_sarif
from keylint.cli import main

SECRET = "known-prod-signing-key-3f9a7c2e1b5d"
MODULE = f'import jwt\n\nSIGNING_KEY = "{SECRET}"\n\n\ndef token(claims):\n    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")\n'


def _known_keys(path: Path, monkeypatch, capsys, *secrets: str) -> Path:
    lines = []
    for i, secret in enumerate(secrets):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(secret.encode())))
        assert main(["fingerprint"]) == 0
        lines.append(capsys.readouterr().out.split()[0] + f"  production key {i}")
    path.write_text("# fingerprints only\n" + "\n".join(lines) + "\n")
    return path


def _scan(root: Path, capsys, *args: str) -> tuple[int, str]:
    code = main(["scan", str(root), "--no-cache", *args])
    return code, capsys.readouterr().out


def test_a_known_key_is_a_critical_sarif_result_that_replaces_kl101(project, tmp_path: Path, capsys, monkeypatch) -> None:
    root = project({"app/auth.py": MODULE})
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, SECRET)
    code, out = _scan(root, capsys, "--known-keys", str(known), "--format", "sarif")
    assert code == 1
    log = assert_valid_sarif(out)
    run = log["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [("KL116", 3)]
    assert float(results[0]["properties"]["security-severity"]) >= 9.0 and results[0]["level"] == "error"
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "KL116")
    assert float(rule["properties"]["security-severity"]) >= 9.0 and rule["name"] == "known-production-key"
    message = results[0]["message"]["text"]
    assert "'production key 0'" in message and "Replaces KL101 hardcoded-signing-key" in message
    assert SECRET not in out


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_the_match_shows_in_every_format(project, tmp_path: Path, capsys, monkeypatch, fmt: str) -> None:
    root = project({"app/auth.py": MODULE})
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, SECRET)
    code, out = _scan(root, capsys, "--known-keys", str(known), "--format", fmt)
    assert code == 1 and "KL116" in out and "production key 0" in out and SECRET not in out
    if fmt == "json":
        findings = json.loads(out)["findings"]
        assert [(f["code"], f["severity"]) for f in findings] == [("KL116", "critical")]
    if fmt == "github":
        assert out.startswith("::error file=app/auth.py,line=3,") and "title=KL116 known-production-key" in out


def test_known_keys_in_the_configuration_and_in_tests_stay_critical(project, tmp_path: Path, capsys, monkeypatch) -> None:
    root = project({"tests/conftest.py": MODULE, "deploy/.env": f"JWT_SECRET={SECRET}\nOTHER_SECRET=not-listed-9d3e1a7c5b2f\n"})
    (root / "security").mkdir()
    _known_keys(root / "security" / "known.txt", monkeypatch, capsys, SECRET)
    (root / "keylint.toml").write_text('known-keys = "security/known.txt"\n')
    code, out = _scan(root, capsys, "--format", "json")
    assert code == 1
    found = {(f["path"], f["line"], f["code"], f["severity"]) for f in json.loads(out)["findings"]}
    assert found == {
        ("tests/conftest.py", 3, "KL116", "critical"),  # a test path lowers other findings, not this one
        ("deploy/.env", 1, "KL116", "critical"),
        ("deploy/.env", 2, "KL111", "high"),
    }
    # --fail-on critical still fails; without the file the same tree has no KL116
    assert _scan(root, capsys, "--fail-on", "critical")[0] == 1
    (root / "keylint.toml").write_text("")
    assert "KL116" not in _scan(root, capsys, "--format", "json")[1]


def test_a_private_key_is_known_by_its_public_key(project, tmp_path: Path, capsys) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "public.pem").write_bytes(public)
    assert main(["fingerprint", str(tmp_path / "public.pem")]) == 0
    (tmp_path / "known.txt").write_text(capsys.readouterr().out)
    root = project({"deploy/jwt-signing.pem": pem.decode()})
    code, out = _scan(root, capsys, "--known-keys", str(tmp_path / "known.txt"), "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1 and [(f["code"], f["path"]) for f in findings] == [("KL116", "deploy/jwt-signing.pem")]
    assert "KL110 private-key-material" in findings[0]["message"]


def test_an_unlisted_key_keeps_its_finding_and_a_bad_file_is_an_error(project, tmp_path: Path, capsys, monkeypatch) -> None:
    root = project({"app/auth.py": MODULE})
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, "some-other-production-key-000000")
    code, out = _scan(root, capsys, "--known-keys", str(known), "--format", "json")
    assert code == 1 and [f["code"] for f in json.loads(out)["findings"]] == ["KL101"]
    known.write_text("sha256:abc production\n")
    assert _scan(root, capsys, "--known-keys", str(known))[0] == 2
    assert _scan(root, capsys, "--known-keys", str(tmp_path / "missing.txt"))[0] == 2
    (root / "keylint.toml").write_text("known-keys = 3\n")
    assert _scan(root, capsys)[0] == 2


def test_selecting_kl116_alone_or_ignoring_it(project, tmp_path: Path, capsys, monkeypatch) -> None:
    root = project({"app/auth.py": MODULE})
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, SECRET)
    _, out = _scan(root, capsys, "--known-keys", str(known), "--select", "KL116", "--format", "json")
    assert [f["code"] for f in json.loads(out)["findings"]] == ["KL116"]
    _, out = _scan(root, capsys, "--known-keys", str(known), "--ignore", "KL116", "--format", "json")
    assert [f["code"] for f in json.loads(out)["findings"]] == ["KL101"]


def test_suppressing_another_code_does_not_hide_a_known_key(project, tmp_path: Path, capsys, monkeypatch) -> None:
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, SECRET)
    accepted = MODULE.replace("SIGNING_KEY = ", "# keylint: ignore[KL101] demo key\nSIGNING_KEY = ")
    root = project({"app/auth.py": accepted})
    _, out = _scan(root, capsys, "--known-keys", str(known), "--format", "json")
    assert [(f["code"], f["line"]) for f in json.loads(out)["findings"]] == [("KL116", 4)]
    (root / "app/auth.py").write_text(accepted.replace("ignore[KL101]", "ignore[KL116]"))
    _, out = _scan(root, capsys, "--known-keys", str(known), "--format", "json")
    assert [(f["code"], f["line"]) for f in json.loads(out)["findings"]] == [("KL101", 4)]


def test_history_matches_known_keys_too(tmp_path: Path, capsys, monkeypatch) -> None:
    from test_history import KEY, _history, _repo

    root, commits = _repo(tmp_path)
    known = _known_keys(tmp_path / "known.txt", monkeypatch, capsys, KEY)
    code, keys = _history(root, capsys, "--known-keys", str(known))
    assert code == 1
    listed = [(k["commit"], f["path"], f["code"], f["severity"]) for k in keys for f in k["findings"] if f["path"] == "app/auth.py"]
    assert listed == [(commits[1], "app/auth.py", "KL116", "critical")]  # instead of KL101, once
    assert "production key 0" in next(f["message"] for k in keys for f in k["findings"] if f["code"] == "KL116")
