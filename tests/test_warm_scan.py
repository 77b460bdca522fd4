"""A warm scan (cache on) redoes only what changed and never changes a finding: an edit that keeps
every file's facts reuses the cached analysis, an edit that changes them is linked again, unchanged
files are not read again, and damaged cache entries are ignored."""

from __future__ import annotations

import marshal
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import scan_project

import keylint.cache
import keylint.checks
import keylint.discover
import keylint.engine

FILES = {
    "app/__init__.py": "",
    "app/settings.py": 'SECRET_KEY = "k3y-value-that-is-long-enough-1234567890"\n',
    "app/tokens.py": 'import jwt\nfrom app.settings import SECRET_KEY\n\n\ndef mint(uid):\n    return jwt.encode({"sub": uid}, SECRET_KEY, algorithm="HS256")\n',
    "app/util.py": "def helper():\n    return 1\n",  # no rule's words: left unparsed by the prefilter
    "README.md": "# Notes\n",
}


def _result(report) -> tuple:
    return report.findings, report.errors


def _checks_run(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the times linking and checking run."""
    calls: list[int] = []
    real = keylint.checks.run_checks

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(keylint.checks, "run_checks", counting)  # the engine imports it when it checks
    return calls


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files keylint opens, by name."""
    opened: list[str] = []
    for module in (keylint.engine, keylint.discover):
        real = module.read_regular

        def recording(path, *args, _real=real, **kwargs):
            opened.append(Path(path).name)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(module, "read_regular", recording)
    return opened


def _append(root: Path, rel: str, text: str) -> None:
    with open(root / rel, "a", encoding="utf-8") as handle:
        handle.write(text)


def test_an_edit_that_keeps_the_facts_reuses_the_analysis(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(FILES)
    cache = tmp_path / "cache"
    first = scan_project(root, cache_dir=cache)
    assert {(f.location.path, f.code) for f in first.findings} == {("app/settings.py", "KL101"), ("app/tokens.py", "KL403")}
    calls = _checks_run(monkeypatch)
    # an unparsed module, prose, and a flagged file edited below its findings (their facts stay)
    for rel, text in (("app/util.py", "# a comment\n"), ("README.md", "More prose.\n"), ("app/settings.py", "# the end\n")):
        _append(root, rel, text)
        warm = scan_project(root, cache_dir=cache)
        assert calls == [], rel  # nothing was linked or checked again
        assert _result(warm) == _result(scan_project(root)), rel  # line hashes and snippets included
        assert warm.stats.cached_files == warm.stats.files_scanned - 1  # the edited file was extracted
        assert warm.stats.python_files == first.stats.python_files
        calls.clear()


def test_an_edit_that_changes_the_facts_is_linked_again(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(FILES)
    cache = tmp_path / "cache"
    before = scan_project(root, cache_dir=cache)
    calls = _checks_run(monkeypatch)
    original = (root / "app/settings.py").read_text()
    (root / "app/settings.py").write_text("# a new first line\n" + original)
    moved = scan_project(root, cache_dir=cache)
    assert _result(moved) == _result(scan_project(root))
    assert ("app/settings.py", 2, "KL101") in {(f.location.path, f.location.span.line, f.code) for f in moved.findings}
    assert len(calls) == 2  # the warm scan and the cold one above
    (root / "app/settings.py").write_text(original)  # back as it was: that analysis is still cached
    assert _result(scan_project(root, cache_dir=cache)) == _result(before)
    assert len(calls) == 2


def test_only_the_files_with_findings_are_read_again(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keylint.cache, "_SETTLE_NS", 0)  # trust signatures of files written just now
    root = project(FILES)
    cache = tmp_path / "cache"
    expected = _result(scan_project(root, cache_dir=cache))
    opened = _reads(monkeypatch)
    assert _result(scan_project(root, cache_dir=cache)) == expected
    assert sorted(opened) == ["settings.py", "tokens.py"]  # for the findings' source lines only

    # same size and modification time, other content: the inode's change time still tells
    info = os.stat(root / "app/util.py")
    (root / "app/util.py").write_text("def helper():\n    return 2\n")
    os.utime(root / "app/util.py", ns=(info.st_atime_ns, info.st_mtime_ns))
    assert os.stat(root / "app/util.py").st_size == info.st_size
    cold = _result(scan_project(root))
    opened.clear()
    assert _result(scan_project(root, cache_dir=cache)) == cold
    assert "util.py" in opened


def test_files_modified_just_before_a_scan_are_hashed_again(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(FILES)  # written just now: a later write could share the timestamp tick
    cache = tmp_path / "cache"
    expected = _result(scan_project(root, cache_dir=cache))
    opened = _reads(monkeypatch)
    assert _result(scan_project(root, cache_dir=cache)) == expected
    assert {"util.py", "README.md", "keylint.toml", "__init__.py"} <= set(opened)


def test_damaged_or_crafted_analyses_and_line_hashes_are_ignored(project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(FILES)
    cache = tmp_path / "cache"
    expected = _result(scan_project(root))
    assert _result(scan_project(root, cache_dir=cache)) == expected
    marker = tmp_path / "RAN"
    code = compile(f"open({str(marker)!r}, 'w')", "<crafted>", "exec")
    crafted = [
        b"\x00garbage",
        marshal.dumps(code),
        marshal.dumps(((("KL101", "app/settings.py", (1, 1, 1, 1), "m", "t", None, (), "not-a-severity", ""),), (), 1)),
        marshal.dumps({"not": "an analysis"}),
    ]
    calls = _checks_run(monkeypatch)
    for bad in crafted:
        db = sqlite3.connect(cache / "facts-v1.sqlite")
        with db:
            db.execute("UPDATE analyses SET data = ?", (bad,))
            db.execute("UPDATE lines SET data = ?", (bad,))
        db.close()
        assert _result(scan_project(root, cache_dir=cache)) == expected
    assert len(calls) == len(crafted)  # each damaged analysis was recomputed, not trusted
    assert not marker.exists()
