"""KL505-KL507 facts: where verifying keys come from, recorded under `families["key_sources"]`.

Written by `keylint.extract.key_sources` (the LibCST visitor) and read by `keylint.link.key_sources`;
this module has no LibCST so that the linker does not load the parser.

A place (a URL or a file path) is kept as a small `Place` tree, resolved by the linker through
module constants, class attributes, settings and environment defaults. A URL literal is kept only
as scheme, host and path (`_shown`): never its user information or query, which may hold a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import urlsplit

from keylint.model import Span

FAMILY = "key_sources"

# A module is walked by the visitor (and parsed, keylint.extract.prefilter) only when its lower-cased
# text holds one of these: words of key sets, header members, key loaders and key files.
KEY_SOURCE_WORDS = (
    "jwk", "jku", "x5u", "x5c", "unverified_header", "jose_header", "from_jwk", "import_key", "load_pem", "load_der",
    "certs", "public_key", "publickey", "signing_key", "verifying_key", ".pem", ".key", ".crt", "key_path", "key_file",
    "keyfile", "openid-configuration",
)  # fmt: skip

# Members of a JOSE header that say where the verifying key is, or are the key (RFC 7515 4.1.2-4.1.6).
KEY_MEMBERS = ("jku", "x5u", "jwk", "x5c")


# ---- places: a URL or a path, as written ----


@dataclass(frozen=True, slots=True)
class Text:
    """A string literal: a URL without user information and query, or a path."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class NameRef:
    """A name read in `scope` ("" the module, "C" a class body, "f" or "C.m" a function)."""

    name: str
    scope: str


@dataclass(frozen=True, slots=True)
class Qual:
    """An imported name or a dotted chain after import resolution (`app.settings.JWKS_URL`,
    `django.conf.settings.OIDC_JWKS_URI`, `app.config.JWKS_URL` for `app.config["JWKS_URL"]`)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class SelfAttr:
    """`self.attr` in a method of class `cls` (qualified within the module)."""

    cls: str
    attr: str


@dataclass(frozen=True, slots=True)
class EnvRead:
    """`os.environ.get("JWKS_URL", default)`: what runs when the variable is not set is `default`."""

    var: str | None
    default: Place | None
    span: Span


@dataclass(frozen=True, slots=True)
class Joined:
    """`base + "/jwks"`, `f"{base}/certs"`, `urljoin(base, ...)`, `os.path.join(a, b)`: the parts in order;
    a URL's scheme is its first part's."""

    parts: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A URL read from the response of another fetch (a discovery document's `jwks_uri`)."""

    fetch: int  # index into KeySourceFacts.fetches


@dataclass(frozen=True, slots=True)
class Unknown:
    pass


Place = Union[Text, NameRef, Qual, SelfAttr, EnvRead, Joined, Fetched, Unknown]
UNKNOWN = Unknown()


def shown(text: str) -> str:
    """A URL as it may be shown: scheme, host and path, never user information or query."""
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return text.split("://", 1)[0] + "://…"
    return f"{parts.scheme}://{host}{port}{parts.path}"


# ---- facts ----


@dataclass(frozen=True, slots=True)
class PlaceBinding:
    """`scope::name = place` (class attributes and `self.x` use the class as scope)."""

    scope: str
    name: str
    value: Place
    span: Span


@dataclass(frozen=True, slots=True)
class HeaderRead:
    """A key member (`jku`, `x5u`, `jwk`, `x5c`) read from a token's unverified header."""

    member: str
    span: Span


@dataclass(frozen=True, slots=True)
class KeyFromHeader:
    """A verifying key, key set or key URL built from what the token's own header says (KL505)."""

    api: str
    span: Span
    scope: str
    reads: tuple[HeaderRead, ...]


@dataclass(frozen=True, slots=True)
class TlsOff:
    """Why a fetch does not check the server's certificate: `verify=False`, an unverified SSL context."""

    what: str
    span: Span


@dataclass(frozen=True, slots=True)
class Fetch:
    """A network fetch (or a key client such as `PyJWKClient`) and what is known of its URL and TLS."""

    api: str
    span: Span
    scope: str
    url: Place
    tls_off: tuple[TlsOff, ...]
    client: bool  # a key client: what it fetches is a key set
    keys_at: Span | None = None  # where its response builds a key (set by the visitor on the way)
    words: tuple[str, ...] = ()  # words of the enclosing function names


@dataclass(frozen=True, slots=True)
class FileRead:
    """A file read (`open(p)`, `Path(p).read_text()`) and whether what it reads becomes a key."""

    api: str
    span: Span
    scope: str
    path: Place
    keys_at: Span | None = None


@dataclass(frozen=True, slots=True)
class FileWrite:
    """A file written (`open(p, "w")`, `Path(p).write_bytes()`, `upload.save(p)`, `shutil.copy(s, p)`).
    `provisioning`: what is written is a key this code generated or serialized (a key-generation
    step, not the application overwriting a key it trusts)."""

    api: str
    span: Span
    scope: str
    path: Place
    provisioning: bool


@dataclass(slots=True)
class KeySourceFacts:
    from_header: list[KeyFromHeader] = field(default_factory=list)
    fetches: list[Fetch] = field(default_factory=list)
    reads: list[FileRead] = field(default_factory=list)
    writes: list[FileWrite] = field(default_factory=list)
    bindings: list[PlaceBinding] = field(default_factory=list)


def key_source_facts(py: Any) -> KeySourceFacts:
    """The family's facts of a module (empty when the visitor did not run or found nothing)."""
    found = py.families.get(FAMILY)
    return found if isinstance(found, KeySourceFacts) else KeySourceFacts()
