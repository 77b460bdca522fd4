"""Keys followed across modules, and paths that choose where findings are reported."""

from __future__ import annotations

from conftest import scan_project

SETTINGS_AND_AUTH = {
    "app/__init__.py": "",
    "app/settings.py": 'JWT_KEY = "defined-in-settings-module-0001"\n',
    "app/auth.py": "import jwt\nfrom app.settings import JWT_KEY\n\ndef token(u):\n    return jwt.encode({'sub': u, 'exp': 1}, JWT_KEY)\n",
    "app/other.py": 'SECRET_KEY = "unrelated-key-in-another-file"\n',
}


def _found(report):
    return {(f.location.path, f.location.span.line, f.code) for f in report.findings}


def test_key_imported_from_settings_is_found(project) -> None:
    report = scan_project(project(SETTINGS_AND_AUTH))
    assert ("app/settings.py", 1, "KL101") in _found(report)
    (f,) = [f for f in report.findings if f.location.path == "app/settings.py"]
    assert "jwt.encode" in f.message and {r.location.path for r in f.related} == {"app/auth.py"}


def test_passing_only_the_user_of_a_key_still_reports_it(project) -> None:
    root = project(SETTINGS_AND_AUTH)
    assert _found(scan_project(root, selected=["app/auth.py"])) == {("app/settings.py", 1, "KL101")}
    assert _found(scan_project(root, selected=["app/other.py"])) == {("app/other.py", 1, "KL101")}


def test_pydantic_settings_object_and_django_settings(project) -> None:
    root = project(
        {
            "core/config.py": "from pydantic import BaseModel\nclass Settings:\n    JWT_SECRET = 'plain-class-attribute-key-01'\nsettings = Settings()\n",
            "core/security.py": "from jose import jwt\nfrom core.config import settings\ndef t(s):\n    return jwt.encode({'sub': s, 'exp': 1}, settings.JWT_SECRET)\n",
            "proj/settings.py": "SECRET_KEY = 'django-settings-secret-key-02'\n",
            "proj/signing_use.py": "from django.conf import settings\nfrom django.core import signing\nsigning.dumps({}, key=settings.SECRET_KEY)\n",
        }
    )
    report = scan_project(root)
    assert _found(report) == {("core/config.py", 3, "KL101"), ("proj/settings.py", 1, "KL101")}
    by_path = {f.location.path: f for f in report.findings}
    assert "jose.jwt.encode" in by_path["core/config.py"].message
    assert {r.location.path for r in by_path["proj/settings.py"].related} == {"proj/signing_use.py"}


def test_star_imports_and_helper_returns(project) -> None:
    root = project(
        {
            "keys/base.py": "def signing_key():\n    return 'returned-from-a-helper-0003'\n",
            "keys/__init__.py": "from .base import *\n",
            "svc.py": "import hmac\nfrom keys import signing_key\nhmac.new(signing_key().encode(), b'x', 'sha256')\n",
        }
    )
    assert _found(scan_project(root)) == {("keys/base.py", 2, "KL101")}


def test_cyclic_imports_terminate(project) -> None:
    root = project(
        {
            "a.py": "from b import KEY\nimport jwt\njwt.encode({'exp': 1}, KEY)\n",
            "b.py": "from a import KEY\n",
        }
    )
    assert _found(scan_project(root)) == set()


def test_key_helper_reexported_through_a_package_keeps_both_findings(project) -> None:
    """`from .base import signing_key` in a package `__init__`, then `from keys import signing_key`:
    the key is found as a literal (KL101) and as one key serving two purposes (KL401), because value
    origin and key identity follow the same re-export."""
    root = project(
        {
            "keys/__init__.py": "from .base import signing_key\n",
            "keys/base.py": "def signing_key():\n    return 'one-key-behind-a-reexport-04'\n",
            "tokens.py": (
                "import jwt\nfrom keys import signing_key\n\n"
                "def user_token(uid):\n    return jwt.encode({'sub': uid, 'exp': 1}, signing_key())\n\n"
                "def admin_token(uid):\n    return jwt.encode({'sub': uid, 'role': 'admin', 'exp': 1}, signing_key())\n"
            ),
        }
    )
    found = _found(scan_project(root, select=["KL101", "KL401"]))
    assert found == {("keys/base.py", 2, "KL101"), ("tokens.py", 8, "KL401")}
