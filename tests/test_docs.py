"""Every rule is documented, and the README's rule table matches the catalog."""

from __future__ import annotations

import re

from conftest import REPO
from keylint.catalog import load_catalog

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References")


def test_every_rule_has_a_complete_doc_page() -> None:
    for rule in load_catalog().rules:
        assert rule.doc.startswith(f"# {rule.code} {rule.name}\n"), rule.code
        positions = [rule.doc.find(s) for s in SECTIONS]
        assert all(p > 0 for p in positions) and positions == sorted(positions), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)


def test_readme_rule_table_is_in_sync() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- rules-table")[1].split("<!-- /rules-table -->")[0]
    rows = re.findall(r"^\| (KL\d{3}) \| ([a-z0-9-]+) \| (\w+) \| (.+) \|$", table, re.MULTILINE)
    expected = [(r.code, r.name, r.severity.value, r.summary) for r in load_catalog().rules]
    assert rows == expected
