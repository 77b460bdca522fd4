"""`keylint inventory --merge`: per-repository JSON inventories become one, a key in N repositories
one row listing them all; every input names its repository and is checked strictly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from keylint.cli import main
from keylint.inventory import repository_name

SHARED = "merge-test-shared-jwt-key-8d2f4b6a1c"


def _repo(root: Path, files: dict[str, str], origin: str | None = None) -> Path:
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    if origin is not None:
        subprocess.run(["git", "remote", "add", "origin", origin], cwd=root, check=True)
    return root


def _inventory(root: Path, out: Path, capsys, *extra: str) -> dict:
    assert main(["inventory", str(root), "--no-cache", "--format", "json", "--output", str(out), *extra]) == 0
    capsys.readouterr()
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    ("origin", "name"),
    [
        ("https://github.com/acme/shop.git", "github.com/acme/shop"),
        ("https://x-access-token:ghs_notarealtoken@github.com/acme/shop", "github.com/acme/shop"),  # credentials dropped
        ("git@github.com:acme/shop.git", "github.com/acme/shop"),
        ("ssh://git@gitlab.example.com:2222/platform/billing.git", "gitlab.example.com/platform/billing"),
        (None, "checkout"),
    ],
)
def test_repository_name_comes_from_origin_without_credentials(tmp_path: Path, origin: str | None, name: str) -> None:
    assert repository_name(_repo(tmp_path / "checkout", {}, origin)) == name


def test_one_key_in_two_repositories_is_one_row(tmp_path: Path, capsys, monkeypatch) -> None:
    shop = _repo(tmp_path / "shop", {".env.production": f"JWT_SECRET={SHARED}\n"}, "https://github.com/acme/shop.git")
    billing = _repo(tmp_path / "billing", {"tokens.py": f'import jwt\nKEY = "{SHARED}"\njwt.encode({{"exp": 1}}, KEY)\n', "app.env": "OTHER_SECRET=only-in-billing-3e8f1a6c2d9b\n"}, "git@github.com:acme/billing.git")
    docs = _repo(tmp_path / "docs", {"README.md": "no keys here\n"})
    monkeypatch.chdir(shop)
    first = _inventory(Path("."), tmp_path / "shop.json", capsys)
    assert first["schema_version"] == 2 and first["repositories"] == ["github.com/acme/shop"]
    assert first["keys"][0]["places"] == [{"repository": "github.com/acme/shop", "path": ".env.production", "line": 1, "code": "KL111"}]
    monkeypatch.chdir(billing)
    _inventory(Path("."), tmp_path / "billing.json", capsys)
    monkeypatch.chdir(docs)
    _inventory(Path("."), tmp_path / "docs.json", capsys, "--repository", "acme/docs")
    monkeypatch.chdir(tmp_path)
    inputs = ["shop.json", "billing.json", "docs.json"]
    assert main(["inventory", "--merge", *inputs]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("secret (configuration), signing key (code)  in 2 repositories")
    assert lines[1:3] == ["    github.com/acme/billing: tokens.py:2  KL101", "    github.com/acme/shop: .env.production:1  KL111"]
    assert lines[-1] == "2 keys in 3 places in 2 of 3 repositories"
    # known keys match on the merged set
    known = subprocess.run(["keylint", "fingerprint"], input=SHARED, capture_output=True, text=True, check=True).stdout
    (tmp_path / "known.txt").write_text(known.replace("stdin", "payments JWT key"))
    assert main(["inventory", "--merge", *inputs, "--known-keys", "known.txt", "--format", "json"]) == 1
    result = capsys.readouterr()
    merged = json.loads(result.out)
    assert merged["repositories"] == ["acme/docs", "github.com/acme/billing", "github.com/acme/shop"]
    top = merged["keys"][0]
    assert top["severity"] == "critical" and "payments JWT key" in top["known_as"]
    assert top["repositories"] == ["github.com/acme/billing", "github.com/acme/shop"]
    assert "found in 2 places in 2 repositories" in result.err and SHARED not in result.out + result.err
    # a label an input carried is kept when the merge has no known-keys file
    (tmp_path / "labelled.json").write_text(json.dumps(merged))
    assert main(["inventory", "--merge", "labelled.json"]) == 1
    assert capsys.readouterr().out.startswith("CRITICAL sha256:")


def _document(**row: object) -> dict:
    place = {"repository": "acme/shop", "path": "a.env", "line": 1, "code": "KL111"}
    key = {"fingerprint": "sha256:" + "a" * 64, "kinds": ["secret (configuration)"], "severity": None, "known_as": None, "repositories": ["acme/shop"], "places": [place]}
    key.update(row)
    return {"schema_version": 2, "repositories": ["acme/shop"], "keys": [key]}


@pytest.mark.parametrize(
    "document",
    [
        {"schema_version": 1, "keys": []},  # made before inventories named their repository
        {"schema_version": 2, "keys": []},  # no repositories
        _document(fingerprint="sha256:abc"),
        _document(kinds=[]),
        _document(places=[{"path": "a.env", "line": 1, "code": "KL111"}]),  # a place without its repository
        _document(places=[{"repository": "acme/shop", "path": "a.env", "line": "1", "code": "KL111"}]),
        _document(known_as=3),
        [],
    ],
)
def test_a_malformed_inventory_is_an_error_not_a_dropped_key(tmp_path: Path, capsys, document: object) -> None:
    (tmp_path / "bad.json").write_text(json.dumps(document))
    assert main(["inventory", "--merge", str(tmp_path / "bad.json")]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_merge_usage_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "ok.json").write_text(json.dumps(_document()))
    assert main(["inventory", "--merge", str(tmp_path / "ok.json")]) == 0
    assert main(["inventory", str(tmp_path), "--merge", str(tmp_path / "ok.json")]) == 2
    assert main(["inventory", "--merge", str(tmp_path / "missing.json")]) == 2
    assert main(["inventory", str(tmp_path), str(tmp_path), "--repository", "acme/x"]) == 2
    (tmp_path / "nojson.json").write_text("{not json")
    assert main(["inventory", "--merge", str(tmp_path / "nojson.json")]) == 2
    capsys.readouterr()


def test_keys_without_a_fingerprint_stay_rows_of_their_own(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_document(fingerprint=None)))
    (tmp_path / "b.json").write_text(json.dumps(_document(fingerprint=None, places=[{"repository": "acme/billing", "path": "a.env", "line": 1, "code": "KL111"}])))
    assert main(["inventory", "--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["keys"]) == 2
