"""What the linkers build over a project is freed with it (a laptop sweep links many projects)."""

from __future__ import annotations

import gc
import weakref

from conftest import FIXTURES
from keylint.catalog import load_catalog
from keylint.checks.base import Context
from keylint.extract import extract_file
from keylint.link import Project


def test_linked_views_are_built_once_and_do_not_keep_projects_alive() -> None:
    catalog = load_catalog()
    root = FIXTURES / "kl2-flask"
    files = [extract_file(p.relative_to(root).as_posix(), p.read_bytes(), catalog) for p in sorted(root.rglob("*.py"))]
    ctx = Context(Project(files), catalog)
    assert ctx.routes is ctx.routes  # built once per context, shared by its checks
    assert ctx.tokens is ctx.tokens
    assert ctx.models is ctx.models
    assert ctx.keys is ctx.keys
    assert ctx.routes.topology.project is ctx.project
    alive = weakref.ref(ctx.project)
    del ctx
    gc.collect()
    assert alive() is None
