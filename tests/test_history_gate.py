"""The history gate bounds from above the keys a Python file can give: every key the real
analysis (LibCST, the linker, the KL1xx checks) finds in a file is among its candidates, or the
candidates say "unknown". Checked on every Python file of the fixtures and on flows written
for the purpose."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import FIXTURES
from keylint.catalog import load_catalog
from keylint.config import load_config
from keylint.extract import decode
from keylint.extract.secrets import scan_text
from keylint.history.analysis import analyse
from keylint.history.gate import UNKNOWN, Gate
from keylint.workers import Limits


def _python_keys(path: str, data: bytes, root: Path) -> tuple[set[str], bool]:
    """The keys of the Python rules' findings in this one file, and whether some has none."""
    config = load_config(root)
    result = analyse([(path, data)], config, load_catalog(), jobs=1, limits=Limits())[0]
    text = decode(data)[0]
    detected = {(f.code, f.span.line) for f in scan_text(path, text)}
    python = [f for f in result.findings if (f.code, f.location.span.line) not in detected]
    return {f.key for f in python if f.key}, any(not f.key for f in python)


def _holds(source: str, root: Path, path: str = "app/mod.py") -> frozenset[str]:
    data = source.encode()
    candidates = Gate(load_catalog()).candidates(decode(data)[0])
    keys, keyless = _python_keys(path, data, root)
    if UNKNOWN not in candidates:
        assert not keyless and keys <= candidates, (keys - candidates, keyless)
    return candidates


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_key_is_a_candidate(path: Path) -> None:
    project = path.relative_to(FIXTURES).parts[0]
    source = path.read_text(encoding="utf-8", errors="surrogateescape")
    _holds(source, FIXTURES / project, path.relative_to(FIXTURES / project).as_posix())


FLOWS = {
    "through names": 'import jwt\nA = "gate-key-through-names-00000001"\nB = A\n\ndef t(c):\n    return jwt.encode(c, B)\n',
    "through a function and a parameter": (
        'import jwt\n\ndef key(default="gate-key-param-default-0000002"):\n    return default\n\n'
        'def t(c):\n    return jwt.encode(c, key())\n'
    ),
    "through a class attribute": (
        'import jwt\n\nclass Signer:\n    KEY = "gate-key-class-attribute-00003"\n\n    def t(self, c):\n        return jwt.encode(c, self.KEY)\n'
    ),
    "through a dict item": 'import jwt\nKEYS = {"main": "gate-key-dict-item-000000000004"}\n\ndef t(c):\n    return jwt.encode(c, KEYS["main"])\n',
    "an environment default": 'import os\nJWT_SECRET = os.environ.get("JWT_SECRET", "gate-key-env-default-00000005")\n',
    "an env object": 'import environ\nenv = environ.Env()\nSIGNING = env("JWT_SECRET", default="gate-key-env-object-000000006")\n',
    "a config read": 'from flask import Flask\napp = Flask(__name__)\napp.config["APP_SECRET"] = "gate-key-config-read-00000007"\nkey = app.config.get("APP_SECRET")\n',
    "settings": 'from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    jwt_secret: str = "gate-key-pydantic-default-0008"\n',
    "an or fallback": 'import os\nSECRET_KEY = os.environ.get("K") or "gate-key-or-fallback-000000009"\n',
    "a concatenation": 'import jwt\nPART = "gate-key-concat-"\n\ndef t(c):\n    return jwt.encode(c, PART + "0000000010")\n',
    "bytes and encode": 'import hmac\nKEY = "gate-key-encoded-0000000000011".encode()\nh = hmac.new(KEY, b"m", "sha256")\n',
}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flows_the_linker_follows_are_bounded(name: str, tmp_path: Path) -> None:
    (tmp_path / "keylint.toml").write_text("")
    candidates = _holds(FLOWS[name], tmp_path)
    assert UNKNOWN not in candidates  # each is bounded by literals, not by giving up


def test_what_cannot_be_bounded_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "keylint.toml").write_text("")
    for source in (
        "import random\nSECRET_KEY = str(random.random())\n",  # a weak key: no literal names it
        'KEY = {"kty": "oct", "k": "Z2F0ZS1qd2stMDE"}\n',  # a JWK
        'SECRET_KEY = "gate-key-newer-syntax-000000012"\nmatch = = 1\n',  # CPython cannot parse it
        'SECRET_KEY = "gate-key-python-two-except-0016"\nDOC = """\nexcept ValueError, e:\n"""\ntry:\n    pass\nexcept ValueError, e:\n    pass\n',  # rewriting would touch a string
        'SECRET_KEY = f"gate-key-fstring-no-fields-13"\n',  # a literal spelled as an f-string
    ):
        assert UNKNOWN in _holds(source, tmp_path)


def test_python_2_has_no_candidates_since_no_parser_reads_it(tmp_path: Path) -> None:
    (tmp_path / "keylint.toml").write_text("")
    for source in ('print "hi"\nSECRET_KEY = "gate-key-python-two-00000000014"\n', 'SECRET_KEY = "gate-key-python-two-00000000015"\nexec code in namespace\n'):
        assert _holds(source, tmp_path) == frozenset()
        assert _python_keys("app/mod.py", source.encode(), tmp_path) == (set(), False)


def test_python_2_except_clauses_are_read_as_python_3(tmp_path: Path) -> None:
    (tmp_path / "keylint.toml").write_text("")
    source = 'import jwt\nKEY = "gate-key-python-two-except-0017"\ntry:\n    pass\nexcept (ValueError, KeyError), e:\n    jwt.encode({}, KEY)\n'
    assert _holds(source, tmp_path) == {_sha("gate-key-python-two-except-0017")}
    assert _python_keys("app/mod.py", source.encode(), tmp_path)[0] == {_sha("gate-key-python-two-except-0017")}


def test_modules_without_a_reachable_literal_have_no_candidates(tmp_path: Path) -> None:
    (tmp_path / "keylint.toml").write_text("")
    source = (
        "import os\nfrom itsdangerous import URLSafeTimedSerializer\n\n"
        "class Config:\n    secret_key = ConfigAttribute('SECRET_KEY')\n\n"
        "defaults = {'SECRET_KEY': None}\n\n"
        "def serializer(app):\n    if not app.secret_key:\n        raise RuntimeError('no secret key was set')\n"
        "    return URLSafeTimedSerializer(app.secret_key, salt='cookie-session')\n"
    )
    assert _holds(source, tmp_path) == frozenset()
    assert _sha("cookie-session") not in _holds(source, tmp_path)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_key_rules_need_only_the_key_visitor(path: Path) -> None:
    # history extracts with the key visitor alone; a file's KL1xx findings must not change
    from keylint.extract import extract_file
    from keylint.history.analysis import _checked

    project = FIXTURES / path.relative_to(FIXTURES).parts[0]
    config, catalog = load_config(project), load_catalog()
    rel, data = path.relative_to(project).as_posix(), path.read_bytes()
    full = _checked(extract_file(rel, data, catalog), data, config, catalog, {})
    keys = _checked(extract_file(rel, data, catalog, keys_only=True), data, config, catalog, {})
    # a library left on its published default secret (KL101 without key material, from the token
    # facts) is a fact of the tree, not a key a version holds: the tree scan reports it
    assert keys.findings == tuple(f for f in full.findings if f.code != "KL101" or f.key)
