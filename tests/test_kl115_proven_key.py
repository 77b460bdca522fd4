"""KL115: a token in the repository that verifies under a key keylint found there, with tokens made
by PyJWT here (HS256/384/512), checked offline; a token under another key proves nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest

from conftest import scan_project
from keylint.catalog import load_catalog
from keylint.report.json_format import render as render_json

KEY = "proof-test-signing-key-6c1e9a4f2b7d" * 2  # 70 bytes: long enough for HS512
FUTURE = 4102444800  # 2100-01-01
PAST = 1577836800  # 2020-01-01


def _module(key: str = KEY) -> str:
    return f'import jwt\n\nSIGNING_KEY = "{key}"\n\n\ndef mint(claims):\n    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")\n'


def _token(claims: dict, key: str = KEY, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _by_code(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_a_valid_token_proves_its_key_and_is_critical(project, alg: str) -> None:
    token = _token({"iss": "https://shop.example.com", "aud": "shop-api", "sub": "42", "exp": FUTURE}, alg=alg)
    root = project({"auth.py": _module(), "samples/request.http": f"GET /orders\nAuthorization: Bearer {token}\n"})
    report = scan_project(root)
    found = _by_code(report)
    assert sorted(found) == ["KL112", "KL115"]
    proven = found["KL115"][0]
    assert (proven.location.path, proven.location.span.line, proven.severity.value) == ("auth.py", 3, "critical")
    assert f"the {alg} token at samples/request.http:2" in proven.message
    assert "iss 'https://shop.example.com', aud 'shop-api', sub a numeric id, exp 2100-01-01, still valid" in proven.message
    assert "Replaces KL101 hardcoded-signing-key" in proven.message  # one finding per root cause
    assert ("samples/request.http", 2) in {(r.location.path, r.location.span.line) for r in proven.related}
    text = render_json(report, load_catalog())
    assert KEY not in text and token not in text and token.split(".")[2] not in text


def test_a_token_signed_with_another_key_proves_nothing(project) -> None:
    token = _token({"sub": "42", "exp": FUTURE}, key="a-key-that-is-not-in-this-repository-0")
    root = project({"auth.py": _module(), "tests/data.json": json.dumps({"token": token}) + "\n"})
    assert "KL115" not in _by_code(scan_project(root)) and "KL101" in _by_code(scan_project(root))


def test_an_expired_token_proves_the_key_but_is_not_critical(project) -> None:
    token = _token({"sub": "c0a8012e-7b3f-4d2a-9e61-5f8d2c4b7a10", "exp": PAST}, alg="HS512")
    root = project({"auth.py": _module(), "fixtures/session.json": json.dumps({"value": token}) + "\n"})
    proven = _by_code(scan_project(root))["KL115"][0]
    assert proven.severity.value == "high"
    assert "sub a UUID, exp 2020-01-01, expired" in proven.message


def test_a_token_without_expiry_is_valid_for_ever(project) -> None:
    token = _token({"sub": "ops@example.com"})
    root = project({"auth.py": _module(), "notes.txt": f"curl -H 'Authorization: Bearer {token}' https://api\n"})
    proven = _by_code(scan_project(root))["KL115"][0]
    assert proven.severity.value == "critical" and "sub an email address, no exp: valid for ever" in proven.message


def test_a_configuration_value_is_proven_and_replaced_everywhere_it_is(project) -> None:
    token = _token({"sub": "7", "exp": FUTURE}, key="config-held-jwt-secret-9b3e5d1a7c")
    root = project(
        {
            "deploy/app.env": "JWT_SECRET=config-held-jwt-secret-9b3e5d1a7c\n",
            "config.yaml": "jwt:\n  secret: config-held-jwt-secret-9b3e5d1a7c\n",
            "README.txt": f"token: {token}\n",
        }
    )
    found = {(f.location.path, f.location.span.line, f.code) for f in scan_project(root).findings}
    assert found == {("deploy/app.env", 1, "KL115"), ("config.yaml", 2, "KL115"), ("README.txt", 1, "KL112")}


def test_asymmetric_tokens_are_not_tried(project) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"sub": "1", "exp": FUTURE}, private, algorithm="RS256")
    root = project({"auth.py": _module(), "tests/token.txt": token + "\n"})
    assert "KL115" not in _by_code(scan_project(root))


def test_kl115_alone_still_reads_the_keys_and_tokens_it_needs(project) -> None:
    token = _token({"sub": "42", "exp": FUTURE})
    root = project({"auth.py": _module(), "docs/token.md": f"`{token}`\n"})
    report = scan_project(root, select=("KL115",))
    assert [(f.code, f.location.path) for f in report.findings] == [("KL115", "auth.py")]


def test_a_suppressed_proof_leaves_the_hard_coded_key(project) -> None:
    token = _token({"sub": "42", "exp": FUTURE})
    module = _module().replace("SIGNING_KEY = ", "# keylint: ignore[KL115] rotated in 2024, see the runbook\nSIGNING_KEY = ")
    root = project({"auth.py": module, "docs/token.md": f"`{token}`\n"})
    assert {(f.code, f.location.span.line) for f in scan_project(root).findings if f.location.path == "auth.py"} >= {("KL101", 4)}
    assert "KL115" not in _by_code(scan_project(root))


def test_the_proof_is_made_again_on_a_warm_scan(project, tmp_path: Path) -> None:
    token = _token({"sub": "42", "exp": FUTURE})
    root = project({"auth.py": _module(), "docs/token.md": f"`{token}`\n"})
    cold = scan_project(root, cache_dir=tmp_path / "cache")
    warm = scan_project(root, cache_dir=tmp_path / "cache")
    assert warm.stats.cached_files == warm.stats.files_scanned
    assert [(f.code, f.message, f.severity) for f in warm.findings] == [(f.code, f.message, f.severity) for f in cold.findings]
    assert any(f.code == "KL115" for f in warm.findings)
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file():
            data = entry.read_bytes()
            assert KEY.encode() not in data and token.encode() not in data


def test_a_token_that_is_not_a_token_does_not_break_the_scan(project) -> None:
    broken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.not-base64!!"
    header_only = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJ" * 5 + ".c2ln"
    root = project({"auth.py": _module(), "notes.txt": f"{broken}\n{header_only}\n"})
    assert "KL115" not in _by_code(scan_project(root))
    assert time.time() > PAST
