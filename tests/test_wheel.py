"""The wheel lists every package of the source tree, so a new folder cannot be left out of it."""

from __future__ import annotations

import tomllib

from conftest import REPO


def test_pyproject_lists_every_package_of_the_tree() -> None:
    setup = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setup["packages"])
    code = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "keylint").rglob("__init__.py")}
    data = {"keylint.rules", *("keylint.rules." + ".".join(p.relative_to(REPO / "rules").parts) for p in (REPO / "rules").iterdir() if p.is_dir() and p.name != "__pycache__")}
    assert {"keylint.link", "keylint.link.routes", "keylint.rules.docs"} <= code | data
    assert listed == code | data, f"missing from pyproject: {sorted(code | data - listed)}; not in the tree: {sorted(listed - code - data)}"
    assert setup["package-dir"]["keylint.rules"] == "rules"
