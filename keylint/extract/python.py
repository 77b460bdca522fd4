"""Python extraction: one LibCST parse and one batched visit per file, producing `PythonFacts`.

Each rule family contributes a `FactVisitor` to `VISITORS`; all of them run in a single read-only
traversal (`keylint.extract.walk`) with no LibCST metadata: positions come from a cheap token pre-pass (`keylint.extract.positions`),
and scopes are the simple lexical chain of classes and functions, which is all the families need.
"""

from __future__ import annotations

import re

import libcst as cst

from keylint.catalog import Catalog
from keylint.extract.facts import FileFinding, PythonFacts
from keylint.extract.keys import KeyVisitor
from keylint.extract.models import ModelVisitor
from keylint.extract.positions import Positions
from keylint.extract.pyvisit import FactVisitor, ModuleState, _Closer, _Opener
from keylint.extract.routes import RouteVisitor
from keylint.extract.tokens import TokenVisitor
from keylint.extract.walk import trivia_skip, walk

# Family visitors, in the order they see each node (after the opener, before the closer).
VISITORS: tuple[type[FactVisitor], ...] = (KeyVisitor, ModelVisitor, TokenVisitor, RouteVisitor)


def module_name(path: str) -> tuple[str, bool]:
    """`app/core/settings.py` -> ("app.core.settings", False); `pkg/__init__.py` -> ("pkg", True)."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi", ".pyw")) else path
    parts = stem.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def extract_python(path: str, module: cst.Module, source: str, catalog: Catalog) -> tuple[PythonFacts, list[FileFinding]]:
    name, is_package = module_name(path)
    facts = PythonFacts(module=name, is_package=is_package)
    findings: list[FileFinding] = []
    state = ModuleState(facts, catalog, findings, Positions(module, source))
    visitors = [_Opener(state), *(cls(state) for cls in VISITORS), _Closer(state)]
    walk(module, visitors, trivia_skip(visitors))
    return facts, findings


# The byte-level prefilter. A Python module is parsed only when its bytes say some family could
# find something in it, or when a parsed module imports it: the engine then extracts it in full, so
# cross-module flows never lose a file (a minting helper, a base model, a view named in urls.py).
# Each family's pattern covers what its visitor records from a module that nothing imports; the test
# suite runs every fixture with the prefilter on and off.
PREFILTER_PATTERNS: dict[str, re.Pattern[bytes]] = {
    # KL1xx, KL4xx, KL5xx: key-like names, signers and token libraries, JWKs
    "keys": re.compile(
        rb"secret|signing|signer|private_?key|hmac|jwt|jws|jwe|jose|jwk|kty|itsdangerous|authlib|salt"
        rb"|(app|master|session|encryption|auth|token|cookie|csrf)_?key",
        re.IGNORECASE,
    ),
    # KL2xx: route declarations and containers (apps, routers, blueprints and where they are
    # mounted), web frameworks, DRF settings, app hooks
    "routes": re.compile(
        rb"route|urlpatterns|flask|quart|fastapi|starlette|aiohttp|sanic|bottle|rest_framework|methodview|blueprint"
        rb"|as_view|add_url_rule|before_request|@\w+(?:\.\w+)*\.(?:get|post|put|patch|delete|api_route|websocket)\(",
        re.IGNORECASE,
    ),
    # KL3xx: model, schema and serializer classes, ORMs, user-model settings, id-carrying dicts
    "models": re.compile(
        rb"class\s+\w+\s*\([^)]*(?:Model|Serializer|Schema|Base)\b|sqlalchemy|sqlmodel|mapped_column|pydantic"
        rb"|marshmallow|peewee|tortoise|AUTH_USER_MODEL|DEFAULT_AUTO_FIELD|default_auto_field|get_user_model"
        rb"|to_dict|jsonify|response_model"
    ),
}


def worth_parsing(data: bytes) -> bool:
    """Could any family find something in this module? (Imported modules are parsed regardless.)"""
    return any(pattern.search(data) for pattern in PREFILTER_PATTERNS.values())
