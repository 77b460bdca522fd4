"""The byte-level prefilter: which Python modules are worth a LibCST parse. Kept apart from the
visitors so that deciding (and the engine, and a warm scan) does not import LibCST."""

from __future__ import annotations

import re

from keylint.extract.key_source_facts import KEY_SOURCE_WORDS

# The byte-level prefilter. A Python module is parsed only when its bytes say some family could
# find something in it, or when a parsed module imports it: the engine then extracts it in full, so
# cross-module flows never lose a file (a minting helper, a base model, a view named in urls.py).
# Each family's words and patterns cover what its visitor records from a module that nothing
# imports; the test suite runs every fixture with the prefilter on and off. Words are plain
# substrings of the lower-cased bytes: one C-level substring search each, several times faster
# than one case-insensitive regex alternation over the same text.
_KEY_QUALIFIERS = ("app", "master", "session", "encryption", "auth", "token", "cookie", "csrf")
PREFILTER_WORDS: dict[str, tuple[bytes, ...]] = {
    # KL1xx, KL4xx, KL5xx: key-like names, signers and token libraries, JWKs
    "keys": (
        b"secret", b"signing", b"signer", b"privatekey", b"private_key", b"hmac", b"jwt", b"jws", b"jwe",
        b"jose", b"jwk", b"kty", b"itsdangerous", b"authlib", b"salt",
        *(q.encode() + b"key" for q in _KEY_QUALIFIERS), *(q.encode() + b"_key" for q in _KEY_QUALIFIERS),
    ),
    # KL505-KL507: key sets, token header members, key loaders and key files
    "key_sources": tuple(w.encode() for w in KEY_SOURCE_WORDS),
    # KL2xx: route declarations and containers (apps, routers, blueprints and where they are
    # mounted), web frameworks, DRF settings, app hooks
    "routes": (
        b"route", b"urlpatterns", b"flask", b"quart", b"fastapi", b"starlette", b"aiohttp", b"sanic", b"bottle",
        b"rest_framework", b"methodview", b"blueprint", b"as_view", b"add_url_rule", b"before_request",
        b"graphene", b"strawberry", b"ariadne", b"graphql", b"connexion",
    ),
    # KL3xx: ORMs and schema libraries, user-model settings, id-carrying dicts and cookies, GraphQL types
    "models": (
        b"sqlalchemy", b"sqlmodel", b"mapped_column", b"pydantic", b"marshmallow", b"peewee", b"tortoise",
        b"auth_user_model", b"default_auto_field", b"get_user_model", b"to_dict", b"jsonify", b"response_model",
        b"graphene", b"set_cookie",
    ),
}  # fmt: skip
PREFILTER_PATTERNS: dict[str, re.Pattern[bytes]] = {
    # KL2xx: `@anything.get(` and the other method decorators
    "routes": re.compile(rb"@\w+(?:\.\w+)*\.(?:get|post|put|patch|delete|api_route|websocket)\(", re.IGNORECASE),
    # KL3xx: model, schema and serializer classes
    "models": re.compile(rb"class\s+\w+\s*\([^)]*(?:Model|Serializer|Schema|Base)\b"),
}


def worth_parsing(data: bytes) -> bool:
    """Could any family find something in this module? (Imported modules are parsed regardless.)"""
    lowered = data.lower()
    return any(word in lowered for words in PREFILTER_WORDS.values() for word in words) or any(
        pattern.search(data) for pattern in PREFILTER_PATTERNS.values()
    )
