"""The fact cache and worker processes change speed, never findings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import FIXTURES, scan_project


def _key(report):
    return [(f.location.path, f.location.span, f.code, f.message, f.fingerprint) for f in report.findings]


def test_findings_identical_with_and_without_cache_and_jobs(tmp_path: Path) -> None:
    for root in sorted(p for p in FIXTURES.iterdir() if (p / "keylint.toml").is_file()):
        cache = tmp_path / root.name
        baseline = _key(scan_project(root, jobs=1))
        cold = scan_project(root, jobs=2, cache_dir=cache)
        warm = scan_project(root, jobs=2, cache_dir=cache)
        assert _key(cold) == baseline == _key(warm), root.name
        assert warm.stats.cached_files == warm.stats.files_scanned


def test_cache_is_owner_only_and_rebuilt_when_the_file_changes(project, tmp_path: Path) -> None:
    root = project({"a.py": 'SECRET_KEY = "cache-test-key-value-00001"\n'})
    cache = tmp_path / "cache"
    scan_project(root, cache_dir=cache)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir() if p.suffix == ".sqlite")
    assert b"cache-test-key-value-00001" not in b"".join(p.read_bytes() for p in cache.iterdir())
    (root / "a.py").write_text('import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n')
    assert scan_project(root, cache_dir=cache).findings == ()


def test_entries_of_another_keylint_build_are_deleted(project, tmp_path: Path, monkeypatch) -> None:
    """Another build's entries can never be read again: the cache does not keep them (it would
    grow by a whole repository's facts with every upgrade), but keeps what does not depend on
    keylint (stat signatures, line hashes)."""
    import sqlite3

    import keylint.cache

    root = project({"a.py": 'SECRET_KEY = "cache-test-key-value-00002"\n', "b.py": "X = 1\n"})
    cache = tmp_path / "cache"

    def count(table: str) -> int:
        with sqlite3.connect(cache / "facts-v1.sqlite") as db:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    first = scan_project(root, cache_dir=cache)
    facts, signatures = count("facts"), count("files")
    assert facts >= 2 and count("analyses") == 1
    assert scan_project(root, cache_dir=cache).findings == first.findings  # same build: entries kept
    assert count("facts") == facts
    monkeypatch.setattr(keylint.cache, "CODE_DIGEST", "another build")
    keylint.cache.FactCache(cache, "catalog").close()
    assert count("facts") == 0 and count("analyses") == 0 and count("files") == signatures
    assert _key(scan_project(root, cache_dir=cache)) == _key(first)
    assert count("facts") == facts
