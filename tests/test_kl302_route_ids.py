"""KL302 on projects made on the fly: which URL values count as sequential keys, and the severity."""

from __future__ import annotations

from conftest import scan_project

MODELS = (
    "from flask_sqlalchemy import SQLAlchemy\n"
    "db = SQLAlchemy()\n"
    "class Note(db.Model):\n"
    "    id = db.Column(db.Integer, primary_key=True)\n"
    "    slug = db.Column(db.String, unique=True)\n"
)


def _kl302(root) -> dict[tuple[str, int], str]:
    return {(f.location.path, f.location.span.line): f.severity.value for f in scan_project(root, select=["KL302"]).findings}


def test_lookup_through_a_helper_in_another_module(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/crud.py": "from app.models import Note, db\ndef fetch(note_id):\n    return db.session.get(Note, note_id)\n",
            "app/views.py": (
                "from flask import Blueprint\n"
                "from app.crud import fetch\n"
                "bp = Blueprint('notes', __name__)\n"
                "@bp.route('/notes/<int:nid>')\n"
                "def show(nid):\n"
                "    return fetch(nid).slug\n"
            ),
        }
    )
    assert _kl302(root) == {("app/views.py", 4): "medium"}  # public: anybody can count


def test_a_slug_lookup_and_an_unused_integer_are_silent(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/views.py": (
                "from flask import Blueprint\n"
                "from app.models import Note\n"
                "bp = Blueprint('notes', __name__)\n"
                "@bp.route('/notes/<slug>')\n"
                "def show(slug):\n"
                "    return Note.query.filter_by(slug=slug).first_or_404().slug\n"
                "@bp.route('/pages/<int:page>')\n"
                "def page(page):\n"
                "    return str(page)\n"
            ),
        }
    )
    assert _kl302(root) == {}


def test_authenticated_routes_are_low(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/views.py": (
                "from flask import Blueprint\n"
                "from flask_login import login_required\n"
                "from app.models import Note\n"
                "bp = Blueprint('notes', __name__)\n"
                "@bp.route('/notes/<int:nid>')\n"
                "@login_required\n"
                "def show(nid):\n"
                "    return Note.query.get_or_404(nid).slug\n"
            ),
        }
    )
    assert _kl302(root) == {("app/views.py", 5): "low"}


def _flask_view(body: str) -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/perms.py": "def can_modify(user, note):\n    return note.slug.startswith(user.name)\n",
        "app/views.py": (
            "from flask import Blueprint, abort, g\n"
            "from app.models import Note\n"
            "from app.perms import can_modify\n"
            "bp = Blueprint('notes', __name__)\n"
            "@bp.route('/notes/<int:nid>')\n"
            "def show(nid):\n"
            "    note = Note.query.get_or_404(nid)\n" + body + "    return note.slug\n"
        ),
    }


def test_a_public_route_whose_handler_checks_the_caller_against_the_object_is_low(project) -> None:
    assert _kl302(project(_flask_view("    if not can_modify(g.user, note):\n        abort(403)\n"))) == {("app/views.py", 5): "low"}


def test_a_public_route_without_a_check_stays_medium(project) -> None:
    assert _kl302(project(_flask_view("    print(note)\n"))) == {("app/views.py", 5): "medium"}


def test_alias_urls_served_by_one_lookup_are_one_finding(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/views.py": (
                "from flask import Blueprint\n"
                "from app.models import Note\n"
                "bp = Blueprint('notes', __name__)\n"
                "def show(nid):\n"
                "    return Note.query.get_or_404(nid).slug\n"
                "bp.add_url_rule('/notes/<int:nid>', view_func=show)\n"
                "bp.add_url_rule('/legacy/notes/<int:nid>', view_func=show)\n"
            ),
        }
    )
    report = scan_project(root, select=["KL302"])
    assert [(f.location.path, f.location.span.line) for f in report.findings] == [("app/views.py", 6)]
    assert [r.message for r in report.findings[0].related] == ["primary key of Note", "also served as ANY /legacy/notes/<int:nid>"]
