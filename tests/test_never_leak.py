"""keylint never becomes the leak, never runs what it scans, never opens a connection.

Unique canary secrets are planted in every kind of file keylint reads; every output it can produce
(text with and without colour, json, sarif, github annotations, stderr, the baseline file and the
fact cache) may show at most the short redacted hint of each, never 8 characters in a row.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import random
import socket
import sqlite3
import stat
import string
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import assert_valid_sarif, scan_project
from keylint.cli import main

_rng = random.Random(20260523)
_ALPHABET = string.ascii_letters + string.digits


def _canary(tag: str) -> str:
    return tag + "".join(_rng.choice(_ALPHABET) for _ in range(36 - len(tag)))


CANARY = {kind: _canary(kind) for kind in ("Py", "Env", "Fall", "Yaml", "Toml", "Ini", "Prop", "Cfg", "Gh", "Jwt", "Jwk", "Bad")}
# letters only: a token the snippet's catch-all redaction of long letter-and-digit runs does not cover
CANARY["GhLetters"] = "GhLetters" + "".join(_rng.choice(string.ascii_letters) for _ in range(27))
_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = _PRIVATE.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
PEM_BODY = [line for line in PEM.splitlines() if "PRIVATE KEY" not in line]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# base64 of key bytes chosen to hold a "/": it looks like a path to a naive test, and must not be kept as one
B64_KEY = base64.b64encode(bytes(range(250, 256)) + CANARY["Fall"].encode()[::-1] + bytes([0xFF, 0xEF])).decode().replace("+", "/").rstrip("=")
JWT = ".".join((_b64(b'{"alg":"HS256","typ":"JWT"}'), _b64(json.dumps({"canary_claim": CANARY["Jwt"]}).encode()), _b64(CANARY["Jwt"].encode())))


def _tree(root: Path) -> Path:
    files = {
        "keylint.toml": "",
        "app/settings.py": f'import os\nimport jwt\n\nSECRET_KEY = "{CANARY["Py"]}"\nJWT_SECRET = os.getenv("JWT_SECRET", "{CANARY["Fall"]}")\n\n\n'
        'def mint(user):\n    return jwt.encode({"sub": user}, SECRET_KEY, algorithm="HS256")\n',
        "app/broken.py": f'SECRET_KEY = "{CANARY["Bad"]}" +\n',  # a syntax error right after a secret
        ".env": f"JWT_SECRET_KEY={CANARY['Env']}\n",
        "config.yaml": f"auth:\n  signing_key: {CANARY['Yaml']}\n",
        "settings.toml": f'[auth]\nsecret_key = "{CANARY["Toml"]}"\n',
        "app.ini": f"[jwt]\nsecret = {CANARY['Ini']}\n",
        "app.properties": f"jwt.secret={CANARY['Prop']}\n",
        "setup.cfg": f"[auth]\napi_secret = {CANARY['Cfg']}\n",
        "notes.txt": f"token ghp_{CANARY['Gh']}\nold session {JWT}\nbot gho_{CANARY['GhLetters']}\n",
        "keys/signing.pem": PEM,
        "keys/key.jwk": json.dumps({"kty": "oct", "k": _b64(CANARY["Jwk"].encode()), "d": CANARY["Jwk"]}),
        # the key-source words ("load_pem", ".pem") make every fact visitor read this module, each run
        "app/server_key.py": f'from cryptography.hazmat.primitives.serialization import load_pem_private_key\n\n'
        f'PRIVATE_KEY = """{PEM}"""\nSIGNING_KEY_B64 = "{B64_KEY}"\nKEY_PATH = "keys/signing.pem"\n'
        "signing_key = load_pem_private_key(PRIVATE_KEY.encode(), None)\n",
    }
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _secrets() -> list[str]:
    # a JWT's header ("eyJhbGci...") is common to every token; its claims and signature are the secret
    return [*CANARY.values(), *JWT.split(".")[1:], *PEM_BODY, B64_KEY]


def assert_no_secret(label: str, data: str | bytes) -> None:
    """Neither any secret nor any 8 characters in a row of one (the hint shows at most 4)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    for secret in _secrets():
        for i in range(len(secret) - 7):
            assert secret[i : i + 8] not in text, f"{label} shows {secret[i:i + 8]!r} of a planted secret"


def test_no_output_format_shows_a_planted_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path / "proj")
    cache = tmp_path / "cache"
    outputs: dict[str, str | bytes] = {}
    found_codes: set[str] = set()
    for fmt, extra in [("text", ["--color", "never"]), ("text", ["--color", "always"]), ("json", []), ("sarif", []), ("github", [])]:
        code = main(["scan", str(root), "--cache-dir", str(cache), "--format", fmt, *extra])
        out, err = capsys.readouterr()
        assert code == 1, err
        outputs[f"{fmt} {extra}"] = out
        outputs[f"stderr of {fmt}"] = err
        if fmt == "json":
            found_codes = {f["code"] for f in json.loads(out)["findings"]}
            found_paths = {f["path"] for f in json.loads(out)["findings"]}
        if fmt == "sarif":
            assert_valid_sarif(out)
    # keylint did read and flag every file (else the test would prove nothing)
    assert {"KL101", "KL102", "KL110", "KL111", "KL112", "KL113"} <= found_codes
    assert {"app/settings.py", ".env", "config.yaml", "settings.toml", "app.ini", "app.properties", "setup.cfg", "notes.txt", "keys/signing.pem", "keys/key.jwk", "app/server_key.py"} <= found_paths
    assert "app/broken.py" in outputs["stderr of text"]
    assert main(["baseline", str(root), "--cache-dir", str(cache), "--output", str(tmp_path / "baseline.json")]) == 0
    outputs["baseline"] = (tmp_path / "baseline.json").read_bytes()
    outputs["stdout+stderr of baseline"] = "".join(capsys.readouterr())
    for path in cache.rglob("*"):
        outputs[f"cache {path.name}"] = path.read_bytes()
    assert any(k.startswith("cache ") for k in outputs)
    for label, data in outputs.items():
        assert_no_secret(label, data)


class _Blocked(OSError):
    pass


def test_scan_needs_no_network_and_never_imports_or_runs_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "EXECUTED"
    payload = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    root = _tree(tmp_path / "proj")
    for rel in ("conftest.py", "setup.py", "app/__init__.py", "app/__main__.py", "sitecustomize.py", "usercustomize.py", "tests/conftest.py", "docs/conf.py", "noxfile.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"import os\n{payload}")
    (root / "evil.pth").write_text(f"import os; {payload}")
    (root / "app/plugin.pth").write_text(f"import os; {payload}")

    def refuse(*args: object, **kwargs: object) -> None:
        raise _Blocked("keylint tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)  # forked extraction workers inherit this
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    report = scan_project(root, jobs=2)
    assert {f.code for f in report.findings} >= {"KL101", "KL110", "KL111"}
    assert not marker.exists(), marker.read_text()


def _facts_rows(cache: Path) -> list[tuple[str, bytes]]:
    db = sqlite3.connect(cache / "facts-v1.sqlite")
    try:
        return db.execute("SELECT key, data FROM facts").fetchall()
    finally:
        db.close()


def _findings(report) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.span.line, f.code) for f in report.findings}


def test_cache_is_private_and_holds_no_secret(tmp_path: Path) -> None:
    root = _tree(tmp_path / "proj")
    cache = tmp_path / "cache"
    scan_project(root, cache_dir=cache)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    for path in cache.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        assert_no_secret(f"cache {path.name}", path.read_bytes())


def test_corrupted_truncated_or_crafted_cache_entries_are_ignored_and_rebuilt(tmp_path: Path) -> None:
    root = _tree(tmp_path / "proj")
    cache = tmp_path / "cache"
    expected = _findings(scan_project(root, cache_dir=cache))
    rows = _facts_rows(cache)
    assert rows

    marker = tmp_path / "UNPICKLED"

    class Exploit:  # what a planted cache entry would do if it were simply unpickled
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    db = sqlite3.connect(cache / "facts-v1.sqlite")
    with db:
        for i, (key, data) in enumerate(rows):
            bad = [data[: len(data) // 2], b"\x00garbage" + data[8:], pickle.dumps(Exploit()), pickle.dumps({"not": "facts"})][i % 4]
            db.execute("UPDATE facts SET data = ? WHERE key = ?", (bad, key))
    db.close()
    report = scan_project(root, cache_dir=cache)
    assert _findings(report) == expected
    assert report.stats.cached_files == 0  # nothing from the damaged entries was trusted
    assert not marker.exists()
    warm = scan_project(root, cache_dir=cache)
    assert _findings(warm) == expected and warm.stats.cached_files == warm.stats.files_scanned  # rebuilt

    (cache / "facts-v1.sqlite").write_bytes((cache / "facts-v1.sqlite").read_bytes()[:100])  # a truncated database
    assert _findings(scan_project(root, cache_dir=cache)) == expected
    warm = scan_project(root, cache_dir=cache)
    assert _findings(warm) == expected and warm.stats.cached_files == warm.stats.files_scanned


def test_a_cache_others_can_write_is_not_used(tmp_path: Path) -> None:
    root = _tree(tmp_path / "proj")
    cache = tmp_path / "cache"
    expected = _findings(scan_project(root, cache_dir=cache))
    (cache / "facts-v1.sqlite").chmod(0o666)
    report = scan_project(root, cache_dir=cache)
    assert _findings(report) == expected and report.stats.cached_files == 0
