"""KL4xx/KL5xx facts, recorded under `families["tokens"]` by `keylint.extract.tokens.TokenVisitor`.

Plain frozen values with no LibCST in sight, so the linker (`keylint.link.tokens`) and the checks
read them without loading the parser. Values are kept as small `Val` trees: only booleans, `None`,
numbers and strings that are claim names, algorithm names or short claim values, so no secret ever
reaches the facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from keylint.model import Span

FAMILY = "tokens"

# Claims whose literal values say what a token is for (role, scope, type); other values are not kept.
PURPOSE_CLAIMS = frozenset(
    {"role", "roles", "scope", "scopes", "scp", "groups", "permissions", "type", "token_type", "typ", "purpose", "kind", "aud", "use"}
)


# ---- values ----


@dataclass(frozen=True, slots=True)
class Const:
    """A literal: bool, None, a number, or a string that is safe to keep (see `TokenVisitor._safe_string`)."""

    value: bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Val, ...]


@dataclass(frozen=True, slots=True)
class Map:
    items: tuple[tuple[str, Val], ...]
    open: bool = False  # `{**other, ...}`: more keys than these


@dataclass(frozen=True, slots=True)
class Name:
    """A name read in `scope`, resolved by the linker (local, module, imported)."""

    name: str
    scope: str


@dataclass(frozen=True, slots=True)
class QualName:
    """An imported name or attribute: `settings.JWT_ALGORITHM`, `app.config.ALGS`."""

    qualname: str


@dataclass(frozen=True, slots=True)
class FromHeader:
    """A value read from the unverified token header (`header["alg"]`)."""


@dataclass(frozen=True, slots=True)
class Unknown:
    pass


Val = Union[Const, Seq, Map, Name, QualName, FromHeader, Unknown]
UNKNOWN = Unknown()
OTHER = Const("<string>")  # a string literal whose value is not kept


# ---- facts ----


@dataclass(frozen=True, slots=True)
class Claims:
    """What a minted payload is known to hold."""

    keys: tuple[str, ...]
    values: tuple[tuple[str, tuple[str, ...]], ...]  # purpose claims -> lower-cased literal values
    open: bool  # more claims may be added where we cannot see (a parameter, an opaque value)


@dataclass(frozen=True, slots=True)
class TokenCall:
    api: str  # catalogued call, fully qualified
    library: str
    operation: str  # encode | decode | mint | unverified-claims | unverified-header
    span: Span
    scope: str  # enclosing "C.f", "" at module level
    words: tuple[str, ...]  # words of the enclosing class/function names and route paths
    claims: Claims | None = None  # encode: the payload; mint: additional claims
    kid: bool | None = None  # a `kid` header is set (None: headers we cannot see)
    algorithm: Val | None = None  # encode: the algorithm argument (None: not passed)
    algorithms: Val | None = None  # decode: the accepted algorithms (None: not passed)
    options: Val | None = None
    verify: Val | None = None  # PyJWT 1.x / jose jws `verify=`
    audience: bool = False  # decode passes `audience=`
    expiry: Val | None = None  # mint: `expires_delta=`
    used_keys: tuple[str, ...] = ()  # unverified reads: keys subscripted directly on the result
    key_by_kid: bool = False  # decode: the key is chosen by the token's `kid` (keys rotate)


@dataclass(frozen=True, slots=True)
class ConstBinding:
    scope: str
    name: str
    value: Val


@dataclass(frozen=True, slots=True)
class TokenSetting:
    """A catalogued token setting (`JWT_ACCESS_TOKEN_EXPIRES = False`, `SIMPLE_JWT["ALGORITHM"]`)."""

    name: str
    value: Val
    span: Span


@dataclass(frozen=True, slots=True)
class Evidence:
    """A place that shows a library is used (a call, an import, a settings string)."""

    library: str
    span: Span
    kind: str  # call | container | string | import


@dataclass(slots=True)
class TokenFacts:
    calls: list[TokenCall] = field(default_factory=list)
    consts: list[ConstBinding] = field(default_factory=list)
    settings: list[TokenSetting] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    rotation: list[Span] = field(default_factory=list)  # key-set loaders
    signers: list[tuple[str, Span, tuple[str, ...]]] = field(default_factory=list)  # (api, span, words) of other signers
    callees: dict[str, set[str]] = field(default_factory=dict)  # function scope -> last names of what it calls


def token_facts(py: Any) -> TokenFacts:
    """The family's facts of a module (empty when the visitor found nothing)."""
    found = py.families.get(FAMILY)
    return found if isinstance(found, TokenFacts) else TokenFacts()
