"""What route extraction knows about names: the route catalog (`rules/routes.toml`, `rules/tokens.toml`),
indexed once per catalog, and the built-in words that mark credentials and token subjects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from keylint.catalog import Catalog, split_words

# Words that mark a value as a credential being compared or passed for verification.
_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "pw", "passphrase", "passcode", "secret", "otp", "totp", "hotp", "pin", "apikey",
     "token", "signature", "hmac", "credential", "credentials", "hash"}
)
# Keys of a token payload that say whose token it is.
_SUBJECT_WORDS = frozenset(
    {"sub", "subject", "user", "uid", "id", "username", "email", "identity", "account", "login", "customer", "member",
     "principal", "userid", "owner", "impersonate", "as"}
)

# Keys of a token payload that name a file on the server: the token opens that file.
_FILE_WORDS = frozenset({"file", "path", "filename", "filepath"})


@dataclass(frozen=True, slots=True)
class RouteCatalog:
    factories: dict[str, dict[str, Any]]
    decorator_methods: dict[str, dict[str, Any]]
    decorator_calls: dict[str, dict[str, Any]]
    call_methods: dict[str, dict[str, Any]]
    call_calls: dict[str, dict[str, Any]]
    mount_methods: dict[str, dict[str, Any]]
    mount_calls: dict[str, dict[str, Any]]
    auth_decorators: tuple[dict[str, Any], ...]
    auth_dependencies: frozenset[str]
    permissions: dict[str, dict[str, Any]]
    minter_calls: dict[str, dict[str, Any]]
    minter_methods: dict[tuple[str, str], dict[str, Any]]  # (receiver, method)
    minter_words: dict[str, frozenset[str]]  # verb | noun | refuse -> words of minters recognised by name
    receivers: frozenset[str]
    check_calls: frozenset[str]
    check_names: frozenset[str]
    check_methods: frozenset[tuple[str, str]]
    source_calls: frozenset[str]
    source_names: frozenset[str]
    random_calls: frozenset[str]
    random_modules: frozenset[str]
    request_data: frozenset[str]
    request_identity: frozenset[str]
    mutation_bases: dict[str, tuple[str, ...]]  # graphene base class -> the resolver methods of its subclasses
    mutation_decorators: frozenset[str]  # `@strawberry.mutation`
    mutation_objects: dict[str, str]  # ariadne `MutationType()` / `ObjectType("Mutation")` -> type name ("" for any)
    graphql_endpoints: frozenset[str]  # views and apps that serve a schema (`GraphQLView`, `GraphQLRouter`)


_INDEXES: dict[str, RouteCatalog] = {}


def route_catalog(catalog: Catalog) -> RouteCatalog:
    cached = _INDEXES.get(catalog.digest)
    if cached is not None:
        return cached

    def by(table: str, key: str) -> dict[str, dict[str, Any]]:
        return {e[key]: e for e in catalog.table(table) if key in e}

    minters = catalog.table("minter")
    checks = catalog.table("credential_check")
    sources = catalog.table("credential_source")
    req = catalog.table("request_attribute")
    index = RouteCatalog(
        factories=by("route_factory", "call"),
        decorator_methods=by("route_decorator", "method"),
        decorator_calls=by("route_decorator", "call"),
        call_methods=by("route_call", "method"),
        call_calls=by("route_call", "call"),
        mount_methods=by("mount_call", "method"),
        mount_calls=by("mount_call", "call"),
        auth_decorators=catalog.table("auth_decorator"),
        auth_dependencies=frozenset(e["call"] for e in catalog.table("auth_dependency")),
        permissions=by("permission_class", "name"),
        minter_calls={e["call"]: e for e in minters if "call" in e},
        minter_methods={(e["receiver"], e["method"]): e for e in minters if "method" in e and "receiver" in e},
        minter_words={
            role: frozenset(e["word"] for e in catalog.table("minter_word") if e.get("role") == role) for role in ("verb", "noun", "refuse")
        },
        receivers=frozenset(
            [e["receiver"] for e in minters if "receiver" in e] + [e["receiver"] for e in checks if "receiver" in e]
        ),
        check_calls=frozenset(e["call"] for e in checks if "call" in e),
        check_names=frozenset(e["name"] for e in checks if "name" in e),
        check_methods=frozenset((e["receiver"], e["method"]) for e in checks if "method" in e and "receiver" in e),
        source_calls=frozenset(e["call"] for e in sources if "call" in e),
        source_names=frozenset(e["name"] for e in sources if "name" in e),
        random_calls=frozenset(e["call"] for e in catalog.table("random_source") if "call" in e),
        random_modules=frozenset(e["module"] for e in catalog.table("random_source") if "module" in e),
        request_data=frozenset(e["name"] for e in req if e.get("kind") == "data"),
        request_identity=frozenset(e["name"] for e in req if e.get("kind") == "identity"),
        mutation_bases={e["base"]: tuple(e.get("methods", ("mutate",))) for e in catalog.table("graphql_mutation") if "base" in e},
        mutation_decorators=frozenset(e["decorator"] for e in catalog.table("graphql_mutation") if "decorator" in e),
        mutation_objects={e["object"]: e.get("type_name", "") for e in catalog.table("graphql_mutation") if "object" in e},
        graphql_endpoints=frozenset(e["call"] for e in catalog.table("graphql_endpoint")),
    )
    _INDEXES[catalog.digest] = index
    return index


def minter_by_name(rc: RouteCatalog, name: str) -> str | None:
    """The token kind a call named `name` mints, judged by its words alone, or None."""
    w = words(name)
    mw = rc.minter_words
    if not (w & mw["verb"] and w & mw["noun"]) or w & mw["refuse"] or len(w) > 4:
        return None
    return "jwt" if "jwt" in w or "jws" in w else "signed"


@lru_cache(maxsize=4096)
def words(name: str) -> frozenset[str]:
    """The lower-case words of an identifier (`getUserToken`, `get_user_token` -> get, user, token)."""
    return frozenset(split_words(name))


def mentions_credential(name: str) -> bool:
    found = words(name)
    return bool(found & _CREDENTIAL_WORDS) or ("api" in found and "key" in found)


def is_subject_key(key: str) -> bool:
    return bool(words(key) & _SUBJECT_WORDS)


def subject_keys(keys: list[str]) -> list[str]:
    """The keys of a payload that say whose token it is, or what it opens: those made only of
    subject words (`id`, `user_id`) when there are any, else every key with one (`target_id`), else
    a server file path (`file`, `path`: a download token opens whatever file it names). Beside an
    `id`, an `integration_id` names an integration, not a second account."""
    found = [k for k in keys if is_subject_key(k)]
    pure = [k for k in found if words(k) <= _SUBJECT_WORDS]
    return pure or found or [k for k in keys if words(k) & _FILE_WORDS]


def short(code: str) -> str:
    """Code for a message: on one line, at most 60 characters."""
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:59] + "…"


def last_part(name: str) -> str:
    """`pkg.mod.f` -> `f`."""
    return name.rpartition(".")[2]
