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
class Duration:
    """A `timedelta(...)` of constant arguments, in seconds."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Unknown:
    pass


Val = Union[Const, Seq, Map, Name, QualName, FromHeader, Duration, Unknown]
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
class Use:
    """How the result of a decode or an unverified read is used, by the statement it reaches first
    (`kind`: return | log | assert | other), on `line`."""

    kind: str
    line: int


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
    used_keys: tuple[str, ...] = ()  # decode, unverified reads: keys read from the result, directly or through the name it is bound to
    key_by_kid: bool = False  # decode: the key is chosen by the token's `kid` (keys rotate)
    # -- how the same token value is followed through a function (KL501's peek-then-verify) --
    token: str | None = None  # decode, unverified reads: the token argument as written (`token`, `request.jwt`), if a plain name
    branch: tuple[tuple[int, int], ...] = ()  # the `if` arms around the call in its function: (if number, 0 body | 1 else)
    uses: tuple[Use, ...] = ()  # decode, unverified reads: the statements its result reaches
    key_from: str | None = None  # decode: the function whose return value is the key (`secret = self._get_secret(token)`)
    none_guard: bool = False  # under a test that the unverified header's alg is "none"
    # -- purposes passed in by callers (KL401) --
    payload_param: str | None = None  # encode: the payload is (a copy of) this parameter of the enclosing function
    param_claims: tuple[tuple[str, str], ...] = ()  # encode: (claim, parameter it is taken from)
    privilege: tuple[str, ...] = ()  # encode: privilege claims whose value is computed (`"role": user.role`)
    # -- switches of particular libraries --
    key_none: bool = False  # encode: the key is None or not passed
    claim_checks: Val | None = None  # decode: the library's claim-check switch (`check_claims=`)
    validated: bool | None = None  # decode whose claims need `.validate()` (authlib): whether it is called


@dataclass(frozen=True, slots=True)
class TokenPass:
    """A call that passes a name a token call of the same function reads as its token: the token
    handed to a helper (`payload = self._get_secret(token=token)`, `verify(token)`)."""

    scope: str
    callee: str  # the callee's last name
    line: int
    positional: tuple[str | None, ...]  # dotted names passed by position (None: not a plain name)
    keywords: tuple[tuple[str, str], ...]
    branch: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class HelperCall:
    """A call of some function with a payload dict or a purpose word as an argument: where a
    token helper may be told what it mints (`issue(uid, kind="staff")`, `create_access_token({"file": p})`)."""

    callee: str  # the callee as written, imports resolved (`security.create_access_token`, `self.issue`)
    scope: str
    span: Span
    words: tuple[str, ...]
    positional: tuple[Claims | Val, ...]
    keywords: tuple[tuple[str, Claims | Val], ...]


@dataclass(frozen=True, slots=True)
class ConstBinding:
    scope: str
    name: str
    value: Val


@dataclass(frozen=True, slots=True)
class TokenSetting:
    """A catalogued token setting (`JWT_ACCESS_TOKEN_EXPIRES = False`, `SIMPLE_JWT["ALGORITHM"]`).
    `default`: an entry of a library's own table of defaults (`DEFAULTS = {"JWT_VERIFY": True, ...}`),
    which counts only inside that library's package."""

    name: str
    value: Val
    span: Span
    default: bool = False


@dataclass(frozen=True, slots=True)
class Evidence:
    """A place that shows a library is used (a call, an import, a settings string)."""

    library: str
    span: Span
    kind: str  # call | container | string | import


@dataclass(frozen=True, slots=True)
class DefaultKeyCall:
    """A call of a library that signs with a secret printed in its own source unless given one
    (`[[published_default_key]]`): which of its keywords are passed, and the app object it configures."""

    api: str
    span: Span
    keywords: tuple[str, ...]
    app: str | None  # the app argument as written (`app`), if a plain name


@dataclass(slots=True)
class TokenFacts:
    calls: list[TokenCall] = field(default_factory=list)
    consts: list[ConstBinding] = field(default_factory=list)
    settings: list[TokenSetting] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    rotation: list[tuple[str, Span]] = field(default_factory=list)  # key-set loaders: (api, span)
    signers: list[tuple[str, Span, tuple[str, ...]]] = field(default_factory=list)  # (api, span, words) of other signers
    callees: dict[str, set[str]] = field(default_factory=dict)  # function scope -> last names of what it calls
    passes: list[TokenPass] = field(default_factory=list)
    helper_calls: list[HelperCall] = field(default_factory=list)
    framework_uses: list[tuple[str, Span]] = field(default_factory=list)
    default_key_calls: list[DefaultKeyCall] = field(default_factory=list)
    config_keys: list[tuple[str, str]] = field(default_factory=list)  # (owner, key) of `owner.config[key] = ...`  # settings strings naming what signs with the framework secret
    parameters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function scope -> all its parameter names
    script: bool = False  # the module runs as a program (`if __name__ == "__main__":`)
    validated_returns: set[str] = field(default_factory=set)  # last names of functions whose returned claims a caller validates


def token_facts(py: Any) -> TokenFacts:
    """The family's facts of a module (empty when the visitor found nothing)."""
    found = py.families.get(FAMILY)
    return found if isinstance(found, TokenFacts) else TokenFacts()
