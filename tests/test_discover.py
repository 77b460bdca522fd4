"""Which files a scan reads: what the user names is read, whatever an enclosing .gitignore says;
a virtualenv is known by its pyvenv.cfg, not by its name."""

from __future__ import annotations

import subprocess
from pathlib import Path

from keylint.cli import main

SECRET = 'SECRET_KEY = "dl-project-signing-key-0001"\n\nimport jwt\n\n\ndef mint(uid):\n    return jwt.encode({"sub": uid, "exp": 1}, SECRET_KEY, algorithm="HS256")\n'


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _outer_repo(tmp_path: Path, ignore: str) -> Path:
    outer = tmp_path / "outer"
    outer.mkdir()
    _git(outer, "init", "-q")
    (outer / ".gitignore").write_text(ignore)
    (outer / "main.py").write_text("print('hello')\n")
    _git(outer, "add", ".")
    _git(outer, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    return outer


def _codes(capsys, *argv: str) -> tuple[int, set[tuple[str, str]], str]:
    code = main(["scan", *argv, "--no-cache", "--format", "json", "--jobs", "1"])
    captured = capsys.readouterr()
    import json

    found = {(f["path"], f["code"]) for f in json.loads(captured.out)["findings"]}
    return code, found, captured.err


def test_a_downloaded_project_under_an_ignored_folder_is_read(tmp_path: Path, capsys) -> None:
    outer = _outer_repo(tmp_path, "downloads/\n")
    project = outer / "downloads" / "shop"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'shop'\n")  # its own root
    (project / "app" / "auth.py").write_text(SECRET)
    code, found, _ = _codes(capsys, str(project))
    assert code == 1 and ("app/auth.py", "KL101") in found


def test_a_vendored_folder_without_a_project_file_is_read_when_named(tmp_path: Path, capsys) -> None:
    outer = _outer_repo(tmp_path, "vendor/\n")
    (outer / "vendor" / "lib").mkdir(parents=True)
    (outer / "vendor" / "lib" / "tokens.py").write_text(SECRET)
    code, found, _ = _codes(capsys, str(outer / "vendor" / "lib"))
    assert code == 1 and ("vendor/lib/tokens.py", "KL101") in found
    # the enclosing repository scanned as a whole still honours its .gitignore
    code, found, _ = _codes(capsys, str(outer))
    assert code == 0 and not found


def test_a_named_path_with_no_file_to_read_is_said_on_stderr(tmp_path: Path, capsys) -> None:
    outer = _outer_repo(tmp_path, "")
    (outer / "assets").mkdir()
    (outer / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    code, found, err = _codes(capsys, str(outer / "assets"))
    assert code == 0 and not found
    assert "assets: named to be scanned, but holds no file keylint reads" in err


def test_a_folder_named_venv_is_code_unless_it_holds_pyvenv_cfg(tmp_path: Path, capsys) -> None:
    root = tmp_path / "proj"
    (root / "venv" / "routes").mkdir(parents=True)
    (root / "keylint.toml").write_text("")
    (root / "venv" / "routes" / "auth.py").write_text(SECRET)  # an application package called venv
    (root / ".venv" / "lib" / "site").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / ".venv" / "lib" / "site" / "vendored.py").write_text(SECRET)  # a real virtualenv
    code, found, _ = _codes(capsys, str(root))
    assert found == {("venv/routes/auth.py", "KL101")}
    # and in a git work tree, where untracked files of an unignored virtualenv are listed
    _git(root, "init", "-q")
    code, found, _ = _codes(capsys, str(root))
    assert found == {("venv/routes/auth.py", "KL101")}
