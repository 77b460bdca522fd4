"""What the linkers build over a project is freed with it (a laptop sweep links many projects)."""

from __future__ import annotations

import gc
import weakref

from conftest import FIXTURES
from keylint.catalog import load_catalog
from keylint.extract import extract_file
from keylint.link import Project
from keylint.link.models import model_index
from keylint.link.routes import route_project
from keylint.link.tokens import token_project


def test_linked_views_do_not_keep_projects_alive() -> None:
    catalog = load_catalog()
    root = FIXTURES / "kl2-flask"
    files = [extract_file(p.relative_to(root).as_posix(), p.read_bytes(), catalog) for p in sorted(root.rglob("*.py"))]
    project = Project(files)
    assert route_project(project, catalog) is route_project(project, catalog)  # built once per project
    assert token_project(project, catalog) is token_project(project, catalog)
    assert model_index(project, catalog) is model_index(project, catalog)
    alive = weakref.ref(project)
    del project
    gc.collect()
    assert alive() is None
