"""Hostile and broken input: every case is a tree built in tmp_path and scanned for real.

For each case the scan completes, the exit code is right, the problem is a notification naming the
file (SARIF toolExecutionNotifications and a stderr line) and the findings in the other files are
all still there (`CONTROL`, scanned alone first, must come back unchanged).
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

import keylint.engine
import keylint.link
from conftest import assert_valid_sarif, scan_project
from keylint.cli import main
from keylint.config import load_config
from keylint.engine import ScanOptions, scan

GITHUB_TOKEN = "ghp_" + "Zx81Qw72Er63Ty54Ui45Op36As27Df18Gh09"  # fake, shaped like a GitHub token
CONTROL = {
    "app/settings.py": 'import jwt\n\nSIGNING_KEY = "hostile-control-signing-key-7Qz"\n\n\ndef mint(claims):\n'
    '    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")\n',
    "docs/notes.txt": f"deploy token: {GITHUB_TOKEN}\n",
}


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.fixture
def tree(tmp_path: Path):
    """A project holding CONTROL plus the hostile files; returns its root."""

    def make(files: dict[str, str | bytes], config: str = "") -> Path:
        root = tmp_path / "proj"
        root.mkdir(exist_ok=True)
        (root / "keylint.toml").write_text(config)
        _write(root, {**CONTROL, **files})
        return root

    return make


@pytest.fixture(scope="module")
def control_findings(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    root = tmp_path_factory.mktemp("control")
    (root / "keylint.toml").write_text("")
    _write(root, CONTROL)
    found = {(f.location.path, f.location.span.line, f.code) for f in scan_project(root).findings}
    assert {("docs/notes.txt", 1, "KL113"), ("app/settings.py", 3, "KL101")} <= found
    return found


class Scan:
    def __init__(self, code: int, report: dict, sarif: dict, stderr: str) -> None:
        self.code, self.report, self.sarif, self.stderr = code, report, sarif, stderr
        self.findings = {(f["path"], f["line"], f["code"]) for f in report["findings"]}
        self.notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]

    def noted(self, path: str, *words: str) -> dict:
        """The notification naming `path`; its text holds every word; stderr names the file too."""
        hits = [n for n in self.notifications if unquote(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) == path]
        assert hits, f"no notification for {path!r}: {[n['message']['text'] for n in self.notifications]}"
        text = " ".join(n["message"]["text"] for n in hits)
        assert path in text and all(w in text for w in words), text
        assert any(line.startswith(f"keylint: {path.encode('unicode_escape').decode() if not path.isprintable() else path}") for line in self.stderr.splitlines()), self.stderr
        return hits[0]


def _scan(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> Scan:
    sarif = root.parent / "out.sarif"  # outside the tree: never scanned itself
    code = main(["scan", str(root), "--no-cache", "--format", "json", "--sarif-output", str(sarif), *extra])
    out, err = capsys.readouterr()
    return Scan(code, json.loads(out), assert_valid_sarif(sarif.read_text(encoding="utf-8")), err)


def _control_intact(result: Scan, control: set[tuple[str, int, str]]) -> None:
    assert {f for f in result.findings if f[0] in CONTROL} == control


# ---- unparsable and oddly encoded files -----------------------------------------------------


def test_python2_syntax_errors_and_nul_bytes_are_reported_and_still_secret_scanned(tree, capsys, control_findings) -> None:
    root = tree(
        {
            "legacy/py2.py": f'print "hello"\nexec "x = 1"\nTOKEN = "{GITHUB_TOKEN}"\n',
            "broken/syntax.py": "def f(:\n    return\n",
            # the NUL lies past the first 8 KiB, so discovery keeps the file and the parser meets it
            "late_nul.py": "X = 1\n" * 2000 + "Y = '\x00'\n",
            "early_nul.py": "X = '\x00'\n",
        }
    )
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    result.noted("legacy/py2.py", "cannot parse as Python 3")
    result.noted("broken/syntax.py", "cannot parse as Python 3")
    result.noted("late_nul.py", "NUL")
    assert result.noted("early_nul.py", "binary content")["level"] == "note"
    assert ("legacy/py2.py", 3, "KL113") in result.findings  # unparsable, yet its secrets are found
    assert main(["scan", str(root), "--no-cache", "--fail-on-error", "--format", "json"]) == 2
    capsys.readouterr()


def test_invalid_utf8_utf16_bom_and_mixed_line_endings(tree, capsys, control_findings) -> None:
    root = tree(
        {
            "latin1.py": b"# caf\xe9\nTOKEN = '" + GITHUB_TOKEN.encode() + b"'\n",
            "wide.py": ('NAME = "wide"\nTOKEN = "' + GITHUB_TOKEN + '"\n').encode("utf-16"),
            # \r\n, a lone \r and \n: the token is on line 4 for LibCST, the secret scanner and the snippet
            "mixed.py": b"A = 1\r\nB = 2\rC = 3\nTOKEN = '" + GITHUB_TOKEN.encode() + b"'\r\n\x0cD = 4\n",
        }
    )
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    assert result.noted("latin1.py", "not valid UTF-8")["level"] == "warning"
    assert {("latin1.py", 2, "KL113"), ("wide.py", 2, "KL113"), ("mixed.py", 4, "KL113")} <= result.findings
    mixed = next(f for f in result.report["findings"] if f["path"] == "mixed.py")
    assert mixed["snippet"].startswith("TOKEN = '<redacted>") and GITHUB_TOKEN[8:] not in mixed["snippet"]
    assert not any(n for n in result.notifications if n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] in ("wide.py", "mixed.py"))


def test_binary_content_under_text_names_and_empty_files(tree, capsys, control_findings) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    root = tree({"logo.py": png, "data.json": png, "settings.toml": png, "empty.py": "", "empty.env": "", "empty.json": "", "empty.yaml": ""})
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    for path in ("logo.py", "data.json", "settings.toml"):
        assert result.noted(path, "binary content")["level"] == "note"
    assert not [n for n in result.notifications if "empty" in n["message"]["text"]]
    assert result.report["stats"]["skipped_binary"] == 3


# ---- size and time --------------------------------------------------------------------------


FIFTY_MB_STATEMENT = b"var a=function(b){return b*2};"


def _fifty_megabytes() -> bytes:
    return b"var t='" + GITHUB_TOKEN.encode() + b"';" + FIFTY_MB_STATEMENT * (50 * 1024 * 1024 // len(FIFTY_MB_STATEMENT))


def test_fifty_megabyte_single_line_is_skipped_by_default_and_scanned_when_allowed(tree, capsys, control_findings) -> None:
    # no wall-clock limit here (the machine is shared; speed lives in bench/hostile_long_line.py):
    # what is checked is the outcome, and below, that the work is bounded by the file's size
    root = tree({"static/app.min.js": _fifty_megabytes()})
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    assert result.noted("static/app.min.js", "over max-file-size")["level"] == "note"
    assert result.report["stats"]["skipped_too_large"] == 1

    (root / "keylint.toml").write_text("max-file-size = 67108864\n")
    result = _scan(capsys, root, "--file-timeout", "600")  # a limit this test never means to reach
    assert result.code == 1
    _control_intact(result, control_findings)
    assert ("static/app.min.js", 1, "KL113") in result.findings
    assert not [n for n in result.notifications if "app.min.js" in n["message"]["text"]], result.notifications


def test_one_long_line_is_searched_in_windows_whose_total_is_linear_in_its_size(monkeypatch) -> None:
    # bounded work, counted: no detector's search or analysis is given more than a window of a
    # long line (the backtracking patterns cost up to the square of what they see), and the
    # windows overlap by a fixed share, so the characters searched grow linearly with the line
    from keylint.extract import secrets

    pieces: list[tuple[int, int, int | None]] = []
    real = secrets._pieces
    monkeypatch.setattr(secrets, "_pieces", lambda lines: pieces.extend(real(lines)) or pieces)
    text = _fifty_megabytes().decode()
    found = list(secrets.scan_text("static/app.min.js", text))
    assert [(f.code, f.span.line) for f in found] == [("KL113", 1)]
    assert all(line == 1 and end - start <= secrets._LONG_LINE for start, end, line in pieces)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(b[0] <= a[1] for a, b in zip(pieces, pieces[1:]))  # no gap: every character is searched
    stride = secrets._LONG_LINE - secrets._OVERLAP
    assert sum(end - start for start, end, _ in pieces) <= len(text) * secrets._LONG_LINE / stride + secrets._LONG_LINE


def test_a_long_line_out_of_time_keeps_what_it_found_and_says_where_it_stopped(monkeypatch) -> None:
    # the deadline, without a clock: each reading of the time is one tick, so the scan stops at
    # the same place on any machine: past the first windows (the token), long before the end
    from types import SimpleNamespace

    from keylint.extract import extract_secrets_only, secrets

    ticks = iter(range(1 << 40))
    monkeypatch.setattr(secrets, "time", SimpleNamespace(monotonic=lambda: float(next(ticks))))
    facts = extract_secrets_only("static/app.min.js", _fifty_megabytes(), deadline=200.0)
    assert [(f.code, f.span.line) for f in facts.findings] == [("KL113", 1)]
    (error,) = facts.errors
    assert error.kind == "timeout" and error.line == 1 and "time limit reached" in error.message
    assert next(ticks) <= 202  # it stopped at the first reading past the deadline


DEEP = 10_000


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * DEEP + "1" + ")" * DEEP,
        "x = " + "[" * DEEP + "]" * DEEP,
        "x = " + "1 + " * DEEP + "1",
        "x = " + "-" * DEEP + "1",
        "x = a" + ".b" * DEEP,
        "x = f" + "()" * DEEP,
        "x = a" + "[0]" * DEEP,
        "x = " + "a if b else " * DEEP + "c",
        "x = " + "lambda: " * DEEP + "1",
        "x = " + "a and " * DEEP + "b",  # CPython accepts it; LibCST's native parser overflows its stack
        "x = " + "{1: " * DEEP + "1" + "}" * DEEP,
        "if a:\n    pass\n" + "elif a:\n    pass\n" * DEEP,
    ],
    ids=["parens", "lists", "binop", "unary", "attributes", "calls", "subscripts", "ternary", "lambda", "boolop", "dicts", "elif"],
)
def test_ten_thousand_deep_expressions(tree, capsys, control_findings, source: str) -> None:
    root = tree({"deep.py": f"{source}\nTOKEN = '{GITHUB_TOKEN}'\n"})
    started = time.monotonic()
    # every module through LibCST: this is about the parser guards, not about which modules matter
    result = _scan(capsys, root, "--file-timeout", "20", "--no-prefilter")
    assert time.monotonic() - started < 30
    assert result.code == 1
    _control_intact(result, control_findings)
    if " and " in source:
        # CPython accepts this one; LibCST's native parser overflows its stack (the worker dies with
        # SIGSEGV, the file is reported) or, with enough stack left in the forked worker, parses it
        if any(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deep.py" for n in result.notifications):
            result.noted("deep.py", "crashed keylint's parser", "scanned for secrets only")
    else:
        assert result.noted("deep.py", "cannot parse as Python 3")["level"] == "error"
    assert ("deep.py", source.count("\n") + 2, "KL113") in result.findings  # the secret scan still ran


def test_deeply_nested_configuration_documents(tree, capsys, control_findings) -> None:
    # found by tests/fuzz/mutate.py: a JWKS file with thousands of `[` made json.loads recurse too deep
    files = {
        "keys/jwks.json": '{"keys": [{"kty": "oct", "k": ' + "[" * DEEP + "]" * DEEP + "}]}",
        "openapi.yaml": "openapi: 3.0.0\npaths: " + "[" * DEEP + "]" * DEEP + "\n",
        "openapi.json": '{"openapi": "3.0.0", "paths": ' + "{\"a\": " * DEEP + "1" + "}" * DEEP + "}",
        "settings.toml": "x = " + "[" * DEEP + "]" * DEEP + "\n",
        ".env": "A=" + "[" * DEEP + "\n",
    }
    root = tree({name: text + f"\n# {GITHUB_TOKEN}\n" for name, text in files.items()})
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    assert {(name, text.count("\n") + 2, "KL113") for name, text in files.items()} <= result.findings
    assert not [n for n in result.notifications if n["properties"]["kind"] in ("crash", "timeout")], result.notifications


def test_extremely_long_string_literal_and_a_megabyte_of_base64(tree, capsys, control_findings) -> None:
    rng = random.Random(7)
    plain = {
        "blob.py": f'BLOB = "{"x" * 1_500_000}"\nTOKEN = "{GITHUB_TOKEN}"\n',
        "random.b64.txt": base64.b64encode(rng.randbytes(750_000)).decode() + f" {GITHUB_TOKEN}",
        "urlsafe.txt": base64.urlsafe_b64encode(rng.randbytes(750_000)).decode(),
    }
    # one megabyte on one line each, shaped against detect-secrets' backtracking patterns
    # (`eyJ[...]+\.`, `//.+/:_authToken`, ` +` then ` *`, `(?:\d+-)+`)
    adversarial = {"jwtish.txt": "eyJ" * 350_000, "slashes.txt": "/" * 1_000_000, "keyspace.txt": "pwd" + " " * 1_000_000 + "x", "slack.txt": "xoxb-" + "1-" * 500_000}
    root = tree({**plain, **adversarial}, config="max-file-size = 4194304\n")
    started = time.monotonic()
    result = _scan(capsys, root, "--file-timeout", "6")
    assert time.monotonic() - started < 60
    assert result.code == 1
    _control_intact(result, control_findings)
    assert {("blob.py", 2, "KL113"), ("random.b64.txt", 1, "KL113")} <= result.findings
    timed_out = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in result.notifications if n["properties"]["kind"] == "timeout"}
    assert not timed_out & set(plain)  # ordinary long lines stay well inside the limit
    for path in timed_out:  # a backtracking blow-up is cut off at the limit and reported, never a hang
        result.noted(path, "time limit reached")


def test_a_file_that_overruns_its_time_is_reported_and_scanned_for_secrets_only(tree, capsys, control_findings) -> None:
    slow = "".join(f"v{i} = f({i}, 'x')\n" for i in range(30_000)) + f"TOKEN = '{GITHUB_TOKEN}'\n"
    root = tree({"generated/slow.py": slow})
    started = time.monotonic()
    result = _scan(capsys, root, "--file-timeout", "1.5", "--no-prefilter")
    assert time.monotonic() - started < 30
    assert result.code == 1
    _control_intact(result, control_findings)
    assert result.noted("generated/slow.py", "took longer than 1.5 s", "scanned for secrets only")["level"] == "error"
    assert ("generated/slow.py", 30_001, "KL113") in result.findings


def test_worker_memory_is_capped(tree, control_findings) -> None:
    big = "".join(f"v{i} = [{i}, '{i}', {{'k': {i}}}]\n" for i in range(20_000)) + f"TOKEN = '{GITHUB_TOKEN}'\n"
    root = tree({"big.py": big})
    # 64 MiB more than the worker inherits is far too little for LibCST on this file
    report = scan(load_config(root), None, ScanOptions(jobs=1, file_timeout=60, memory_limit=64 * 1024**2))
    assert {(f.location.path, f.location.span.line, f.code) for f in report.findings if f.location.path in CONTROL} == control_findings
    errors = [e for e in report.errors if e.path == "big.py"]
    assert errors and "memory" in errors[0].message, errors
    assert ("big.py", 20_001, "KL113") in {(f.location.path, f.location.span.line, f.code) for f in report.findings}


# ---- the file system ------------------------------------------------------------------------


def test_symlink_loops_and_links_outside_the_tree_are_not_followed(tree, tmp_path: Path, capsys, control_findings) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(f'TOKEN = "{GITHUB_TOKEN}"\n')
    root = tree({"inside.py": "X = 1\n"})
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    (root / "escape.py").symlink_to(outside / "secret.py")
    (root / "escape_dir").symlink_to(outside, target_is_directory=True)
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "alias.py").symlink_to(root / "inside.py")
    (root / "self").symlink_to(root, target_is_directory=True)
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    assert not [f for f in result.findings if f[0] not in CONTROL]
    result.noted("loop_a", "loop")
    result.noted("escape.py", "outside the project")
    result.noted("escape_dir", "outside the project")
    result.noted("dangling.py", "to nothing")
    assert not [n for n in result.notifications if "alias.py" in n["message"]["text"] or "self" == n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]


def _drop_file_access_override() -> None:
    """In the child: give up root's power to ignore file permissions (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so chmod 000 makes reads fail even for root."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.skipif(sys.platform != "linux", reason="dropping capabilities with prctl is Linux-only")
def test_unreadable_files_and_folders(tree, tmp_path: Path, control_findings) -> None:
    root = tree({"locked.py": f'TOKEN = "{GITHUB_TOKEN}"\n', "private/inner.py": "X = 1\n", "open.py": "Y = 2\n"})
    (root / "locked.py").chmod(0)
    (root / "private").chmod(0)
    sarif = tmp_path / "out.sarif"
    try:
        run = subprocess.run(
            [sys.executable, "-m", "keylint", "scan", str(root), "--no-cache", "--format", "json", "--sarif-output", str(sarif)],
            capture_output=True, text=True, timeout=300, preexec_fn=_drop_file_access_override if os.geteuid() == 0 else None,
        )
    finally:
        (root / "private").chmod(0o755)
        (root / "locked.py").chmod(0o644)
    assert run.returncode == 1, run.stderr
    result = Scan(run.returncode, json.loads(run.stdout), assert_valid_sarif(sarif.read_text(encoding="utf-8")), run.stderr)
    _control_intact(result, control_findings)
    assert result.noted("locked.py", "Permission denied")["level"] == "error"
    assert result.noted("private/", "cannot list folder")["level"] == "error"


def test_files_deleted_replaced_or_changed_between_discovery_and_reading(tree, tmp_path: Path, capsys, monkeypatch, control_findings) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(f'TOKEN = "{GITHUB_TOKEN}"\n')
    root = tree({"gone.py": "X = 1\n", "swapped.py": "Y = 2\n", "piped.py": "Z = 3\n", "edited.py": f'TOKEN = "{GITHUB_TOKEN}"\n'})
    real_discover, real_project = keylint.engine.discover, keylint.link.Project

    def racing_discover(config, *args, **kwargs):  # the tree changes right after it was listed
        found = real_discover(config, *args, **kwargs)
        (root / "gone.py").unlink()
        (root / "swapped.py").unlink()
        (root / "swapped.py").symlink_to(outside)  # would leak a file from outside the project
        (root / "piped.py").unlink()
        os.mkfifo(root / "piped.py")  # would block a plain read forever
        return found

    def racing_project(facts):  # and a file changes after extraction, before its lines are shown
        (root / "edited.py").write_text(f'# a new first line\nTOKEN = "{GITHUB_TOKEN}"\n')
        return real_project(facts)

    monkeypatch.setattr(keylint.engine, "discover", racing_discover)
    monkeypatch.setattr(keylint.link, "Project", racing_project)  # the engine imports it when it links
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    result.noted("gone.py", "cannot read")
    result.noted("swapped.py", "cannot read")
    result.noted("piped.py", "cannot read")
    result.noted("edited.py", "changed while being scanned")
    assert not [f for f in result.findings if f[0] == "swapped.py"]
    edited = [f for f in result.report["findings"] if f["path"] == "edited.py"]
    assert edited and all(f["snippet"] == "" for f in edited)


@pytest.mark.parametrize(
    "name",
    ["with space/my file.py", "new\nline.py", "ключ/秘密.py", "$(touch PWNED);`touch PWNED2`&|.py", "--format=sarif.py", "x\x1b]0;title\x07.py"],
)
def test_awkward_path_names(tree, capsys, control_findings, name: str) -> None:
    root = tree({name: f'TOKEN = "{GITHUB_TOKEN}"\n'})
    result = _scan(capsys, root)
    assert result.code == 1
    _control_intact(result, control_findings)
    assert (name, 1, "KL113") in result.findings
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in result.sarif["runs"][0]["results"]}
    assert name in {unquote(u) for u in uris} and all(u.isascii() and " " not in u for u in uris)  # percent-encoded
    assert not list(root.rglob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    main(["scan", str(root), "--no-cache", "--format", "text", "--color", "always"])
    text = capsys.readouterr().out
    assert "\x1b]" not in text and "new\nline" not in text  # names cannot forge lines or drive the terminal


def test_a_hundred_thousand_small_files(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    (root / "keylint.toml").write_text("")
    _write(root, CONTROL)
    for folder in range(100):
        d = root / f"pkg{folder:03d}"
        d.mkdir()
        for i in range(1000):
            # mostly text (read and secret-scanned); one Python module per folder
            name, body = (f"mod{i}.py", f"VALUE = {i}\n") if i == 0 else (f"note{i}.txt", f"note {folder}-{i}\n")
            (d / name).write_text(body)
    (root / "pkg042" / "note7.txt").write_text(f"token {GITHUB_TOKEN}\n")
    started = time.monotonic()
    report = scan(load_config(root), None, ScanOptions(jobs=0))
    elapsed = time.monotonic() - started
    assert report.stats.files_scanned == 100_000 + len(CONTROL) + 1
    assert ("pkg042/note7.txt", 1, "KL113") in {(f.location.path, f.location.span.line, f.code) for f in report.findings}
    assert not report.errors
    assert elapsed < 240, f"{elapsed:.0f} s for 100,000 files"


# ---- malformed configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "catalog", "words"),
    [
        ("select = [\n", None, ["keylint.toml", "invalid TOML"]),
        ("selcet = ['KL1']\n", None, ["keylint.toml", "unknown key 'selcet'"]),
        ("max-file-size = '2MB'\n", None, ["keylint.toml", "'max-file-size' must be a int"]),
        ("fail-on-error = 1\n", None, ["keylint.toml", "'fail-on-error' must be a bool"]),
        ("exclude = 'vendor'\n", None, ["'exclude' must be a list"]),
        ("extend-catalogs = ['catalgo.toml']\n", None, ["catalgo.toml"]),
        ("extend-catalogs = ['catalog.toml']\n", "[[signer]]\ncall = 'acme.sign'\npositon = 1\n", ["catalog.toml", "'positon'"]),
        ("extend-catalogs = ['catalog.toml']\n", "[[signer]\ncall = 'acme.sign'\n", ["catalog.toml", "invalid TOML"]),
        ("extend-catalogs = ['catalog.toml']\n", "[[singer]]\ncall = 'acme.sign'\nposition = 1\n", ["catalog.toml", "'singer'"]),
    ],
    ids=["bad-toml", "unknown-key", "wrong-type-int", "wrong-type-bool", "wrong-type-list", "missing-catalog", "catalog-key-typo", "catalog-bad-toml", "catalog-table-typo"],
)
def test_malformed_configuration_is_a_clear_error(tree, capsys, config: str, catalog: str | None, words: list[str]) -> None:
    root = tree({}, config=config)
    if catalog is not None:
        (root / "catalog.toml").write_text(catalog)
    code = main(["scan", str(root), "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("keylint: configuration error:") and err.count("\n") == 1, err
    assert all(w in err for w in words), err
    assert "Traceback" not in err
