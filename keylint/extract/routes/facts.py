"""Route facts: what one module declares about web routes and what its functions do, as plain values.

Everything lands in `facts.families["routes"]`, a `RouteFacts` (`route_facts(facts)`). Its public
surface, for other families:

- `RouteFacts.routes`: `Route` declarations as written in this module. `owner` names the app, router,
  blueprint or urlpatterns list they hang on (a local name, an imported qualname, or a synthetic
  `<list@L:C>` for an inline list); `path` is this module's piece only (`keylint.link.routes` joins
  prefixes); `path_params` are `PathParam(name, converter)` parsed from it (`<int:pk>` -> ("pk", "int"),
  `{item_id}` -> ("item_id", ""), `(?P<pk>\\d+)` -> ("pk", "\\d+")); `handler` is the handler's
  qualname (local `f`/`C` or imported `pkg.views.f`), `handler_kind` "function" or "class".
- `RouteFacts.functions[qualname]`: `FunctionInfo` with `params` (`Param`: name, annotation qualname,
  FastAPI dependency target, default call), `decorators`, `calls` (`CallSite`: callee qualname and the
  sources of each argument), `mints` (`Mint`: minter, token kind, where its subject comes from),
  `checks` (`CredentialCheck`: a password, OTP or signature verified), `auth_markers` (reads of
  authentication state), `rejects`.
- `RouteFacts.classes`, `objects` (route containers with their own prefix/dependencies), `mounts`
  (include_router, register_blueprint, Django include, Starlette Mount, ...), `hooks`
  (`before_request`), `aliases` (`CurrentUser = Annotated[User, Depends(...)]`) and `settings`
  (DRF `DEFAULT_PERMISSION_CLASSES`, `ROOT_URLCONF`, `MIDDLEWARE`).

`Sources` say where a value comes from, as a set of `Source` values: an `Origin` (`REQUEST`: what
the caller sends; `CREDENTIAL`: an identity established by verifying a credential; `CONST`: a
literal or ALL_CAPS constant; `NEW`: an object made here, a sign-up's new account; `DB`: a record
fetched with no caller input, the first user; `RANDOM`: made by a random generator), or a reference the linker resolves: `FromParam`
(a parameter: what the caller passes), `FromCall` (what a project function returns) and
`InstanceOf` (an object of that class: a form reads the request).

This module imports no LibCST: the linker reads these values without loading the parser.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Union

from keylint.extract.facts import PythonFacts
from keylint.model import Span

FAMILY = "routes"
GRAPHQL = "graphql"  # the framework of a mutation resolver's route (its path is the GraphQL endpoint's)



class Origin(enum.Enum):
    """Where a value comes from, known where it is read."""

    REQUEST = "request"  # what the caller sends
    CREDENTIAL = "credential"  # an identity established by verifying a credential
    CONST = "const"  # a literal or an ALL_CAPS constant
    NEW = "new"  # an object made here: a sign-up's new account
    DB = "db"  # a record fetched with no caller input: the first user
    RANDOM = "random"  # made by a random generator (`secrets.token_urlsafe()`): a nonce, not an account


@dataclass(frozen=True, slots=True)
class FromParam:
    """The value of a parameter: the linker binds it to what the call site or the route passes."""

    name: str


@dataclass(frozen=True, slots=True)
class FromCall:
    """What a call of `callee` (a project function, by qualname) returns: the linker looks it up."""

    callee: str


@dataclass(frozen=True, slots=True)
class InstanceOf:
    """An object of class `cls` (qualname): a form class reads the request."""

    cls: str


@dataclass(frozen=True, slots=True)
class Constructed:
    """Made by a constructor call into the local `name` (an account, if it gets saved). Only while a
    function is being visited: when it ends this becomes `Origin.NEW` or is dropped."""

    name: str


Source = Union[Origin, FromParam, FromCall, InstanceOf, Constructed]
Sources = frozenset[Source]
NONE: Sources = frozenset()
REQUEST: Sources = frozenset({Origin.REQUEST})
CREDENTIAL: Sources = frozenset({Origin.CREDENTIAL})
CONST: Sources = frozenset({Origin.CONST})
RANDOM: Sources = frozenset({Origin.RANDOM})

_PARAM_PATTERNS = (
    re.compile(r"\(\?P<(?P<name>\w+)>(?P<conv>[^)]*)\)"),  # Django re_path: (?P<pk>\d+)
    re.compile(r"(?<!\?P)<(?:(?P<conv>[\w.]+)(?:\([^)]*\))?:)?(?P<name>\w+)>"),  # Flask / Django: <int:pk>, <pk>
    re.compile(r"\{(?P<name>\w+)(?::(?P<conv>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}"),  # FastAPI / Starlette / aiohttp: {id}, {id:int}, {id:\d+}
)


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
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()  # keyword -> qualnames/literals (`True`/`False` as written)


@dataclass(frozen=True, slots=True)
class Arg:
    position: int  # -1 for a keyword argument
    keyword: str | None
    sources: Sources
    text: str = ""  # normalized source of the argument (of its subject key, for a dict)
    subjectless: bool = False  # a payload that names no account: a dict with no subject-like key


class Reach(enum.Enum):
    """Where a value made by a call (a token, a helper's result) goes in the function that makes it."""

    NOWHERE = "nowhere"  # dropped, stored, handed to a mailer, hook or queue, or only a prefix, length or hash of it used
    RETURNED = "returned"  # the function returns it: it reaches the response if the caller's use of the result does
    RESPONSE = "response"  # written to the response here (a cookie, a header) or a session the framework sends


@dataclass(frozen=True, slots=True)
class CallSite:
    callee: str  # qualname after import resolution; `C.m` for `self.m(...)` in class C
    span: Span
    args: tuple[Arg, ...]
    self_call: bool = False  # `self.m(...)`: the first parameter of the callee is not an argument
    reach: Reach = Reach.NOWHERE  # where its result goes


@dataclass(frozen=True, slots=True)
class Mint:
    minter: str  # catalog name of the minting call
    kind: str  # jwt | session | signed | api-token
    span: Span
    subject: Sources
    subject_text: str  # normalized source of the subject expression (for messages and fingerprints)
    reach: Reach = Reach.NOWHERE  # where the minted value goes
    subjectless: bool = False  # the payload names no account (no subject-like key): `subject` is all its values
    by_name: bool = False  # a call outside the project judged a minter by its name alone (catalog `minter_word`)


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    """A password, OTP, signature or other credential verified here."""

    what: str  # how, for messages: `check_password()`, `compares form.password == user.password`
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
    dependencies: tuple[str, ...] = ()  # class attributes `user: User = Depends(get_user)` (class-based FastAPI views)

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
    checks: list[CredentialCheck] = field(default_factory=list)
    auth_markers: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    compares: list[tuple[Sources, ...]] = field(default_factory=list)  # equality tests and query filters
    rejects: bool = False
    returns: list[str] = field(default_factory=list)  # qualnames of functions/names it returns (dependency factories)
    return_sources: Sources = NONE  # where what it returns comes from (`Origin.NEW`: an account it created)
    requires_login: bool = False  # tests `not user.is_authenticated` / `user.is_anonymous` (to turn anonymous callers away)


@dataclass(frozen=True, slots=True)
class Instance:
    """`router = UserAPIRouter(prefix="/users")` at module level, for a class only the linker can place
    (a project subclass of a route factory such as `APIRouter`)."""

    name: str
    cls: str  # qualname of the class
    span: Span
    keywords: tuple[tuple[str, str], ...]  # prefix keywords of route factories (`prefix`, `url_prefix`) with literal values
    dependencies: tuple[str, ...] = ()  # FastAPI dependencies passed as `dependencies=[...]`


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
    instances: dict[str, Instance] = field(default_factory=dict)
    # class -> dependencies its methods pass to the base constructor (`super().__init__(dependencies=[...])`)
    base_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)


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


def graphql_route(handler: str, span: Span, decorated: bool) -> Route:
    """A mutation resolver as a route: POST to the GraphQL endpoint, whose path the linker fills in."""
    return Route(GRAPHQL, None, "", (), ("POST",), handler, "function", span, decorated)


def route_facts(facts: PythonFacts) -> RouteFacts:
    """This module's route facts, made on first use (each route visitor adds its part)."""
    found = facts.families.get(FAMILY)
    if found is None:
        found = facts.families[FAMILY] = RouteFacts()
    assert isinstance(found, RouteFacts)
    return found
