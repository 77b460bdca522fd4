"""KL4xx key separation: which key a signing site uses, and how findings name it."""

from __future__ import annotations

from conftest import FIXTURES, scan_project
from keylint.catalog import load_catalog
from keylint.link.project import Project
from keylint.link.tokens import KeyAtom, TokenProject


def _describe(*atoms: KeyAtom) -> str:
    return TokenProject(Project([]), load_catalog()).describe_key(frozenset(atoms))


def test_key_atoms_are_values_and_name_the_key_as_before() -> None:
    # KL401's fingerprint token holds this text: it must not change with the representation
    assert _describe(KeyAtom("setting", "SECRET_KEY"), KeyAtom("setting", "JWT_SECRET_KEY"), KeyAtom("env", "X")) == "the key in JWT_SECRET_KEY = SECRET_KEY"
    assert _describe(KeyAtom("env", "B_KEY"), KeyAtom("env", "A_KEY")) == "the key from environment variable A_KEY"
    assert _describe(KeyAtom("binding", "USER_KEY", "svc/keys.py", "", ("secret",))) == "the key USER_KEY.secret"
    assert _describe(KeyAtom("literal", "0" * 64)) == "one hard-coded key"
    assert _describe(KeyAtom("weak", "3:7", "a.py")) == "one key"


def test_an_attribute_of_one_opaque_constant_is_one_key(project) -> None:
    root = project(
        {
            "svc/keys.py": "from .kms import load\nUSER_KEY = load('user')\n",
            "svc/kms.py": "def load(name):\n    return fetch(name)\n",
            "svc/tokens.py": (
                "import jwt\nfrom .keys import USER_KEY\n\n"
                "def user_token(u):\n    return jwt.encode({'sub': u, 'exp': 1, 'aud': 'api'}, USER_KEY.secret, algorithm='HS256')\n\n"
                "def admin_token(u):\n    return jwt.encode({'sub': u, 'exp': 1, 'aud': 'admin', 'role': 'admin'}, USER_KEY.secret, algorithm='HS256')\n"
            ),
        }
    )
    findings = [f for f in scan_project(root, select=["KL401"]).findings]
    assert [(f.location.path, f.location.span.line) for f in findings] == [("svc/tokens.py", 8)]
    assert "the key USER_KEY.secret" in findings[0].message


def _severities(root, codes: tuple[str, ...] = ("KL401",)) -> dict[tuple[str, int, str], str]:
    return {(f.location.path, f.location.span.line, f.code): f.severity.value for f in scan_project(root).findings if f.code in codes}


_DEFAULT_KEY_APP = {
    "conduit/__init__.py": "",
    "conduit/settings.py": "import os\n\nclass Config:\n    SECRET_KEY = os.environ['CONDUIT_SECRET']\n",
    "conduit/app.py": (
        "from flask import Flask\nfrom flask_jwt_extended import JWTManager\n\nfrom .settings import Config\n\n"
        "app = Flask(__name__)\napp.config.from_object(Config)\njwt = JWTManager(app)\n"
    ),
}


def test_the_framework_secret_as_jwt_key_is_high_only_where_the_framework_signs_with_it(project) -> None:
    # an API with no session, flash or CSRF: the secret is the framework's by name only
    assert _severities(project(_DEFAULT_KEY_APP)) == {("conduit/app.py", 8, "KL401"): "low"}


def test_sessions_make_the_framework_secret_a_second_purpose(project) -> None:
    views = "from flask import session\n\nfrom .app import app\n\n\n@app.get('/me')\ndef me():\n    return {'user': session.get('user')}\n"
    assert _severities(project({**_DEFAULT_KEY_APP, "conduit/views.py": views})) == {("conduit/app.py", 8, "KL401"): "high"}


def test_a_library_default_is_reported_low_where_the_library_sets_it() -> None:
    found = _severities(FIXTURES / "kl4-library-defaults", ("KL401", "KL504"))
    assert found == {("graphql_jwt/settings.py", 10, "KL401"): "low", ("graphql_jwt/settings.py", 15, "KL504"): "medium"}


def test_privilege_carried_in_a_claim_is_medium_and_reuse_for_encryption_high() -> None:
    found = _severities(FIXTURES / "kl4-key-reuse")
    assert found[("vault/tokens.py", 32, "KL401")] == "medium"
    assert found[("vault/crypto.py", 13, "KL401")] == "high"


def test_one_finding_per_key_and_purpose_with_the_other_sites_related() -> None:
    findings = [f for f in scan_project(FIXTURES / "kl-libraries-fastapi").findings if f.code == "KL401"]
    reset = next(f for f in findings if f.location.span.line == 17)
    assert {(r.location.path, r.location.span.line) for r in reset.related} >= {("app/users.py", 20), ("app/users.py", 30), ("app/users.py", 39)}
    assert "OAuth state tokens" in reset.message and "user access tokens" in reset.message
