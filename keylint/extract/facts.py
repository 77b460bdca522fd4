"""Plain, picklable facts that extraction produces per file and the linker joins across files.

No fact ever holds a secret value: a literal is kept as its position, length, SHA-256 and a short
redacted hint, so facts can be cached on disk and sent between processes safely.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Union

from keylint.model import FileError, Severity, Span


@dataclass(frozen=True, slots=True)
class Secret:
    """A string literal that may be key material, without its value."""

    span: Span
    length: int  # bytes, UTF-8
    digest: str  # sha256 of the value's bytes: joins the same key across files
    hint: str  # redacted: a few leading characters, never the whole value
    shape: str = "text"  # text | identifier | template | path | label: names and references are not keys

    @property
    def empty(self) -> bool:
        return self.length == 0


def redact(value: str | bytes) -> str:
    """A hint a human can recognise a key by, that never reveals it: at most 4 leading characters
    and only for values long enough that 4 characters are a small part of them."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    shown = 4 if len(text) >= 16 else 2 if len(text) >= 8 else 0
    head = "".join(c if c.isprintable() and c not in "'\"\\" else "?" for c in text[:shown])
    return f"'{head}…' ({len(text)} chars)" if shown else f"'…' ({len(text)} chars)"


_TEMPLATE = re.compile(r"^\$\{.*\}$|^\{\{.*\}\}$|^<[^<>]+>$|^%\(\w+\)s$|^\$[A-Z_][A-Z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
_PATH = re.compile(r"^(/|\./|\.\./|~/)|\.(pem|key|crt|der|p12|pfx|jwk|jwks|json|txt)$|^[a-z]+://", re.IGNORECASE)
# `pkg.module.function`: an import path (a handler setting), never key material
_IMPORT_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+\.[A-Za-z_][A-Za-z0-9_]*$")
# `{field}` placeholders in text with spaces: a format template (a message, a description)
_FORMAT_FIELD = re.compile(r"\{[a-z_][a-z0-9_]*\}")


def _shape(text: str) -> str:
    if _TEMPLATE.match(text) or not any(c.isalnum() for c in text):  # "${KEY}", "--------"
        return "template"
    if _IDENTIFIER.match(text):
        return "identifier"
    if _PATH.search(text) or _IMPORT_PATH.match(text):
        return "path"
    if _FORMAT_FIELD.search(text) and any(c.isspace() for c in text):
        return "template"
    return "text"


def make_secret(value: str | bytes, span: Span) -> Secret:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    text = value if isinstance(value, str) else value.decode("utf-8", "replace")
    return Secret(span=span, length=len(raw), digest=hashlib.sha256(raw).hexdigest(), hint=redact(value), shape=_shape(text))


# ---- value expressions: how a key argument or a binding was written, resolved later by link ----


@dataclass(frozen=True, slots=True)
class Lit:
    secret: Secret


@dataclass(frozen=True, slots=True)
class Ref:
    """A name read in `scope` ("" is the module, "C" a class body, "f" or "C.m" a function), on
    `line` (0: unknown). Only bindings of the same scope written before that line reach it, when
    there are any (`key = os.environ[...]; sign(key); key = "x"`: the literal does not)."""

    name: str
    scope: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class ClassAttr:
    """`self.X` inside a method of class `cls` (qualified within the module)."""

    cls: str
    attr: str


@dataclass(frozen=True, slots=True)
class Attr:
    base: Expr
    attr: str


@dataclass(frozen=True, slots=True)
class Item:
    base: Expr
    key: str


@dataclass(frozen=True, slots=True)
class Module:
    """A fully qualified imported name (`jwt`, `app.settings.KEY`, `django.conf.settings`)."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Setting:
    """A framework setting read by name: `django.conf.settings.X`, `app.config["X"]`."""

    name: str


@dataclass(frozen=True, slots=True)
class Env:
    """An environment read; `default` is what runs when the variable is missing."""

    var: str | None
    default: Expr | None
    span: Span
    via: str


@dataclass(frozen=True, slots=True)
class Weak:
    """A key made from a predictable source, or with too few random bytes."""

    reason: str
    span: Span


@dataclass(frozen=True, slots=True)
class Concat:
    parts: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    """Either of several values (`a or b`, `a if c else b`)."""

    options: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Returned:
    """The value returned by calling the function that `func` names, with the call's arguments
    (so `envsecret("SECRET_KEY", "---")` can bind `default` to "---" inside `envsecret`)."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class Opaque:
    pass


Expr = Union[Lit, Ref, ClassAttr, Attr, Item, Module, Setting, Env, Weak, Concat, Alt, Returned, Opaque]
OPAQUE = Opaque()


# ---- per-file facts ----


@dataclass(frozen=True, slots=True)
class Binding:
    """`scope::name = value`. Class attributes use the class as scope; returns use `name` "<return>"."""

    scope: str
    name: str
    value: Expr
    line: int = 0  # of the assignment; 0 for a parameter's default (before the body)


@dataclass(frozen=True, slots=True)
class Sink:
    """A place whose argument or value is a signing key: a signer call or a key setting."""

    kind: str  # "call" (a known API) | "setting" (a framework key setting) | "name" (found by a key-like name alone)
    label: str  # "jwt.encode", "setting SECRET_KEY", "app.secret_key"
    operation: str  # "sign" | "verify" | "setting"
    span: Span
    key: Expr
    # the framework setting assigned, as KL4xx names it: "SECRET_KEY", "SIMPLE_JWT.SIGNING_KEY"; None: not one
    setting: str | None = None
    # the module constant or class field a key-named assignment binds (`DATASOURCE_SECRET_KEY`); None: not one
    binding: str | None = None


@dataclass(frozen=True, slots=True)
class FileFinding:
    """A finding decided from one file alone (secret scanner, JWK literals)."""

    code: str
    span: Span
    message: str
    token: str  # normalized flagged text for the fingerprint; a digest where it would be a secret
    secret_columns: tuple[int, int] | None = None  # columns on `span.line` to redact in snippets
    key: str = ""  # SHA-256 of the normalized key material (keylint.keymaterial), for the key inventory
    severity: Severity | None = None  # None: the rule's default; set where the file's evidence says otherwise
    # found by an entry's name or a credential's shape alone in a document that is data (JSON records
    # and reports, a saved page, a recording, an ORM fixture): under a test path that is what the
    # tests read, not a secret anything runs with, and it is not reported there
    data_document: bool = False


@dataclass(frozen=True, slots=True)
class Dependency:
    """A declared requirement (requirements files, pyproject.toml, setup.py, setup.cfg, Pipfile):
    a lower-cased distribution name and its version spec as written (`>=2.1,<3`, "" for none)."""

    name: str
    spec: str
    line: int


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int
    codes: frozenset[str]


@dataclass(slots=True)
class PythonFacts:
    module: str
    is_package: bool
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    functions: set[str] = field(default_factory=set)  # qualified within the module: "f", "C.m"
    classes: set[str] = field(default_factory=set)  # qualified within the module: "C", "C.Inner"
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> positional parameters
    star_imports: list[str] = field(default_factory=list)  # `from x import *` sources, resolved
    # Facts of the other rule families, each under its family's name ("routes", "models", ...),
    # each a picklable value owned by that family's visitor module.
    families: dict[str, Any] = field(default_factory=dict)
    bindings: list[Binding] = field(default_factory=list)
    sinks: list[Sink] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ApiOperation:
    """An operation of an OpenAPI/Swagger document that names its Python handler (`operationId:
    app.api.users.login`, as Connexion routes it): a route declared outside the code."""

    method: str  # upper case
    path: str  # the document's base path (`basePath`, the first server's path) joined with the path key
    handler: str  # dotted qualname of the function (`x-openapi-router-controller` prefixed when given)
    security: tuple[str, ...] | None  # security schemes the operation requires; () when none; None when optional
    span: Span  # the `operationId` value


@dataclass(slots=True)
class FileFacts:
    path: str  # repository-relative POSIX path
    digest: str  # sha256 of the file's bytes
    python: PythonFacts | None = None
    # a Python module the prefilter left unparsed: no family could find anything in it on its own;
    # the engine extracts it in full if a parsed module imports it
    deferred: bool = False
    findings: list[FileFinding] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    operations: list[ApiOperation] = field(default_factory=list)  # OpenAPI operations routed to Python functions
