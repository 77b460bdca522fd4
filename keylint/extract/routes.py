"""Route facts: web routes, what protects them, what they mint and on what proof (KL2xx; reused by KL302).

Everything lands in `facts.families["routes"]`, a `RouteFacts`. Its public surface, for other families:

- `RouteFacts.routes`: `Route` declarations as written in this module. `owner` names the app, router,
  blueprint or urlpatterns list they hang on (a local name, an imported qualname, or a synthetic
  `<list@L:C>` for an inline list); `path` is this module's piece only (`keylint.link.routes` joins
  prefixes); `path_params` are `PathParam(name, converter)` parsed from it (`<int:pk>` -> ("pk", "int"),
  `{item_id}` -> ("item_id", ""), `(?P<pk>\\d+)` -> ("pk", "\\d+")); `handler` is the handler's
  qualname (local `f`/`C` or imported `pkg.views.f`), `handler_kind` "function" or "class".
- `RouteFacts.functions[qualname]`: `FunctionInfo` with `params` (`Param`: name, annotation qualname,
  FastAPI dependency target, default call), `decorators`, `calls` (`CallSite`: callee qualname and the
  sources of each argument), `mints` (`Mint`: minter, token kind, where its subject comes from),
  `checks` (credential verification), `auth_markers` (reads of authentication state), `rejects`.
- `RouteFacts.classes`, `objects` (route containers with their own prefix/dependencies), `mounts`
  (include_router, register_blueprint, Django include, Starlette Mount, ...), `hooks`
  (`before_request`), `aliases` (`CurrentUser = Annotated[User, Depends(...)]`) and `settings`
  (DRF `DEFAULT_PERMISSION_CLASSES`, `ROOT_URLCONF`, `MIDDLEWARE`).

Sources say where a value comes from, as strings: "request" (what the caller sends), "param:<name>"
(a parameter, classified by the linker), "credential" (an identity established by verifying a
credential), "const" (a literal or ALL_CAPS constant), "new" (an object made here: a sign-up's new
account), "db" (a record fetched with no caller input: the first user), "call:<qualname>" (what a
project function returns), "obj:<qualname>" (an instance of that class: a form reads the request).
"""

from __future__ import annotations

import builtins
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import libcst as cst

from keylint.catalog import Catalog, split_words
from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, string_value
from keylint.model import Span

Sources = frozenset[str]
NONE: Sources = frozenset()
CONST: Sources = frozenset({"const"})

# Words that mark a value as a credential being compared or passed for verification.
_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "pw", "passphrase", "passcode", "secret", "otp", "totp", "hotp", "pin", "apikey",
     "token", "signature", "hmac", "credential", "credentials", "hash"}
)
# What a caller proves who they are with (a narrower set: passing a *token* somewhere proves nothing).
_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "pw", "passphrase", "passcode", "otp", "totp", "hotp", "pin", "secret"})
# Calls that turn a password into a hash for storing it: passing one a password checks nothing.
_HASHING_WORDS = frozenset({"hash", "hashed", "make", "set", "generate", "encrypt", "create", "new", "reset", "change", "update", "register", "signup"})
_VERIFYING_WORDS = frozenset({"verify", "check", "authenticate", "auth", "login", "validate", "compare", "match", "confirm"})
# Keys of a token payload that say whose token it is.
_SUBJECT_WORDS = frozenset(
    {"sub", "subject", "user", "uid", "id", "username", "email", "identity", "account", "login", "customer", "member",
     "principal", "userid", "owner", "impersonate", "as"}
)
# Attributes and names that read who the caller is (authentication state).
_AUTH_STATE = frozenset({"is_authenticated", "is_anonymous", "authorization", "authorized_userid", "check_authorized", "get_jwt_identity", "current_user"})
# Attributes that restrict by role or ownership.
_ROLE_ATTRS = frozenset(
    {"is_superuser", "is_admin", "is_staff", "role", "roles", "has_perm", "has_perms", "has_role", "has_roles",
     "has_permission", "permissions", "scopes", "groups", "is_owner", "admin"}
)
_REJECT_CALLS = frozenset({"abort", "redirect", "redirect_to_login", "HTTPException", "PermissionDenied", "HTTPUnauthorized", "HTTPForbidden", "Unauthorized", "Forbidden"})
_DELIVERY_WORDS = frozenset({"send", "mail", "email", "notify", "deliver", "sms", "enqueue", "delay"})
_NOT_PROJECT = frozenset(dir(builtins)) | frozenset(sys.stdlib_module_names) - {"test"}
# Frameworks whose functions are never project code (calls into them are not followed).
_LIBRARIES = frozenset(
    {"django", "flask", "fastapi", "starlette", "rest_framework", "sqlalchemy", "pydantic", "werkzeug", "aiohttp",
     "jinja2", "sanic", "bottle", "requests", "httpx", "celery", "marshmallow", "wtforms", "flask_wtf", "redis"}
)
_GENERIC_SERIALIZER = "itsdangerous.URLSafeTimedSerializer"  # what an unknown `get_*_serializer()` returns
_SAVE_WORDS = frozenset({"add", "save", "persist", "insert", "merge", "create", "register"})
_NEW_OBJECT_CALLS = frozenset({"create", "create_user", "create_superuser", "register", "signup", "sign_up", "add_user", "save_new_user", "register_user"})
_QUERY_METHODS = frozenset({"first", "one", "get", "last", "filter", "filter_by", "all", "scalar", "earliest", "latest", "one_or_none", "scalars"})
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_CLASSES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "BaseRequest"})
_REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "bottle.request", "werkzeug.local.request", "sanic.request"})
_HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_VIEW_ATTRS = frozenset(
    {"permission_classes", "authentication_classes", "decorators", "method_decorators", "serializer_class", "http_method_names"}
)
_DRF_SETTINGS = ("DEFAULT_PERMISSION_CLASSES", "DEFAULT_AUTHENTICATION_CLASSES")
_PARAM_PATTERNS = (
    re.compile(r"\(\?P<(?P<name>\w+)>(?P<conv>[^)]*)\)"),  # Django re_path: (?P<pk>\d+)
    re.compile(r"(?<!\?P)<(?:(?P<conv>[\w.]+)(?:\([^)]*\))?:)?(?P<name>\w+)>"),  # Flask / Django: <int:pk>, <pk>
    re.compile(r"\{(?P<name>\w+)(?::(?P<conv>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}"),  # FastAPI / Starlette / aiohttp: {id}, {id:int}, {id:\d+}
)


# ---- facts ----


@dataclass(frozen=True, slots=True)
class PathParam:
    name: str
    converter: str  # "int", "str", "uuid", a regex, or "" when unspecified


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    position: int  # index among positional parameters; -1 keyword-only, -2 *args/**kwargs
    annotation: str | None  # qualname of the annotation (inside Annotated[...], the first argument)
    dependency: str | None  # FastAPI Depends/Security target qualname; "" for `Depends()` (the annotation)
    default_call: str | None  # qualname of a call used as default (`fastapi.Body`, `fastapi.Path`)


@dataclass(frozen=True, slots=True)
class Decorator:
    name: str  # qualname of the decorator (of the callee when called)
    span: Span
    called: bool
    args: tuple[str, ...] = ()  # qualnames/literals of positional args, lists flattened
    keywords: tuple[tuple[str, str], ...] = ()  # keyword -> literal text or qualname


@dataclass(frozen=True, slots=True)
class Arg:
    position: int  # -1 for a keyword argument
    keyword: str | None
    sources: Sources
    text: str = ""  # normalized source of the argument (of its subject key, for a dict)


@dataclass(frozen=True, slots=True)
class CallSite:
    callee: str  # qualname after import resolution; `C.m` for `self.m(...)` in class C
    span: Span
    args: tuple[Arg, ...]
    self_call: bool = False  # `self.m(...)`: the first parameter of the callee is not an argument
    delivered: bool = False  # its result is handed to a send/mail call, not returned to the caller


@dataclass(frozen=True, slots=True)
class Mint:
    minter: str  # catalog name of the minting call
    kind: str  # jwt | session | signed | api-token
    span: Span
    subject: Sources
    subject_text: str  # normalized source of the subject expression (for messages and fingerprints)
    delivered: bool = False  # the token is sent out of band (an email), not returned


@dataclass(frozen=True, slots=True)
class Check:
    what: str
    span: Span


@dataclass(frozen=True, slots=True)
class Route:
    framework: str  # from the catalog entry or the owner's factory; "" when only the linker can tell
    owner: str | None
    path: str | None  # None when not a literal
    path_params: tuple[PathParam, ...]
    methods: tuple[str, ...]
    handler: str
    handler_kind: str  # "function" | "class"
    span: Span  # the decorator, or the registration call
    decorated: bool  # declared by a decorator on the handler
    dependencies: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()  # `login_required(view)` in urls.py


@dataclass(frozen=True, slots=True)
class RouterObject:
    name: str
    factory: str
    framework: str
    span: Span
    prefix: str | None
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mount:
    parent: str | None  # None: a root urlconf/app-level list
    child: str
    prefix: str | None
    span: Span
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hook:
    owner: str
    function: str
    span: Span


@dataclass(frozen=True, slots=True)
class ClassInfo:
    qualname: str
    span: Span
    bases: tuple[str, ...]
    attrs: tuple[tuple[str, tuple[str, ...]], ...]
    decorators: tuple[Decorator, ...]

    def attr(self, name: str) -> tuple[str, ...] | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return None


@dataclass(slots=True)
class FunctionInfo:
    qualname: str
    span: Span  # the `def` line
    cls: str | None  # the class it is a method of
    params: tuple[Param, ...]
    decorators: tuple[Decorator, ...]
    calls: list[CallSite] = field(default_factory=list)
    mints: list[Mint] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    auth_markers: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    compares: list[tuple[Sources, ...]] = field(default_factory=list)  # equality tests and query filters
    rejects: bool = False
    returns: list[str] = field(default_factory=list)  # qualnames of functions/names it returns (dependency factories)
    return_sources: Sources = NONE  # where what it returns comes from ("new": an account it created)
    requires_login: bool = False  # tests `not user.is_authenticated` / `user.is_anonymous` (to turn anonymous callers away)


@dataclass(slots=True)
class RouteFacts:
    routes: list[Route] = field(default_factory=list)
    objects: dict[str, RouterObject] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    aliases: dict[str, Param] = field(default_factory=dict)
    settings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scheme_objects: dict[str, str] = field(default_factory=dict)  # name -> auth dependency factory


def parse_path_params(path: str) -> tuple[PathParam, ...]:
    out: list[PathParam] = []
    seen: set[str] = set()
    for pattern in _PARAM_PATTERNS:
        for m in pattern.finditer(path):
            name = m.group("name")
            if name not in seen:
                seen.add(name)
                out.append(PathParam(name, m.group("conv") or ""))
    return tuple(out)


# ---- the catalog, indexed once per catalog ----


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
    receivers: frozenset[str]
    check_calls: frozenset[str]
    check_names: frozenset[str]
    check_methods: frozenset[tuple[str, str]]
    source_calls: frozenset[str]
    source_names: frozenset[str]
    request_data: frozenset[str]
    request_identity: frozenset[str]


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
        receivers=frozenset(
            [e["receiver"] for e in minters if "receiver" in e] + [e["receiver"] for e in checks if "receiver" in e]
        ),
        check_calls=frozenset(e["call"] for e in checks if "call" in e),
        check_names=frozenset(e["name"] for e in checks if "name" in e),
        check_methods=frozenset((e["receiver"], e["method"]) for e in checks if "method" in e and "receiver" in e),
        source_calls=frozenset(e["call"] for e in sources if "call" in e),
        source_names=frozenset(e["name"] for e in sources if "name" in e),
        request_data=frozenset(e["name"] for e in req if e.get("kind") == "data"),
        request_identity=frozenset(e["name"] for e in req if e.get("kind") == "identity"),
    )
    _INDEXES[catalog.digest] = index
    return index


@lru_cache(maxsize=4096)
def _words(name: str) -> frozenset[str]:
    return frozenset(split_words(name))


def mentions_credential(name: str) -> bool:
    words = _words(name)
    return bool(words & _CREDENTIAL_WORDS) or ("api" in words and "key" in words)


def is_subject_key(key: str) -> bool:
    return bool(_words(key) & _SUBJECT_WORDS)


def _short(code: str) -> str:
    """Code for a message: on one line, at most 60 characters."""
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:59] + "…"


def _last(name: str) -> str:
    return name.rpartition(".")[2]


# ---- the visitor ----


class _Function:
    """What is known about one function while its body is being visited."""

    def __init__(self, info: FunctionInfo, request_params: set[str]) -> None:
        self.info = info
        self.params = {p.name for p in info.params}
        self.request_params = request_params
        self.vars: dict[str, Sources] = {}
        self.dicts: dict[str, Sources | None] = {}  # dict-valued locals: sources of subject keys (None: no subject key)
        self.dict_text: dict[str, str] = {}  # dict-valued locals: the source text of their subject
        self.receivers: dict[str, str] = {}  # local name -> itsdangerous/signing class it is an instance of
        self.saved: set[str] = set()  # locals stored by `db.add(x)`, `x.save()`, `save_changes(x)`
        self.results: dict[str, list[int]] = {}  # local name -> the mint (i) or call (-(i+1)) whose result it holds


class RouteVisitor(FactVisitor):
    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.rc = route_catalog(self.catalog)
        self.rf = RouteFacts()
        self.facts.families["routes"] = self.rf
        self.funcs: list[_Function] = []
        self.lists: list[tuple[cst.CSTNode, str]] = []  # route lists being built: (node, owner name)
        self.module_receivers: dict[str, str] = {}
        self.class_receivers: dict[tuple[str, str], str] = {}
        self.calls_stack: list[cst.Call] = []
        self.pending_result: str | None = None  # the local the current statement assigns a call's result to
        self.outside_body = 0  # inside decorators, parameters and annotations: not the function's own calls

    # ---- names ----
    def qual(self, node: cst.BaseExpression | None) -> str | None:
        return self.qualname(node) if node is not None else None

    def qual_list(self, node: cst.BaseExpression | None) -> tuple[str, ...]:
        """Qualnames (or literal strings) of a name, a list/tuple of them, or a call's callee."""
        if node is None:
            return ()
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return tuple(q for el in node.elements for q in self.qual_list(el.value))
        if isinstance(node, cst.Call):
            return self.qual_list(node.func)
        s = string_value(node)
        if isinstance(s, str):
            return (s,)
        q = self.qualname(node)
        return (q,) if q is not None else ("<expr>",)

    @property
    def fn(self) -> _Function | None:
        return self.funcs[-1] if self.funcs else None

    def receiver_of(self, node: cst.BaseExpression) -> str | None:
        """The signer/serializer class `node` is an instance of, when known."""
        if isinstance(node, cst.Call):
            q = self.qualname(node.func)
            if q in self.rc.receivers:
                return q
            name = q or (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
            if _words(_last(name)) & {"serializer", "signer"}:
                return _GENERIC_SERIALIZER  # app.session_interface.get_signing_serializer(app)
            return None
        if isinstance(node, cst.Name):
            if self.fn is not None and node.value in self.fn.receivers:
                return self.fn.receivers[node.value]
            return self.module_receivers.get(node.value)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == self.self_name():
            cls = self.enclosing_class()
            return self.class_receivers.get((cls or "", node.attr.value))
        q = self.qualname(node)
        return q if q in self.rc.receivers else None

    # ---- where values come from ----
    def is_request(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name):
            if self.fn is not None and node.value in self.fn.request_params:
                return True
            return self.qualname(node) in _REQUEST_GLOBALS
        if isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name) and node.value.value == self.self_name() and node.attr.value == "request":
                return True
            return self.qualname(node) in _REQUEST_GLOBALS
        return False

    def sources(self, node: cst.BaseExpression | None) -> Sources:
        if node is None:
            return NONE
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
            return CONST
        if isinstance(node, cst.FormattedString):
            parts = [self.sources(p.expression) for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
            return frozenset().union(*parts) if parts else CONST
        if isinstance(node, cst.Name):
            return self.name_sources(node)
        if isinstance(node, cst.Attribute):
            return self.attribute_sources(node)
        if isinstance(node, cst.Subscript):
            out = set(self.sources(node.value))
            for el in node.slice:
                if isinstance(el.slice, cst.Index) and string_value(el.slice.value) is None:
                    out |= self.sources(el.slice.value) - CONST
            return frozenset(out)
        if isinstance(node, cst.Call):
            return self.call_sources(node)
        if isinstance(node, cst.Await):
            return self.sources(node.expression)
        if isinstance(node, cst.Dict):
            return frozenset().union(*(self.sources(e.value) for e in node.elements)) if node.elements else CONST
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return frozenset().union(*(self.sources(e.value) for e in node.elements)) if node.elements else CONST
        if isinstance(node, cst.BinaryOperation):
            return self.sources(node.left) | self.sources(node.right)
        if isinstance(node, cst.BooleanOperation):
            return self.sources(node.left) | self.sources(node.right)
        if isinstance(node, cst.IfExp):
            return self.sources(node.body) | self.sources(node.orelse)
        if isinstance(node, cst.UnaryOperation):
            return self.sources(node.expression)
        if isinstance(node, cst.StarredElement):
            return self.sources(node.value)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            out = set(self.sources(node.elt))
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                out |= self.sources(comp.iter)
                comp = comp.inner_for_in
            return frozenset(out)
        return NONE

    def name_sources(self, node: cst.Name) -> Sources:
        fn = self.fn
        name = node.value
        if fn is not None:
            if name in fn.vars:
                return fn.vars[name]
            if name in fn.request_params:
                return frozenset({"request"})
            if name in fn.params:
                return frozenset({f"param:{name}"})
        if name in ("None", "True", "False"):
            return CONST
        q = self.qualname(node) or name
        if q in self.rc.source_calls or name in self.rc.source_names:
            return frozenset({"credential"})
        if q in _REQUEST_GLOBALS:
            return frozenset({"request"})
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            return CONST
        return NONE

    def attribute_sources(self, node: cst.Attribute) -> Sources:
        attr = node.attr.value
        q = self.qualname(node)
        if q is not None and q in self.rc.source_calls:
            return frozenset({"credential"})
        if self.is_request(node.value):
            if attr in self.rc.request_identity:
                return frozenset({"credential"})
            if attr in self.rc.request_data:
                return frozenset({"request"})
            return NONE
        if isinstance(node.value, cst.Name) and node.value.value == self.self_name() and attr == "kwargs":
            return frozenset({"request"})  # Django class-based views: the URL's keyword arguments
        if q is not None and q.startswith("flask.g.") and "user" in _words(attr):
            return frozenset({"credential"})
        return self.sources(node.value)

    def call_sources(self, node: cst.Call) -> Sources:
        q = self.qualname(node.func)
        last = _last(q) if q else (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
        if q is not None and (q in self.rc.source_calls or last in self.rc.source_names):
            return frozenset({"credential"})
        if q is not None and (q in self.rc.check_calls or last in self.rc.check_names):
            return frozenset({"credential"})  # the payload of a verified token, the user `authenticate` returns
        if isinstance(node.func, cst.Attribute):
            receiver = self.receiver_of(node.func.value)
            if receiver is not None and (receiver, last) in self.rc.check_methods:
                return frozenset({"credential"})
        args: set[str] = set()
        for a in node.args:
            args |= self.sources(a.value)
        if last in _NEW_OBJECT_CALLS:
            return frozenset(args | {"new"})  # User.objects.create(...), create_user(...): a sign-up's account
        if isinstance(node.func, cst.Attribute) and _words(last) & _SAVE_WORDS and isinstance(node.func.value, cst.Call):
            if _last(self.qualname(node.func.value.func) or "")[:1].isupper():
                return frozenset(args | self.sources(node.func.value) | {"new"})  # User(...).save()
        if isinstance(node.func, cst.Attribute):
            base = self.sources(node.func.value)
            out = frozenset(args | base)
            literal_args = all(self.sources(a.value) and self.sources(a.value) <= CONST for a in node.args)
            if not out - CONST and literal_args and last in _QUERY_METHODS and _root_is_class(node.func.value):
                return frozenset(out | {"db"})  # User.query.first(), User.objects.get(username="admin"): one fixed record
            if q is not None and isinstance(_root(node.func.value), cst.Name) and self._is_module_ref(node.func.value):
                return frozenset(out | {f"call:{q}"})
            return out
        if q is not None:
            return frozenset(args | {f"call:{q}"})
        return frozenset(args)

    def _is_module_ref(self, node: cst.BaseExpression) -> bool:
        root = _root(node)
        return isinstance(root, cst.Name) and root.value in self.facts.imports and (self.fn is None or root.value not in self.fn.vars)

    def subject_sources(self, node: cst.BaseExpression | None) -> Sources | None:
        """Sources of whose token a value names; None for a payload with no subject-like key."""
        if isinstance(node, cst.Dict):
            keys = [(string_value(e.key), e.value) for e in node.elements if isinstance(e, cst.DictElement)]
            subject = [v for k, v in keys if isinstance(k, str) and is_subject_key(k)]
            if subject:
                return frozenset().union(*(self.sources(v) for v in subject))
            if all(isinstance(k, str) for k, _ in keys) and not any(isinstance(e, cst.StarredDictElement) for e in node.elements):
                return None
            return self.sources(node)
        if isinstance(node, cst.Call) and dotted(node.func) == "dict":
            subject = [a.value for a in node.args if a.keyword is not None and is_subject_key(a.keyword.value)]
            if subject:
                return frozenset().union(*(self.sources(v) for v in subject))
            if all(a.keyword is not None for a in node.args):
                return None
        if isinstance(node, cst.Name) and self.fn is not None and node.value in self.fn.dicts:
            return self.fn.dicts[node.value]
        return self.sources(node)

    # ---- functions and classes ----
    def decorator(self, node: cst.Decorator) -> Decorator:
        d = node.decorator
        if isinstance(d, cst.Call):
            args = tuple(q for a in d.args if a.keyword is None for q in self.qual_list(a.value))
            kws = tuple(
                (a.keyword.value, ",".join(self.qual_list(a.value)) if not isinstance(a.value, cst.Name) or a.value.value not in ("True", "False") else a.value.value)
                for a in d.args
                if a.keyword is not None
            )
            return Decorator(self.qualname(d.func) or "<expr>", self.span(node), True, args, kws)
        return Decorator(self.qualname(d) or "<expr>", self.span(node), False)

    def param(self, p: cst.Param, position: int) -> Param:
        annotation: str | None = None
        dependency: str | None = None
        default_call: str | None = None
        if p.annotation is not None:
            ann = p.annotation.annotation
            if isinstance(ann, cst.Subscript) and (self.qualname(ann.value) or "").endswith("Annotated"):
                elements = [e.slice.value for e in ann.slice if isinstance(e.slice, cst.Index)]
                annotation = self.qualname(elements[0]) if elements else None
                for meta in elements[1:]:
                    dependency = self.dependency_of(meta) if dependency is None else dependency
            else:
                annotation = self.qualname(ann)
                if annotation is None and isinstance(ann, cst.Subscript):
                    annotation = self.qualname(ann.value)
            if annotation is not None and annotation in self.rf.aliases:
                alias = self.rf.aliases[annotation]
                annotation, dependency = alias.annotation, dependency or alias.dependency
        if isinstance(p.default, cst.Call):
            default_call = self.qualname(p.default.func)
            dependency = dependency or self.dependency_of(p.default)
        if dependency == "" and annotation is not None:
            dependency = annotation  # `form: OAuth2PasswordRequestForm = Depends()`
        return Param(p.name.value, position, annotation, dependency, default_call)

    def dependency_of(self, node: cst.BaseExpression) -> str | None:
        """`Depends(get_user)` -> its target's qualname; `Depends()` -> ""; else None."""
        if not isinstance(node, cst.Call):
            return None
        q = self.qualname(node.func) or ""
        if _last(q) not in ("Depends", "Security"):
            return None
        target = argument(node, 0, "dependency")
        if target is None:
            return ""
        if isinstance(target, cst.Call):
            return self.qualname(target.func) or "<expr>"  # Depends(RoleChecker(["admin"]))
        return self.qualname(target) or "<expr>"

    def dependencies_in(self, node: cst.BaseExpression | None) -> tuple[str, ...]:
        if not isinstance(node, (cst.List, cst.Tuple)):
            return ()
        out = []
        for el in node.elements:
            dep = self.dependency_of(el.value)
            if dep:
                out.append(dep)
        return tuple(out)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        positional = [*node.params.posonly_params, *node.params.params]
        params = [self.param(p, i) for i, p in enumerate(positional)]
        params += [self.param(p, -1) for p in node.params.kwonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(Param(star.name.value, -2, None, None, None))
        qual = self.scope  # the opener already pushed this function
        cls = ".".join(n for _, n, _ in self.stack[:-1]) if len(self.stack) >= 2 and self.stack[-2][0] == "class" else None
        decorators = tuple(self.decorator(d) for d in node.decorators)
        info = FunctionInfo(qual, self.span(node.name), cls, tuple(params), decorators)
        self.rf.functions[qual] = info
        request_params = {
            p.name for p in params
            if p.dependency is None and (p.name in _REQUEST_NAMES or _last(p.annotation or "") in _REQUEST_CLASSES)
        }
        self.funcs.append(_Function(info, request_params))
        for d, dec in zip(node.decorators, decorators):
            self.route_decorator(d, dec, qual, "function")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        fn = self.funcs.pop()
        info = fn.info

        def settle(sources: Sources) -> Sources:
            if not any(s.startswith("ctor:") for s in sources):
                return sources
            out = {s for s in sources if not s.startswith("ctor:")}
            if any(s[5:] in fn.saved for s in sources if s.startswith("ctor:")):
                out.add("new")
            return frozenset(out)

        info.mints = [Mint(m.minter, m.kind, m.span, settle(m.subject), m.subject_text, m.delivered) for m in info.mints]
        info.calls = [
            CallSite(c.callee, c.span, tuple(Arg(a.position, a.keyword, settle(a.sources), a.text) for a in c.args), c.self_call, c.delivered)
            for c in info.calls
        ]
        info.compares = [tuple(settle(o) for o in operands) for operands in info.compares]
        info.return_sources = settle(info.return_sources)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qual = self.scope
        attrs: list[tuple[str, tuple[str, ...]]] = []
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets: list[cst.BaseExpression] = []
                    value: cst.BaseExpression | None = None
                    if isinstance(small, cst.Assign):
                        targets, value = [t.target for t in small.targets], small.value
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        targets, value = [small.target], small.value
                    for t in targets:
                        if isinstance(t, cst.Name) and t.value in _VIEW_ATTRS:
                            attrs.append((t.value, self.qual_list(value)))
        decorators = tuple(self.decorator(d) for d in node.decorators)
        bases = tuple(self.qualname(b.value) or "<expr>" for b in node.bases)
        self.rf.classes[qual] = ClassInfo(qual, self.span(node.name), bases, tuple(attrs), decorators)
        for d, dec in zip(node.decorators, decorators):
            self.route_decorator(d, dec, qual, "class")

    # ---- route declarations ----
    def route_decorator(self, node: cst.Decorator, dec: Decorator, handler: str, kind: str) -> None:
        d = node.decorator
        call = d if isinstance(d, cst.Call) else None
        func = call.func if call is not None else d
        entry: dict[str, Any] | None = None
        owner: str | None = None
        if isinstance(func, cst.Attribute) and func.attr.value in ("before_request", "before_app_request", "middleware"):
            self.rf.hooks.append(Hook(self.qualname(func.value) or "<expr>", handler, self.span(node)))
            return
        if isinstance(func, cst.Attribute) and func.attr.value in self.rc.decorator_methods:
            entry = self.rc.decorator_methods[func.attr.value]
            owner = self.qualname(func.value)
        elif dec.name in self.rc.decorator_calls:
            entry = self.rc.decorator_calls[dec.name]
        if entry is None or call is None:
            return
        path_node = argument(call, 0, "path") or argument(call, None, "rule")
        path = string_value(path_node)
        if not isinstance(path, str):
            return  # `cache.get(key)` and friends: a route decorator names its path
        methods = self.methods(call, entry)
        if not methods and kind == "function" and "methods_keyword" in entry:
            methods = ("GET",)
        deps = self.dependencies_in(argument(call, None, "dependencies"))
        framework = self.framework_of(owner)
        self.rf.routes.append(
            Route(framework, owner, path, parse_path_params(path), methods, handler, kind, self.span(node), True, deps)
        )

    def methods(self, call: cst.Call, entry: dict[str, Any]) -> tuple[str, ...]:
        if "methods" in entry:
            return tuple(entry["methods"])
        found: list[str] = []
        if "method_position" in entry:
            m = string_value(argument(call, entry["method_position"], "method"))
            if isinstance(m, str):
                found.append(m.upper())
        kw = entry.get("methods_keyword")
        if kw is not None:
            node = argument(call, None, kw)
            if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
                found += [str(v).upper() for el in node.elements if isinstance(v := string_value(el.value), str)]
            elif isinstance(string_value(node), str):
                found.append(str(string_value(node)).upper())
        return tuple(found)

    def framework_of(self, owner: str | None) -> str:
        obj = self.rf.objects.get(owner or "")
        return obj.framework if obj is not None else ""

    def list_owner(self) -> str | None:
        return self.lists[-1][1] if self.lists else None

    def synthetic(self, node: cst.CSTNode) -> str:
        span = self.span(node)
        return f"<list@{span.line}:{span.column}>"

    def handler_of(self, node: cst.BaseExpression | None) -> tuple[str, str, tuple[str, ...]] | None:
        """(qualname, kind, wrappers) of a view expression: `f`, `views.f`, `C.as_view()`, `login_required(f)`."""
        wrappers: list[str] = []
        while isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "as_view":
                q = self.qualname(func.value)
                return (q, "class", tuple(wrappers)) if q else None
            if isinstance(func, cst.Call):  # permission_required("x")(view)
                wrappers.append(self.qualname(func.func) or "<expr>")
            else:
                wrappers.append(self.qualname(func) or "<expr>")
            node = argument(node, 0, None)
        if node is None:
            return None
        q = self.qualname(node)
        if q is None:
            return None
        return q, "function", tuple(wrappers)

    def route_call(self, node: cst.Call, q: str | None) -> bool:
        entry: dict[str, Any] | None = None
        owner: str | None = None
        func = node.func
        if q is not None and q in self.rc.call_calls:
            entry = self.rc.call_calls[q]
            owner = self.list_owner()
        elif isinstance(func, cst.Attribute) and func.attr.value in self.rc.call_methods:
            entry = self.rc.call_methods[func.attr.value]
            owner = self.qualname(func.value)
            if owner is not None and owner.endswith(".router"):
                owner = owner[: -len(".router")]  # aiohttp: app.router.add_post
        if entry is None:
            return False
        view = argument(node, entry.get("handler_position"), entry.get("handler_keyword"))
        path = string_value(argument(node, entry.get("path_position"), "route" if entry.get("framework") == "django" else None))
        if not isinstance(path, str):
            return False
        if isinstance(view, cst.Call) and (self.qualname(view.func) or "").endswith("include"):
            self.include(node, view, path, owner)
            return True
        handler = self.handler_of(view)
        if handler is None:
            return False
        framework = entry.get("framework") or self.framework_of(owner)
        if framework == "drf" and "method" in entry and self.framework_of(owner) != "drf":
            return False  # `.register(...)` on something that is not a DRF router
        self.rf.routes.append(
            Route(framework, owner, path, parse_path_params(path), self.methods(node, entry), handler[0], handler[1],
                  self.span(node), False, (), handler[2])
        )
        return True

    def include(self, node: cst.Call, include: cst.Call, prefix: str, owner: str | None) -> None:
        target = argument(include, 0, "arg")
        if isinstance(target, cst.Tuple) and target.elements:
            target = target.elements[0].value
        child: str | None = None
        s = string_value(target)
        if isinstance(s, str):
            child = f"{s}.urlpatterns"
        elif isinstance(target, (cst.List, cst.Tuple)):
            child = self.synthetic(target)
        elif isinstance(target, cst.Attribute) and target.attr.value == "urls":
            child = self.qualname(target.value)
        elif target is not None:
            q = self.qualname(target)
            child = f"{q}.urlpatterns" if q else None
        if child is not None:
            self.rf.mounts.append(Mount(owner, child, prefix, self.span(node)))

    def mount_call(self, node: cst.Call, q: str | None) -> None:
        func = node.func
        entry: dict[str, Any] | None = None
        parent: str | None = None
        if q is not None and q in self.rc.mount_calls:
            entry, parent = self.rc.mount_calls[q], self.list_owner()
        elif isinstance(func, cst.Attribute) and func.attr.value in self.rc.mount_methods:
            entry, parent = self.rc.mount_methods[func.attr.value], self.qualname(func.value)
        if entry is None:
            return
        prefix_node = argument(node, entry.get("prefix_position"), entry.get("prefix_keyword"))
        prefix = string_value(prefix_node) if prefix_node is not None else ""
        deps = self.dependencies_in(argument(node, None, entry["dependencies"])) if "dependencies" in entry else ()
        children: list[cst.BaseExpression] = []
        child_node = argument(node, entry.get("child_position"), entry.get("child_keyword"))
        if child_node is not None:
            children.append(child_node)
        if "routes_keyword" in entry:
            routes = argument(node, None, entry["routes_keyword"])
            if routes is not None:
                children.append(routes)
        for child in children:
            if isinstance(child, cst.Call):
                child = child.func if dotted(child.func) else child  # `app.mount("/x", make_app())`
            name = self.synthetic(child) if isinstance(child, (cst.List, cst.Tuple)) else self.qualname(child)
            if name is not None:
                self.rf.mounts.append(Mount(parent, name, prefix if isinstance(prefix, str) else None, self.span(node), deps))

    def route_object(self, target: str, node: cst.Call, q: str) -> None:
        entry = self.rc.factories[q]
        prefix = string_value(argument(node, None, entry["prefix"])) if "prefix" in entry else None
        deps = self.dependencies_in(argument(node, None, entry["dependencies"])) if "dependencies" in entry else ()
        self.rf.objects[target] = RouterObject(target, q, entry["framework"], self.span(node), prefix if isinstance(prefix, str) else None, deps)
        routes = argument(node, None, "routes")
        if routes is not None:
            child = self.synthetic(routes) if isinstance(routes, (cst.List, cst.Tuple)) else self.qualname(routes)
            if child is not None:
                self.rf.mounts.append(Mount(target, child, "", self.span(node)))

    # ---- statements ----
    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        names = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if isinstance(value, cst.Call):
            q = self.qualname(value.func)
            if q in self.rc.factories:
                for n in names:
                    self.route_object(n, value, q)
            if q in self.rc.auth_dependencies:
                for n in names:
                    self.rf.scheme_objects[n] = q
            receiver = q if q in self.rc.receivers else None
            if receiver is not None:
                for t in node.targets:
                    self.bind_receiver(t.target, receiver)
        if not self.stack and names:
            self.module_assign(names, value)
            if isinstance(value, (cst.List, cst.Tuple, cst.BinaryOperation)):
                self.lists.append((node, names[0]))
        for t in node.targets:
            self.local_assign(t.target, value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if self.lists and self.lists[-1][0] is original_node:
            self.lists.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            if not self.stack and isinstance(node.value, (cst.List, cst.Tuple, cst.BinaryOperation)):
                self.lists.append((node, node.target.value))
            elif not self.stack and isinstance(node.value, cst.Attribute) and node.value.attr.value == "urls":
                q = self.qualname(node.value.value)
                if q:
                    self.rf.mounts.append(Mount(node.target.value, q, "", self.span(node)))
            fn = self.fn
            if fn is not None:
                fn.vars[node.target.value] = fn.vars.get(node.target.value, NONE) | self.sources(node.value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        if self.lists and self.lists[-1][0] is original_node:
            self.lists.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            if isinstance(node.target, cst.Name) and not self.stack:
                self.module_assign([node.target.value], node.value)
            self.local_assign(node.target, node.value)

    def bind_receiver(self, target: cst.BaseExpression, receiver: str) -> None:
        if isinstance(target, cst.Name):
            if self.fn is not None:
                self.fn.receivers[target.value] = receiver
            else:
                self.module_receivers[target.value] = receiver
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self.self_name():
            self.class_receivers[(self.enclosing_class() or "", target.attr.value)] = receiver

    def module_assign(self, names: list[str], value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Subscript) and (self.qualname(value.value) or "").endswith("Annotated"):
            elements = [e.slice.value for e in value.slice if isinstance(e.slice, cst.Index)]
            dep = next((d for d in (self.dependency_of(m) for m in elements[1:]) if d is not None), None)
            if dep is not None:
                for n in names:
                    annotation = self.qualname(elements[0]) if elements else None
                    self.rf.aliases[n] = Param(n, -1, annotation, dep or annotation, None)
        if "REST_FRAMEWORK" in names and isinstance(value, cst.Dict):
            for el in value.elements:
                if isinstance(el, cst.DictElement) and string_value(el.key) in _DRF_SETTINGS:
                    self.rf.settings[str(string_value(el.key))] = self.qual_list(el.value)
        if "ROOT_URLCONF" in names and isinstance(string_value(value), str):
            self.rf.settings["ROOT_URLCONF"] = (str(string_value(value)),)
        if "MIDDLEWARE" in names and isinstance(value, (cst.List, cst.Tuple)):
            self.rf.settings["MIDDLEWARE"] = self.qual_list(value)

    def local_assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        fn = self.fn
        if fn is None:
            return
        if isinstance(target, cst.Name):
            name = target.value
            fn.vars[name] = fn.vars.get(name, NONE) | self.sources(value)
            if isinstance(value, cst.Dict) or (isinstance(value, cst.Call) and dotted(value.func) == "dict"):
                fn.dicts[name] = self.subject_sources(value)
                fn.dict_text[name] = self.subject_text(value)
            elif name in fn.dicts:
                del fn.dicts[name]
            self.pending_result = name  # calls in `value` (a mint, a helper) feed this local
            fn.results[name] = []  # a new value: what it held before is not what a later send() sends
            inner = value.expression if isinstance(value, cst.Await) else value
            if isinstance(inner, cst.Call):
                cls = self.qualname(inner.func) or ""
                if _last(cls)[:1].isupper():
                    # a new object: an account if it gets saved (see leave_FunctionDef); a form reads the request
                    fn.vars[name] |= {f"ctor:{name}", f"obj:{cls}"}
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.local_assign(el.value, value)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            name = target.value.value
            key = target.slice[0].slice.value if target.slice and isinstance(target.slice[0].slice, cst.Index) else None
            k = string_value(key) if key is not None else None
            if name in fn.dicts and isinstance(k, str) and is_subject_key(k):
                fn.dicts[name] = (fn.dicts[name] or NONE) | self.sources(value)
                fn.dict_text[name] = self.text(value)
            fn.vars[name] = fn.vars.get(name, NONE) | self.sources(value)

    def visit_For(self, node: cst.For) -> None:
        self.local_assign(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.local_assign(node.asname.name, node.item)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self.fn
        if fn is None or node.value is None:
            return
        fn.info.return_sources = fn.info.return_sources | self.sources(node.value)
        values = [node.value.body, node.value.orelse] if isinstance(node.value, cst.IfExp) else [node.value]
        for v in values:
            q = self.qualname(v) if isinstance(v, (cst.Name, cst.Attribute)) else None
            if q is not None and q not in fn.vars and q not in fn.params:
                fn.info.returns.append(q)

    def visit_Raise(self, node: cst.Raise) -> None:
        if self.fn is not None:
            self.fn.info.rejects = True

    def visit_Integer(self, node: cst.Integer) -> None:
        if self.fn is not None and node.value in ("401", "403"):
            self.fn.info.rejects = True

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.fn is not None:
            s = string_value(node)
            if isinstance(s, str) and s.lower() in ("authorization", "http_authorization", "x-api-key"):
                self.fn.info.auth_markers.append(f"reads the {s} header")

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        # `if not request.user.is_authenticated: return redirect(...)`: the handler turns away anonymous callers
        if self.fn is not None and isinstance(node.operator, cst.Not) and isinstance(node.expression, cst.Attribute):
            if node.expression.attr.value == "is_authenticated":
                self.fn.info.requires_login = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        fn = self.fn
        if fn is None:
            return
        attr = node.attr.value
        if attr in _AUTH_STATE:
            fn.info.auth_markers.append(attr)
        if attr == "is_anonymous":
            fn.info.requires_login = True
        if attr in _ROLE_ATTRS:
            fn.info.roles.append(attr)
        if attr in self.rc.request_identity and self.is_request(node.value):
            fn.info.auth_markers.append(f"request.{attr}")
        q = self.qualname(node)
        if q is not None and q in ("flask.session", "flask.g.user") and "session" not in fn.info.auth_markers:
            fn.info.auth_markers.append("session")

    def visit_Name(self, node: cst.Name) -> None:
        fn = self.fn
        if fn is None:
            return
        q = self.qualname(node)
        if q in ("flask.session", "flask_login.current_user") or (q in self.rc.source_calls and q is not None):
            fn.info.auth_markers.append(_last(q or node.value))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        fn = self.fn
        if fn is None:
            return
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        equality = any(isinstance(c.operator, (cst.Equal, cst.NotEqual)) for c in node.comparisons)
        if equality and any(_names_credential(o) for o in operands) and not any(_is_empty(o) for o in operands):
            fn.info.checks.append(Check(f"compares {self.text(node)}", self.span(node)))
        if equality:
            fn.info.compares.append(tuple(self.sources(o) for o in operands))

    # ---- calls ----
    def visit_Call(self, node: cst.Call) -> None:
        q = self.qualname(node.func)
        self.calls_stack.append(node)
        if not self.route_call(node, q):
            self.mount_call(node, q)
        if q is not None and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("before_request", "before_app_request"):
            target = self.qual(argument(node, 0, "f"))
            if target:
                self.rf.hooks.append(Hook(self.qualname(node.func.value) or "<expr>", target, self.span(node)))
        if self._provides_list(node, q):
            for a in node.args:
                if isinstance(a.value, (cst.List, cst.Tuple)):
                    self.lists.append((a.value, self.synthetic(a.value)))
        fn = self.fn
        if fn is None or self.outside_body:
            return
        self.call_in_function(fn, node, q)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.outside_body += 1

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self.outside_body -= 1

    def visit_Parameters(self, node: cst.Parameters) -> None:
        self.outside_body += 1

    def leave_Parameters(self, original_node: cst.Parameters) -> None:
        self.outside_body -= 1

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls_stack.pop()
        while self.lists and any(self.lists[-1][0] is a.value for a in original_node.args):
            self.lists.pop()

    def _provides_list(self, node: cst.Call, q: str | None) -> bool:
        """Calls whose list argument holds routes: include([...]), Mount(routes=[...]), Starlette(routes=[...])."""
        if q is not None and (q.endswith("include") or q in self.rc.mount_calls or q in self.rc.factories):
            return True
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in self.rc.mount_methods

    def text(self, node: cst.CSTNode) -> str:
        return _short(self.code(node))

    def subject_text(self, node: cst.BaseExpression | None) -> str:
        """The code of what a token is minted for: the subject entry of a claims dict, or the value."""
        if node is None:
            return "?"
        if isinstance(node, cst.Dict):
            for e in node.elements:
                if isinstance(e, cst.DictElement):
                    k = string_value(e.key)
                    if isinstance(k, str) and is_subject_key(k):
                        return self.text(e.value)
        return self.text(node)

    def call_in_function(self, fn: _Function, node: cst.Call, q: str | None) -> None:
        func = node.func
        last = _last(q) if q else (func.attr.value if isinstance(func, cst.Attribute) else "")
        receiver = self.receiver_of(func.value) if isinstance(func, cst.Attribute) else None
        delivered = self._delivered()
        # minting
        entry = self.rc.minter_calls.get(q or "")
        if entry is None and receiver is not None:
            entry = self.rc.minter_methods.get((receiver, last))
        if entry is not None:
            subject_node = argument(node, entry.get("subject_position"), entry.get("subject_keyword"))
            subject = self.subject_sources(subject_node)
            if subject is not None:
                text = fn.dict_text.get(subject_node.value, "") if isinstance(subject_node, cst.Name) else ""
                text = text or self.subject_text(subject_node)
                fn.info.mints.append(Mint(q if q in self.rc.minter_calls else f"{receiver}.{last}", entry["kind"], self.span(node), subject, text, delivered))
                self._note_result(fn, len(fn.info.mints) - 1)
            return
        # proof
        if q is not None and q in self.rc.check_calls or last in self.rc.check_names or (receiver, last) in self.rc.check_methods:
            fn.info.checks.append(Check(f"{q or last}()", self.span(node)))
        elif self._passes_credential(node, last):
            fn.info.checks.append(Check(f"{q or last}() with a credential", self.span(node)))
        if last in _REJECT_CALLS:
            fn.info.rejects = True
        if last in _QUERY_METHODS or last in ("where", "in_"):
            # `User.query.filter(User.id.in_(current_user.managed))`: a lookup scoped by the caller
            fn.info.compares.append(tuple(self.sources(a.value) for a in node.args))
        if _words(last) & _SAVE_WORDS:
            targets = [a.value for a in node.args] + ([func.value] if isinstance(func, cst.Attribute) else [])
            fn.saved |= {t.value for t in targets if isinstance(t, cst.Name)}
        if q is not None and (q in self.rc.source_calls or last in self.rc.source_names):
            fn.info.auth_markers.append(last)
        # a call into project code (resolved by the linker); builtins and the standard library are not
        callee, self_call = self.callee(func, q)
        root = callee.partition(".")[0] if callee is not None else ""
        if callee is None or root in _NOT_PROJECT or root in _LIBRARIES or (isinstance(func, cst.Attribute) and self.is_request(_root(func))):
            return
        args = []
        positional = 0
        for a in node.args:
            if a.star:
                continue
            subject = self.subject_sources(a.value)
            sources = subject if subject is not None else self.sources(a.value)
            text = fn.dict_text.get(a.value.value, "") if isinstance(a.value, cst.Name) else ""
            text = text or (self.subject_text(a.value) if sources else "")  # only a value with an origin can be a subject
            if a.keyword is not None:
                args.append(Arg(-1, a.keyword.value, sources, text))
            else:
                args.append(Arg(positional, None, sources, text))
                positional += 1
        # a call that sends (`profile.send_login_link()`) delivers whatever it mints out of band
        delivered = delivered or bool(_words(_last(callee)) & _DELIVERY_WORDS)
        # the callee's name is where the call is (and much cheaper to place than the whole call)
        fn.info.calls.append(CallSite(callee, self.span(func), tuple(args), self_call, delivered))
        self._note_result(fn, -len(fn.info.calls))

    def callee(self, func: cst.BaseExpression, q: str | None) -> tuple[str | None, bool]:
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            base = func.value.value
            cls = self.enclosing_class()
            if cls is not None and base in (self.self_name(), "cls"):
                return f"{cls}.{func.attr.value}", True
        return q, False

    def _note_result(self, fn: _Function, index: int) -> None:
        """Remember which local holds this call's result (mints as i, calls as -(i+1)), so that a later
        `send_email(token)` marks it delivered."""
        if self.pending_result is not None:
            fn.results.setdefault(self.pending_result, []).append(index)

    def _delivered(self) -> bool:
        """This call is an argument of a send/mail call, or its input is a value a send call received."""
        for outer in self.calls_stack[:-1]:
            name = dotted(outer.func)
            if name is not None and _words(_last(name)) & _DELIVERY_WORDS:
                return True
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.pending_result = None
        fn = self.fn
        if fn is None:
            return
        # `send_reset_email(user, token)`: the token held in `token` never reaches the caller
        for small in node.body:
            expr = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
            expr = expr.expression if isinstance(expr, cst.Await) else expr
            if isinstance(expr, cst.Call):
                name = dotted(expr.func)
                if name is not None and _words(_last(name)) & _DELIVERY_WORDS:
                    for a in expr.args:
                        if isinstance(a.value, cst.Name):
                            for index in fn.results.get(a.value.value, []):
                                self._mark_delivered(fn, index)

    def _mark_delivered(self, fn: _Function, index: int) -> None:
        if index >= 0 and index < len(fn.info.mints):
            m = fn.info.mints[index]
            fn.info.mints[index] = Mint(m.minter, m.kind, m.span, m.subject, m.subject_text, True)
        elif index < 0 and -index - 1 < len(fn.info.calls):
            c = fn.info.calls[-index - 1]
            fn.info.calls[-index - 1] = CallSite(c.callee, c.span, c.args, c.self_call, True)

    def _passes_credential(self, node: cst.Call, last: str) -> bool:
        words = _words(last)
        if words & _HASHING_WORDS or last[:1].isupper():
            return False  # hashing a password to store it, or building an object (`User(password=...)`)
        for a in node.args:
            if a.keyword is not None and _words(a.keyword.value) & _SECRET_WORDS and not _is_empty(a.value):
                return True  # User.query.filter_by(username=u, password=p); not jsonify(access_token=t)
        if words & _VERIFYING_WORDS:
            return any(_names_credential(a.value) for a in node.args)
        return False


def _root(node: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Subscript):
            node = node.value
        else:
            return node


def _root_is_class(node: cst.BaseExpression) -> bool:
    root = _root(node)
    return isinstance(root, cst.Name) and root.value[:1].isupper()


def _is_empty(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "None"
    s = string_value(node)
    return s == "" or s == b""


def _names_credential(node: cst.BaseExpression) -> bool:
    """The expression reads something called a password/secret/OTP/token (a name, attribute, key or header)."""
    if isinstance(node, cst.Name):
        return mentions_credential(node.value)
    if isinstance(node, cst.Attribute):
        return mentions_credential(node.attr.value) or _names_credential(node.value)
    if isinstance(node, cst.Subscript):
        keys = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        return any(isinstance(s := string_value(k), str) and mentions_credential(s) for k in keys) or _names_credential(node.value)
    if isinstance(node, cst.Call):
        first = argument(node, 0, None)
        s = string_value(first) if first is not None else None
        if isinstance(s, str) and mentions_credential(s):
            return True  # data.get("password"), request.headers.get("X-Api-Key")
        if isinstance(node.func, cst.Attribute):
            return _names_credential(node.func.value) if node.func.attr.value in ("get", "strip", "encode", "hexdigest", "digest", "lower") else mentions_credential(node.func.attr.value)
        return False
    return False


