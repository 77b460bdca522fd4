"""`IdExposure.token_subjects`: the mints whose subject is a sequential primary key (issue 14 reads it)."""

from __future__ import annotations

from pathlib import Path

from keylint.catalog import load_catalog
from keylint.checks.base import Context
from keylint.extract import extract_file
from keylint.link import Project


def _context(root: Path) -> Context:
    catalog = load_catalog()
    files = [extract_file(p.relative_to(root).as_posix(), p.read_bytes(), catalog) for p in sorted(root.rglob("*.py"))]
    return Context(Project(files), catalog)


_MODELS = (
    "import uuid\n"
    "from app import db\n"
    "class User(db.Model):\n"
    "    id = db.Column(db.Integer, primary_key=True)\n"
    "    email = db.Column(db.String(120))\n"
    "class Device(db.Model):\n"
    "    id = db.Column(db.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))\n"
)

_AUTH = (
    "import jwt\n"
    "from flask import request\n"
    "from flask_jwt_extended import create_access_token\n"
    "from app.models import Device, User\n"
    "def login():\n"
    "    user = User.query.filter_by(email=request.json['email']).first()\n"
    "    return create_access_token(identity=user.id)\n"
    "def legacy_login():\n"
    "    account = User.query.filter_by(email=request.json['email']).first()\n"
    "    return jwt.encode({'sub': str(account.id)}, 'k', algorithm='HS256')\n"
    "def by_email():\n"
    "    user = User.query.filter_by(email=request.json['email']).first()\n"
    "    return create_access_token(identity=user.email)\n"
    "def device_token():\n"
    "    device = Device.query.get(request.json['device'])\n"
    "    return create_access_token(identity=device.id)\n"
)


def test_a_sequential_key_minted_as_the_subject_is_a_token_subject(project) -> None:
    root = project({"app/__init__.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n", "app/models.py": _MODELS, "app/auth.py": _AUTH})
    ids = _context(root).ids
    found = {(t.path, t.function, t.span.line, t.subject, t.pk.model) for t in ids.token_subjects}
    user = ("app/models.py", "User")
    assert found == {
        ("app/auth.py", "login", 7, "user.id", user),
        ("app/auth.py", "legacy_login", 10, "str(account.id)", user),
    }
    assert ids.is_token_subject(user)
    assert not ids.is_token_subject(("app/models.py", "Device"))  # its key is a string


def test_an_unsigned_cookie_set_to_a_sequential_key_is_a_token_subject(project) -> None:
    views = (
        "from django.http import HttpResponse\n"
        "from shop.models import Customer\n"
        "def remember(request):\n"
        "    customer = Customer.objects.get(email=request.POST['email'])\n"
        "    response = HttpResponse('ok')\n"
        "    response.set_cookie('customer', customer.id)\n"
        "    response.set_cookie('greeting', customer.email)\n"
        "    return response\n"
    )
    models = "from django.db import models\nclass Customer(models.Model):\n    email = models.EmailField()\n"
    root = project({"shop/models.py": models, "shop/views.py": views})
    found = [(t.path, t.function, t.span.line, t.kind, t.subject, t.pk.model) for t in _context(root).ids.token_subjects]
    assert found == [("shop/views.py", "remember", 6, "cookie", "customer.id", ("shop/models.py", "Customer"))]
