"""`keylint scan --history`: keys in blobs that commits added, found with real git in a temporary repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from keylint.cli import main

KEY = "history-test-hard-coded-key-000001"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "-----END RSA PRIVATE KEY-----\n"
)
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env=ENV, capture_output=True, text=True, check=True).stdout.strip()


def _commit(root: Path, files: dict[str, str | None], message: str) -> str:
    for rel, text in files.items():
        if text is None:
            _git(root, "rm", "-q", rel)
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
            _git(root, "add", rel)
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def _repo(tmp_path: Path) -> tuple[Path, list[str]]:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    commits = [
        _commit(root, {"README.md": "demo\n"}, "start"),
        _commit(root, {"app/auth.py": f'import jwt\n\n\ndef token(c):\n    return jwt.encode(c, "{KEY}")\n', "deploy/id_rsa": PEM}, "add auth"),
        # unrelated edits move the key down: the same leak, not a new one
        _commit(root, {"app/auth.py": f'"""Auth."""\nimport jwt\n\n\ndef token(c):\n    return jwt.encode(c, "{KEY}")\n'}, "docstring"),
        _commit(root, {"app/auth.py": 'import os\n\nimport jwt\n\n\ndef token(c):\n    return jwt.encode(c, os.environ["K"])\n', "deploy/id_rsa": None}, "remove keys"),
    ]
    return root, commits


def _history(root: Path, capsys, *extra: str) -> tuple[int, list[dict]]:
    code = main(["scan", str(root), "--history", *extra, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["findings"]


def test_keys_deleted_from_head_are_still_found(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    assert main(["scan", str(root), "--no-cache"]) == 0  # the work tree is clean
    capsys.readouterr()
    code, found = _history(root, capsys)
    assert code == 1
    assert {(f["commit"], f["path"], f["line"], f["code"]) for f in found} == {
        (commits[1], "app/auth.py", 5, "KL101"),
        (commits[1], "deploy/id_rsa", 1, "KL110"),
    }
    assert all(KEY not in f["message"] + f["snippet"] for f in found)


def test_rev_range_limits_the_commits(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    code, found = _history(root, capsys, f"{commits[1]}..HEAD")
    # only the docstring commit re-adds the key (in a new blob) within this range
    assert code == 1 and {(f["commit"], f["line"], f["code"]) for f in found} == {(commits[2], 6, "KL101")}
    code, found = _history(root, capsys, f"{commits[2]}..HEAD")
    assert code == 0 and found == []


def test_text_output_and_bad_revision(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    assert main(["scan", str(root), "--history"]) == 1
    out = capsys.readouterr().out
    assert f"{commits[1][:12]} app/auth.py:5:" in out and f"{commits[1][:12]} deploy/id_rsa:1:" in out
    assert KEY not in out and "MIIBOgIBAAJBAKj34" not in out
    assert main(["scan", str(root), "--history", "no-such-branch"]) == 2
    assert main(["scan", str(root), "--history", "--format", "sarif"]) == 2


def test_history_snippet_equals_scan_snippet_after_a_form_feed(tmp_path: Path, capsys) -> None:
    # str.splitlines breaks at \f and U+2028, the parsers do not: history must number lines as the scan does
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    text = f'import jwt\n\f\n# a page break above\u2028still the same line\n\n\ndef token(c):\n    return jwt.encode(c, "{KEY}")\n'
    _commit(root, {"app/auth.py": text}, "add")
    assert main(["scan", str(root), "--no-cache", "--format", "json"]) == 1
    scanned = json.loads(capsys.readouterr().out)["findings"]
    code, found = _history(root, capsys)
    assert code == 1
    assert [(f["path"], f["line"], f["code"], f["snippet"], f["fingerprint"]) for f in found] == [
        (f["path"], f["line"], f["code"], f["snippet"], f["fingerprint"]) for f in scanned
    ]
    assert found[0]["snippet"].strip().startswith("return jwt.encode(c, ")


def test_history_honours_per_file_ignores(tmp_path: Path, capsys) -> None:
    root, _ = _repo(tmp_path)
    (root / "keylint.toml").write_text('per-file-ignores = { "deploy/*" = ["KL110"] }\n')
    code, found = _history(root, capsys)
    assert code == 1 and {(f["path"], f["code"]) for f in found} == {("app/auth.py", "KL101")}
