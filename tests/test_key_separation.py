"""KL4xx key separation: which key a signing site uses, and how findings name it."""

from __future__ import annotations

from conftest import scan_project
from keylint.link.tokens import KeyAtom, TokenProject
from keylint.catalog import load_catalog
from keylint.link.project import Project


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
