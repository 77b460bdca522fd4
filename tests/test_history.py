"""`keylint scan --history`: keys in history, found with real git in temporary repositories.

The fast path (a stream of patches, a byte prefilter, only what could hold a key analysed) must
report exactly the keys, with the same first commits, that the exhaustive reference reports
(every commit's tree, every file version analysed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import assert_valid_sarif
from keylint.cli import main
from keylint.config import load_config
from keylint.history import HistoryOptions, HistoryReport, scan_history

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


def _write(root: Path, files: dict[str, str | bytes | None]) -> None:
    for rel, content in files.items():
        target = root / rel
        if content is None:
            _git(root, "rm", "-q", rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        _git(root, "add", rel)


def _commit(root: Path, files: dict[str, str | bytes | None], message: str) -> str:
    _write(root, files)
    _git(root, "commit", "-q", "--allow-empty", "-m", message)
    return _git(root, "rev-parse", "HEAD")


def _init(tmp_path: Path, name: str = "repo") -> Path:
    root = tmp_path / name
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    return root


def _auth(key: str, doc: str = "") -> str:
    return f'{doc}import jwt\n\n\ndef token(c):\n    return jwt.encode(c, "{key}")\n'


def _repo(tmp_path: Path) -> tuple[Path, list[str]]:
    root = _init(tmp_path)
    commits = [
        _commit(root, {"README.md": "demo\n"}, "start"),
        _commit(root, {"app/auth.py": _auth(KEY), "deploy/id_rsa": PEM}, "add auth"),
        # unrelated edits move the key down: the same leak, not a new one
        _commit(root, {"app/auth.py": _auth(KEY, '"""Auth."""\n')}, "docstring"),
        _commit(root, {"app/auth.py": 'import os\n\nimport jwt\n\n\ndef token(c):\n    return jwt.encode(c, os.environ["K"])\n', "deploy/id_rsa": None}, "remove keys"),
    ]
    return root, commits


def _history(root: Path, capsys, *extra: str) -> tuple[int, list[dict]]:
    code = main(["scan", str(root), "--history", *extra, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["keys"]


def _first(keys: list[dict]) -> set[tuple[str, str, int, str]]:
    return {(k["commit"], k["findings"][0]["path"], k["findings"][0]["line"], k["findings"][0]["code"]) for k in keys}


def test_keys_deleted_from_head_are_still_found(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    assert main(["scan", str(root), "--no-cache"]) == 0  # the work tree is clean
    capsys.readouterr()
    code, keys = _history(root, capsys)
    assert code == 1
    assert _first(keys) == {(commits[1], "app/auth.py", 5, "KL101"), (commits[1], "deploy/id_rsa", 1, "KL110")}
    assert all(k["deleted"] and not k["in_head"] and k["action"] == "rotate" for k in keys)
    text = json.dumps(keys)
    assert KEY not in text and "MIIBOgIBAAJBAKj34" not in text


def test_a_range_or_since_reports_only_keys_its_commits_added(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    fresh = _commit(root, {"app/more.py": _auth("history-test-hard-coded-key-000002")}, "another key")
    # the docstring commit edits a file whose key came in before the range: not a new key
    for extra in ([f"{commits[1]}..HEAD"], ["--since", commits[1]]):
        code, keys = _history(root, capsys, *extra)
        assert code == 1 and _first(keys) == {(fresh, "app/more.py", 5, "KL101")}, (extra, capsys.readouterr())
    code, keys = _history(root, capsys, "--since", fresh)
    assert code == 0 and keys == []


def test_text_output_says_deleted_and_rotate_and_hides_keys(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    assert main(["scan", str(root), "--history"]) == 1
    out = capsys.readouterr().out
    assert f"introduced in {commits[1][:12]}  app/auth.py:5:" in out and f"introduced in {commits[1][:12]}  deploy/id_rsa:1:" in out
    assert out.count("deleted from every branch, but still in history (every clone has it): rotate it") == 2
    assert "2 leaked keys in history (2 deleted from every branch" in out
    assert KEY not in out and "MIIBOgIBAAJBAKj34" not in out


def test_keys_still_in_head_name_their_branches(tmp_path: Path, capsys) -> None:
    root = _init(tmp_path)
    first = _commit(root, {"app/auth.py": _auth(KEY)}, "add")
    _git(root, "branch", "feature")
    code, keys = _history(root, capsys)
    assert code == 1 and keys[0]["commit"] == first and keys[0]["in_head"] and not keys[0]["deleted"]
    assert keys[0]["carried_by"] == [{"ref": "HEAD", "paths": ["app/auth.py"]}, {"ref": "feature", "paths": ["app/auth.py"]}, {"ref": "main", "paths": ["app/auth.py"]}]


def test_history_snippet_equals_scan_snippet_after_a_form_feed(tmp_path: Path, capsys) -> None:
    # str.splitlines breaks at \f and U+2028, the parsers do not: history must number lines as the scan does
    root = _init(tmp_path)
    text = f'import jwt\n\f\n# a page break above\u2028still the same line\n\n\ndef token(c):\n    return jwt.encode(c, "{KEY}")\n'
    _commit(root, {"app/auth.py": text}, "add")
    assert main(["scan", str(root), "--no-cache", "--format", "json"]) == 1
    scanned = json.loads(capsys.readouterr().out)["findings"]
    code, keys = _history(root, capsys)
    assert code == 1
    found = [f for k in keys for f in k["findings"]]
    assert [(f["path"], f["line"], f["code"], f["snippet"], f["fingerprint"]) for f in found] == [
        (f["path"], f["line"], f["code"], f["snippet"], f["fingerprint"]) for f in scanned
    ]
    assert found[0]["snippet"].strip().startswith("return jwt.encode(c, ")


def test_history_honours_per_file_ignores(tmp_path: Path, capsys) -> None:
    root, _ = _repo(tmp_path)
    (root / "keylint.toml").write_text('per-file-ignores = { "deploy/*" = ["KL110"] }\n')
    code, keys = _history(root, capsys)
    assert code == 1 and {(k["findings"][0]["path"], k["findings"][0]["code"]) for k in keys} == {("app/auth.py", "KL101")}


# ---- the fast path against the exhaustive reference ----


def _scan(root: Path, exhaustive: bool, **options: object) -> HistoryReport:
    return scan_history(load_config(root), HistoryOptions(exhaustive=exhaustive, jobs=2, **options))  # type: ignore[arg-type]


def _summary(report: HistoryReport) -> dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]]:
    return {k.identity: (k.commit, tuple((c.ref, c.paths) for c in k.carriers)) for k in report.keys}


LATIN1 = "# -*- coding: latin-1 -*-\n# caf\xe9\nSECRET_KEY = 'history-latin1-key-0000000007'\n".encode("latin-1")
BIG_LINES = [f"option_{i} = value number {i}" for i in range(40000)]  # about 1.2 MB


def _big(key: str, edit: int) -> str:
    lines = list(BIG_LINES)
    lines[20000] = f"jwt_secret = {key}"
    lines[edit] = f"option_{edit} = edited"
    return "[app]\n" + "\n".join(lines) + "\n"


def _many_commits_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Keys added, moved, renamed, deleted, re-added, on a side branch, in a merge, in a file
    later deleted, in a large, a binary-looking, a UTF-16 and a non-UTF-8 file."""
    root = _init(tmp_path)
    c: dict[str, str] = {}
    c["start"] = _commit(root, {"README.md": "demo\n", "app/util.py": "def add(a, b):\n    return a + b\n"}, "start")
    c["auth"] = _commit(root, {"app/auth.py": _auth("history-key-auth-0000000000001"), "deploy/id_rsa": PEM, "legacy.py": "SIGNING_KEY = 'history-key-legacy-000000000005'\n"}, "keys")
    c["move"] = _commit(root, {"app/auth.py": _auth("history-key-auth-0000000000001", '"""Auth."""\n\n')}, "move the key down")
    _git(root, "mv", "app/auth.py", "app/tokens.py")
    c["rename"] = _commit(root, {}, "rename")
    c["multiline"] = _commit(root, {"app/tokens.py": 'import jwt\n\n\ndef token(c):\n    return jwt.encode(\n        c,\n        "history-key-multiline-00000002",\n        algorithm="HS256",\n    )\n'}, "key changed inside a multi-line call")
    _git(root, "checkout", "-q", "-b", "side")
    c["side"] = _commit(root, {"config/.env": "DEBUG=1\nJWT_SECRET=history-key-side-branch-0000003\n"}, "side key")
    c["side2"] = _commit(root, {"config/.env": "DEBUG=0\nJWT_SECRET=history-key-side-branch-0000003\n", "shared.py": "X = 1\nSECRET_KEY = 'history-key-shared-side-00000008'\n"}, "side edit")
    _git(root, "checkout", "-q", "main")
    c["main"] = _commit(root, {"settings.py": "DEBUG = True\nSECRET_KEY = 'history-key-settings-000000004'\n", "deploy/id_rsa": None, "shared.py": "X = 2\n", "tmp/old.py": "JWT_SECRET = 'history-key-deleted-everywhere-11'\n"}, "main key, PEM deleted")
    c["big"] = _commit(root, {"big.ini": _big("history-key-in-a-big-file-000006", 100)}, "a large file")
    c["big2"] = _commit(root, {"big.ini": _big("history-key-in-a-big-file-000006", 39000)}, "edit far from its key")
    c["binary"] = _commit(root, {"blob.txt": b"\x00\x01" + PEM.replace("RSA", "EC").encode(), "notes.txt": b"x" * 8100 + b"\x00" + PEM.encode()}, "binary-looking files")
    c["utf16"] = _commit(root, {".env.utf16": "\ufeffAPP_SECRET=history-key-utf16-000000000009\n".encode("utf-16-le")}, "a UTF-16 file")
    c["latin1"] = _commit(root, {"legacy_settings.py": LATIN1}, "a latin-1 file")
    subprocess.run(["git", "merge", "-q", "--no-ff", "--no-commit", "side"], cwd=root, env=ENV, capture_output=True, check=False)  # shared.py conflicts
    (root / "shared.py").write_text("X = 3\nSECRET_KEY = 'history-key-in-the-merge-0000010'\n")  # the resolution adds a key
    _git(root, "add", "shared.py")
    _git(root, "commit", "-q", "-m", "merge side")
    c["merge"] = _git(root, "rev-parse", "HEAD")
    c["delete"] = _commit(root, {"legacy.py": None, "tmp/old.py": None, "settings.py": "DEBUG = True\n"}, "delete files and a key")
    c["readd"] = _commit(root, {"settings.py": "DEBUG = True\nSECRET_KEY = 'history-key-settings-000000004'\n"}, "re-add the key")
    c["pem-edit"] = _commit(root, {"keys/server.pem": PEM}, "a PEM file")
    other = PEM.replace("MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu", "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qv")
    c["pem-body"] = _commit(root, {"keys/server.pem": other}, "only the PEM body changes")
    return root, c


def test_fast_path_finds_exactly_what_every_tree_holds(tmp_path: Path) -> None:
    root, c = _many_commits_repo(tmp_path)
    fast, slow = _scan(root, exhaustive=False), _scan(root, exhaustive=True)
    assert _summary(fast) == _summary(slow)
    first = {(k.commit, k.findings[0].location.path, k.findings[0].code) for k in fast.keys}
    assert first >= {
        (c["auth"], "app/auth.py", "KL101"),
        (c["auth"], "deploy/id_rsa", "KL110"),
        (c["auth"], "legacy.py", "KL101"),
        (c["multiline"], "app/tokens.py", "KL101"),
        (c["side"], "config/.env", "KL111"),
        (c["side2"], "shared.py", "KL101"),
        (c["main"], "settings.py", "KL101"),
        (c["main"], "tmp/old.py", "KL101"),
        (c["big"], "big.ini", "KL111"),
        (c["utf16"], ".env.utf16", "KL111"),
        (c["latin1"], "legacy_settings.py", "KL101"),
        (c["merge"], "shared.py", "KL101"),
        (c["pem-body"], "keys/server.pem", "KL110"),
    }
    # moved, renamed, re-added keys keep their first commit; binary-looking files are skipped, and counted
    assert not {k.commit for k in fast.keys} & {c["move"], c["rename"], c["big2"], c["readd"], c["binary"], c["delete"]}
    assert fast.stats.binary == slow.stats.binary == 2 and fast.stats.not_utf8 == slow.stats.not_utf8 == 1
    # a key deleted everywhere has no carrier; one deleted on main only is still on the side branch
    carried = {k.findings[0].location.path: {c.ref for c in k.carriers} for k in fast.keys}
    assert carried["tmp/old.py"] == set() and carried["legacy.py"] == carried["deploy/id_rsa"] == {"side"}
    assert carried["settings.py"] == {"HEAD", "main"} and carried["config/.env"] == {"HEAD", "main", "side"}
    assert fast.stats.analysed < slow.stats.analysed


# ---- bad input: one clear line, exit 2, no traceback ----


def _fails_cleanly(root: Path, capsys, words: str) -> None:
    assert main(["scan", str(root), "--history"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_not_a_repository(tmp_path: Path, capsys) -> None:
    (tmp_path / "keylint.toml").write_text("")
    _fails_cleanly(tmp_path, capsys, "is not in a git repository")


def test_empty_repository(tmp_path: Path, capsys) -> None:
    _fails_cleanly(_init(tmp_path), capsys, "empty repository")


def test_shallow_clone(tmp_path: Path, capsys) -> None:
    root, _ = _repo(tmp_path)
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(tmp_path / "shallow")], env=ENV, check=True, capture_output=True)
    _fails_cleanly(tmp_path / "shallow", capsys, "shallow clone")


def test_corrupt_object(tmp_path: Path, capsys) -> None:
    root, _ = _repo(tmp_path)
    blob = _git(root, "rev-parse", "HEAD~1:app/auth.py")
    path = root / ".git" / "objects" / blob[:2] / blob[2:]
    path.chmod(0o644)
    path.write_bytes(b"not a zlib stream")
    _fails_cleanly(root, capsys, "git cannot read")


def test_bad_revision_and_options(tmp_path: Path, capsys) -> None:
    root, _ = _repo(tmp_path)
    for history, words in (("no-such-branch", "git cannot list the commits"), ("--all --objects", "not supported")):
        assert main(["scan", str(root), f"--history={history}"]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
    assert main(["scan", str(root), "--since", "HEAD"]) == 2
    capsys.readouterr()
    for flags in (["--no-cache"], ["--baseline", "b.json"], ["--no-prefilter", "--fail-on-error"]):
        assert main(["scan", str(root), "--history", *flags]) == 2
        assert f"{flags[0]}" in capsys.readouterr().err  # refused by name, never silently ignored


# ---- progress and formats ----


def test_progress_line_only_on_a_terminal(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    script = (
        "import sys; from keylint.cli import main; "
        f"sys.stderr.isatty = lambda: {{}}; sys.exit(main(['scan', {str(root)!r}, '--history', '--format', 'json']))"
    )
    for tty in (True, False):
        done = subprocess.run([sys.executable, "-c", script.replace("{}", str(tty))], capture_output=True, text=True, check=False)
        assert done.returncode == 1
        assert ("commits read" in done.stderr) is tty
        assert "leaked keys in history" in done.stderr  # the summary, on stderr beside json


def test_github_annotations(tmp_path: Path, capsys) -> None:
    root, commits = _repo(tmp_path)
    assert main(["scan", str(root), "--history", "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    errors = [line for line in out if line.startswith("::error ")]
    assert len(errors) == 2 and all("title=KL1" in e and "rotate it" in e for e in errors)
    assert out[-1].startswith("::notice title=keylint history::2 leaked keys")


def test_lines_broken_by_lone_carriage_returns_do_not_shift_other_files(tmp_path: Path) -> None:
    # the detectors read many files' added lines as one text, numbered as they number lines
    root = _init(tmp_path)
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoaXN0b3J5In0.c2lnbmF0dXJlLW9mLWEtdGVzdC10b2tlbi0wMDE"
    _commit(root, {"a_first.txt": "a\rb\rc\r\n" * 50, "b_notes.md": f"token: {jwt}\n", "c_last.txt": "nothing\n"}, "add")
    fast, slow = _scan(root, exhaustive=False), _scan(root, exhaustive=True)
    assert _summary(fast) == _summary(slow) and [k.findings[0].location.path for k in fast.keys] == ["b_notes.md"]


def test_sarif_of_a_history_scan(tmp_path: Path, capsys) -> None:
    # --sarif-output beside another format, and --format sarif: one result per key, at the
    # introducing commit's path and line, under a category of its own (a tree scan's alerts stay)
    root, commits = _repo(tmp_path)
    sarif = tmp_path / "history.sarif"
    assert main(["scan", str(root), "--history", "--format", "github", "--sarif-output", str(sarif)]) == 1
    assert capsys.readouterr().out.count("::error ") == 2
    log = assert_valid_sarif(sarif.read_text(encoding="utf-8"))
    (run,) = log["runs"]
    assert run["automationDetails"]["id"] == "keylint-history/"
    where = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
    }
    assert where == {("KL101", "app/auth.py", 5), ("KL110", "deploy/id_rsa", 1)}
    for r in run["results"]:
        assert r["properties"]["commit"] == commits[1] and r["properties"]["deleted"] and not r["properties"]["inHead"]
        assert f"Introduced in commit {commits[1][:12]}" in r["message"]["text"] and "rotate" in r["message"]["text"]
        assert r["partialFingerprints"]["primaryLocationLineHash"] and r["partialFingerprints"]["keylint/v1"]
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    text = sarif.read_text(encoding="utf-8")
    assert KEY not in text and "MIIBOgIBAAJBAKj34" not in text
    assert main(["scan", str(root), "--history", "--format", "sarif"]) == 1
    assert capsys.readouterr().out == text  # the same history gives byte-identical SARIF


def test_sarif_of_a_key_still_in_head_names_its_carriers_and_other_places(tmp_path: Path, capsys) -> None:
    root = _init(tmp_path)
    first = _commit(root, {"app/auth.py": _auth(KEY), "app/copy.py": _auth(KEY)}, "add")
    assert main(["scan", str(root), "--history", "--format", "sarif"]) == 1
    (result,) = assert_valid_sarif(capsys.readouterr().out)["runs"][0]["results"]
    assert result["properties"]["commit"] == first and result["properties"]["inHead"]
    assert result["properties"]["carriedBy"][0] == {"ref": "HEAD", "paths": ["app/auth.py", "app/copy.py"]}
    related = {rl["physicalLocation"]["artifactLocation"]["uri"] for rl in result["relatedLocations"]}
    assert "app/copy.py" in related


def test_empty_history_sarif_still_has_results(tmp_path: Path, capsys) -> None:
    root = _init(tmp_path)
    _commit(root, {"README.md": "nothing here\n"}, "start")
    assert main(["scan", str(root), "--history", "--format", "sarif"]) == 0
    (run,) = assert_valid_sarif(capsys.readouterr().out)["runs"]
    assert run["results"] == [] and run["invocations"][0]["executionSuccessful"]
