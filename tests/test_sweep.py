"""Laptop sweep and key inventory: a made-up home folder, keys found once per key with every place,
skipped folders stay skipped, known production keys are critical, fingerprints never show a key."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from keylint.cli import main

SECRET = "laptop-sweep-shared-secret-0001"


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for folder in (".ssh", ".config/app", "code/shop/app", "code/shop/.venv/lib", "code/shop/node_modules/x", ".cache/pip", "Pictures", "envs/tool/lib"):
        (home / folder).mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", str(home / ".ssh/id_ed25519")], check=True)
    key = (home / ".ssh/id_ed25519").read_bytes()
    (home / "code/shop/deploy_key").write_bytes(key)
    for skipped in ("code/shop/node_modules/x/key", ".cache/pip/key", "code/shop/.venv/lib/key", "envs/tool/lib/key"):
        (home / skipped).write_bytes(key)
    (home / "envs/tool/pyvenv.cfg").write_text("home = /usr/bin\n")  # a virtualenv under any name
    (home / "code/shop/.venv/pyvenv.cfg").write_text("home = /usr/bin\n")  # known by this, not by its name
    (home / "Pictures/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + key)
    (home / "code/shop/.env").write_text(f"JWT_SECRET={SECRET}\n")
    (home / "code/shop/.gitignore").write_text(".env\n")  # ignored by git, still on the laptop
    (home / "code/shop/app/__init__.py").write_text("")
    (home / "code/shop/app/settings.py").write_text(f'SIGNING_KEY = "{SECRET}"\n')
    (home / "code/shop/app/auth.py").write_text("import jwt\n\nfrom app.settings import SIGNING_KEY\n\n\ndef token(c):\n    return jwt.encode(c, SIGNING_KEY)\n")
    (home / ".config/app/config.yaml").write_text(f"jwt_secret: {SECRET}\n")
    (home / ".bashrc").write_text(f"export JWT_SECRET={SECRET}\n")
    subprocess.run(["git", "init", "-q"], cwd=home / "code/shop", check=True)
    return home


def _fingerprint(data: bytes, monkeypatch, capsys) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["fingerprint"]) == 0
    return capsys.readouterr().out.split()[0]


def test_sweep_lists_each_key_once_with_every_place(tmp_path: Path, capsys, monkeypatch) -> None:
    home = _home(tmp_path)
    monkeypatch.chdir(home)
    assert main(["sweep", str(home), "--no-cache", "--format", "json"]) == 0
    result = capsys.readouterr()
    rows = {r["fingerprint"]: {(p["path"], p["line"], p["code"]) for p in r["places"]} for r in json.loads(result.out)["keys"]}
    secret = _fingerprint(SECRET.encode() + b"\n", monkeypatch, capsys)
    ssh_key = _fingerprint((home / ".ssh/id_ed25519.pub").read_bytes(), monkeypatch, capsys)
    assert rows == {
        secret: {(".bashrc", 1, "KL111"), (".config/app/config.yaml", 1, "KL111"), ("code/shop/.env", 1, "KL111"), ("code/shop/app/settings.py", 1, "KL101")},
        ssh_key: {(".ssh/id_ed25519", 1, "KL110"), ("code/shop/deploy_key", 1, "KL110")},
    }
    assert SECRET not in result.out + result.err and "\r" not in result.err  # no progress bar off a terminal


def test_known_keys_are_critical_and_inventory_joins_projects(tmp_path: Path, capsys, monkeypatch) -> None:
    home = _home(tmp_path)
    other = tmp_path / "other-repo"
    other.mkdir()
    (other / "keylint.toml").write_text("")
    (other / "config.py").write_text(f'import jwt\nKEY = "{SECRET}"\njwt.encode({{"exp": 1}}, KEY)\n')
    known = tmp_path / "production-keys.txt"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SECRET.encode())))
    assert main(["fingerprint", "-", str(home / ".ssh/id_ed25519.pub")]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out and out.count("sha256:") == 2
    known.write_text("# production signing keys\n" + out.replace("  stdin", "  prod JWT key"))
    monkeypatch.chdir(tmp_path)
    code = main(["inventory", str(home / "code/shop"), str(other), "--known-keys", str(known), "--no-cache"])
    result = capsys.readouterr()
    assert code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("CRITICAL sha256:") and "'secret (31 bytes)  prod JWT key'" in lines[0]
    # the same key in two repositories is one row (the git-ignored .env is for `sweep`, not a project scan)
    assert [line.strip() for line in lines[1:3]] == ["home/code/shop/app/settings.py:1  KL101", "other-repo/config.py:2  KL101"]
    assert lines[3].startswith("CRITICAL sha256:") and "Ed25519 public key" in lines[3]
    assert lines[4].strip() == "home/code/shop/deploy_key:1  KL110"
    assert lines[5] == "2 keys in 3 places; 2 known production keys"
    assert "CRITICAL: known key" in result.err
    # a malformed known-keys line is an error, not a silently missed key
    known.write_text("sha256:abc production\n")
    assert main(["inventory", str(other), "--known-keys", str(known), "--no-cache"]) == 2


def test_clean_sweep_exits_0(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    assert main(["sweep", str(tmp_path), "--no-cache"]) == 0
    assert capsys.readouterr().out == "0 keys in 0 places\n"
