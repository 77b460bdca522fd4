"""The byte-level prefilter changes which modules are parsed, never which findings are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, scan_project
from keylint.config import load_config
from keylint.engine import ScanOptions, _extract_all
from keylint.catalog import load_catalog
from keylint.discover import discover
from keylint.extract.prefilter import worth_parsing

PROJECTS = sorted(p for p in FIXTURES.iterdir() if (p / "keylint.toml").is_file())


def _findings(report):
    return [(f.location.path, f.location.span, f.code, f.message, f.fingerprint) for f in report.findings]


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_fixture_findings_are_the_same_with_and_without_the_prefilter(root: Path) -> None:
    assert _findings(scan_project(root, prefilter=True)) == _findings(scan_project(root, prefilter=False))


def test_an_unremarkable_module_is_not_parsed_unless_imported(project) -> None:
    root = project(
        {
            "consts.py": 'A = "a-literal-in-a-module-with-no-key-words"\n',  # nothing a family looks for
            "auth.py": "import jwt\nfrom consts import A\n\ndef t(u):\n    return jwt.encode({'sub': u, 'exp': 1}, A)\n",
            "maths.py": "def add(a, b):\n    return a + b\n",
        }
    )
    assert not worth_parsing((root / "consts.py").read_bytes()) and worth_parsing((root / "auth.py").read_bytes())
    config = load_config(root)
    facts, _, _ = _extract_all(config, load_catalog(), discover(config).files, ScanOptions(jobs=1, file_timeout=None))
    by_path = {f.path: f for f in facts}
    assert by_path["maths.py"].deferred and by_path["maths.py"].python is None  # never needed
    assert not by_path["consts.py"].deferred and by_path["consts.py"].python is not None  # imported by auth.py
    found = {(f.location.path, f.code) for f in scan_project(root).findings}
    assert ("consts.py", "KL101") in found


def test_accepted_module_is_not_parsed_twice(monkeypatch) -> None:
    """A deferred module extracted in full later was already accepted by CPython's parser: the
    nesting guard, which parses it again with CPython, is skipped; otherwise it runs."""
    import keylint.extract as extract
    from keylint.catalog import load_catalog

    calls: list[str] = []
    monkeypatch.setattr(extract, "_refused_nesting", lambda text: calls.append(text) or None)
    source = b"SECRET_KEY = 'abc'\n"
    assert extract.extract_file("m.py", source, load_catalog(), accepted=True).python is not None
    assert calls == []
    assert extract.extract_file("m.py", source, load_catalog()).python is not None
    assert calls == [source.decode()]
