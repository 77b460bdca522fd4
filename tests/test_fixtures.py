"""Every fixture project is scanned for real and must give exactly the findings it annotates (and the
severities, where an annotation states one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, scan_project
from expectations import annotated, expected_findings, expected_paths, expected_severities
from keylint.config import load_config
from keylint.discover import discover

PROJECTS = sorted(p for p in FIXTURES.iterdir() if (p / "keylint.toml").is_file())


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_fixture_project_gives_exactly_its_annotated_findings(root: Path) -> None:
    files = list(discover(load_config(root)).files)
    expected = expected_findings(root, files)
    report = scan_project(root)
    found = {(f.location.path, f.location.span.line, f.code) for f in report.findings}
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    details = {(f.location.path, f.location.span.line, f.code): f.message for f in report.findings}
    assert not missing and not unexpected, (
        "missing:\n" + "\n".join(f"  {p}:{line} {c}" for p, line, c in missing)
        + "\nunexpected:\n" + "\n".join(f"  {p}:{line} {c}  {details[(p, line, c)]}" for p, line, c in unexpected)
    )
    assert not [e for e in report.errors if e.kind != "decode"], report.errors
    # `# expect: KL301 low`: where an annotation states a severity, the evidence must give that one
    stated = expected_severities(root, files)
    severity = {(f.location.path, f.location.span.line, f.code): f.severity.value for f in report.findings}
    wrong = sorted(f"{p}:{line} {c}: {severity.get((p, line, c))} (stated {level})" for (p, line, c), level in stated.items() if severity.get((p, line, c)) != level)
    assert not wrong, "wrong severity:\n" + "\n".join(wrong)


@pytest.mark.parametrize("root", PROJECTS, ids=[p.name for p in PROJECTS])
def test_fixture_project_gives_exactly_its_expected_paths(root: Path) -> None:
    """Master-key paths are checked like findings: where, how severe, and every step in order."""
    report = scan_project(root)
    found = {
        (f"{f.location.path}:{f.location.span.line}", f.severity.value, tuple(f"{r.location.path}:{r.location.span.line}" for r in f.steps))
        for f in report.findings
        if f.code == "KL001"
    }
    expected = expected_paths(root)
    assert found == expected, f"missing: {sorted(expected - found)}\nunexpected: {sorted(found - expected)}"
    assert all(f.steps for f in report.findings if f.code == "KL001")


def test_every_rule_has_a_fixture_that_fires() -> None:
    from keylint.catalog import load_catalog

    fired: set[str] = set()
    for root in PROJECTS:
        fired |= {code for _, _, code in expected_findings(root, list(discover(load_config(root)).files))}
    assert {r.code for r in load_catalog().rules} <= fired


def _fired_todos(root: Path) -> set[tuple[str, int, str]]:
    files = list(discover(load_config(root)).files)
    todo = annotated(root, files, "todo-expect")
    if not todo:
        return set()
    return todo & {(f.location.path, f.location.span.line, f.code) for f in scan_project(root).findings}


def test_todo_expectations_do_not_fire_yet() -> None:
    """A `# todo-expect:` marks a known miss; once it fires, the annotation must become `# expect:`."""
    fired = {(root.name, *hit) for root in PROJECTS for hit in _fired_todos(root)}
    assert not fired, f"now found, turn these into `# expect:`: {sorted(fired)}"


def test_a_todo_expectation_that_fires_is_caught(project) -> None:
    root = project({"app/auth.py": "import jwt\n# todo-expect: KL101\nTOKEN = jwt.encode({'exp': 1}, 'todo-annotated-key-0001')\n"})
    assert _fired_todos(root) == {("app/auth.py", 3, "KL101")}
