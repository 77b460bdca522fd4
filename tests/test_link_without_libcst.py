"""Linking reads plain facts: with LibCST unavailable, `keylint.link` and `keylint.checks` still link a
project from facts extracted elsewhere (a worker, the cache) and find the same things."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from keylint.catalog import load_catalog
from keylint.config import load_config
from keylint.discover import discover
from keylint.engine import ScanOptions, _extract_all
from keylint.extract.facts import FileFacts
from keylint.extract.routes.facts import FAMILY

# The facts of this project reach every family's linker: a route that mints, a model looked up by id.
_APP = '''import jwt
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.route("/support/token", methods=["POST"])
def support_token():
    return {"token": jwt.encode({"sub": request.json["user"]}, "support-signing-key-0001", algorithm="HS256")}


@app.route("/accounts/<int:account_id>")
def account(account_id):
    return {"name": Account.query.get(account_id).name}
'''

# Run in a fresh interpreter where `import libcst` fails; prints what it linked as JSON.
_BLOCKED = "import sys\nsys.modules['libcst'] = None  # `import libcst` raises ImportError from here on\n"
_ROUTES = _BLOCKED + """
import json, pickle
from keylint.catalog import load_catalog
from keylint.link import Project
from keylint.link.routes import RouteProject
facts = pickle.load(open(sys.argv[1], "rb"))
routes = RouteProject(Project(facts), load_catalog()).routes()
print(json.dumps(sorted([r.label, r.access.state] for r in routes)))
"""
_CHECKS = _BLOCKED + """
import json, pickle
from keylint.catalog import load_catalog
from keylint.checks import run_checks
from keylint.checks.base import Context
from keylint.link import Project
facts = pickle.load(open(sys.argv[1], "rb"))
drafts = run_checks(Context(Project(facts), load_catalog()), lambda code: True)
print(json.dumps(sorted([d.code, d.path, d.span.line, d.token] for d in drafts)))
"""


def _facts(root: Path) -> list[FileFacts]:
    config = load_config(root)
    facts, _, _ = _extract_all(config, load_catalog(), discover(config).files, ScanOptions(jobs=1))
    return facts


def _run_blocked(script: str, facts: list[FileFacts], tmp_path: Path) -> object:
    stored = tmp_path / "facts.pickle"
    stored.write_bytes(pickle.dumps(facts))
    done = subprocess.run([sys.executable, "-c", script, str(stored)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_route_linker_links_facts_without_libcst(project, tmp_path: Path) -> None:
    from keylint.link import Project
    from keylint.link.routes import RouteProject

    facts = _facts(project({"app.py": _APP}))
    for f in facts:  # the route linker's own facts only: the other families are tested below
        if f.python is not None:
            f.python.families = {FAMILY: f.python.families[FAMILY]}
    here = sorted([r.label, r.access.state] for r in RouteProject(Project(facts), load_catalog()).routes())
    assert here == [["GET /accounts/<int:account_id>", "public"], ["POST /support/token", "public"]]
    assert _run_blocked(_ROUTES, facts, tmp_path) == here


def test_link_and_checks_work_without_libcst(project, tmp_path: Path) -> None:
    from keylint.checks import run_checks
    from keylint.checks.base import Context
    from keylint.link import Project

    facts = _facts(project({"app.py": _APP}))
    drafts = run_checks(Context(Project(facts), load_catalog()), lambda code: True)
    here = sorted([d.code, d.path, d.span.line, d.token] for d in drafts)
    assert {code for code, *_ in here} >= {"KL101", "KL201", "KL302", "KL403"}
    assert _run_blocked(_CHECKS, facts, tmp_path) == here
