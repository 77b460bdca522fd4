"""Link route facts across modules: full paths, who protects each route, and what it mints on what proof.

`RouteProject(project, catalog)` (one per scan, cached on the Project) offers:

- `routes()`: every `LinkedRoute`: the route as declared, its full path (prefixes of routers,
  blueprints, namespaces, Django `include()`s and Starlette `Mount`s joined), its path parameters
  from every piece, its HTTP methods, the handler entry points (`Entry`: a function, or each HTTP
  method / viewset action of a class-based view), the registration chain, and its `Access`
  (public, authenticated, or restricted to a role) with the evidence. KL302 reads these.
- `analyze(route, entry)`: an `Analysis` of what the entry point does, following calls into project
  functions across modules (bounded depth): the tokens it mints with where each subject comes from
  (resolved through parameters and call sites), the credential checks on the way, role and
  ownership checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, TypeVar

from keylint.catalog import Catalog, split_words
from keylint.extract.routes import (
    CallSite,
    Check,
    ClassInfo,
    FunctionInfo,
    Mint,
    Param,
    PathParam,
    Route,
    RouteFacts,
    Sources,
    parse_path_params,
    route_catalog,
)
from keylint.link import Project
from keylint.model import Span

Node = tuple[str, str]  # (file, container name within it)
T = TypeVar("T")
Where = tuple[str, Span, str]  # (file, span, what happens there)

_MAX_CALL_DEPTH = 6
_MAX_CHAIN = 8
_HTTP_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD", "options": "OPTIONS"}
_VIEWSET_ACTIONS = {"create": "POST", "list": "GET", "retrieve": "GET", "update": "PUT", "partial_update": "PATCH", "destroy": "DELETE"}
_DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
_ROLE_WORDS = frozenset({"admin", "superuser", "staff", "role", "roles", "permission", "permissions", "scope", "scopes", "owner"})
_AUTH_WORDS = frozenset({"auth", "authenticated", "authenticate", "token", "jwt", "login", "current", "verify", "verified", "session", "bearer", "apikey", "principal"})
_CONSTRUCTION = frozenset({"__init__", "__call__", "is_valid", "save", "create", "update", "to_representation", "get_token"})
_SERIALIZER_ENTRY = ("validate", "create", "update", "save", "to_representation", "get_token")


@dataclass(frozen=True, slots=True)
class Access:
    state: str  # "public" | "authenticated" | "role"
    evidence: str  # what protects it, or why it is public


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # file of the function
    function: str  # qualname within that file
    span: Span  # its `def`
    methods: tuple[str, ...]
    suffix: str = ""  # extra path for DRF @action / detail routes


@dataclass(frozen=True, slots=True)
class LinkedRoute:
    path: str  # file where the route is declared
    route: Route
    framework: str
    full_path: str
    path_params: tuple[PathParam, ...]
    methods: tuple[str, ...]
    entries: tuple[Entry, ...]
    chain: tuple[Where, ...]  # registration and mounts, route first
    access: Access
    class_path: str | None = None  # class-based views: the file and class
    class_name: str | None = None


@dataclass(frozen=True, slots=True)
class MintFlow:
    path: str
    mint: Mint
    subject: Sources  # resolved: "request", "credential", "const", "db", "new"
    subject_text: str  # the subject as written where it enters the call chain (`body.user_id`)
    via: tuple[Where, ...]  # call sites from the entry point to the mint


@dataclass(slots=True)
class Analysis:
    mints: list[MintFlow] = field(default_factory=list)
    checks: list[tuple[str, Check]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    ownership: bool = False
    functions: list[str] = field(default_factory=list)  # names of the functions visited (for messages)


def join_path(*pieces: str | None) -> str:
    out = ""
    for piece in pieces:
        if not piece:
            continue
        p = piece.lstrip("^").rstrip("$")
        if not p:
            continue
        out = out.rstrip("/") + "/" + p.lstrip("/")
    return out if out.startswith("/") else "/" + out


def _words(name: str) -> frozenset[str]:
    return frozenset(split_words(name))


class RouteProject:
    def __init__(self, project: Project, catalog: Catalog) -> None:
        self.project = project
        self.rc = route_catalog(catalog)
        self._container_names: dict[str, set[str]] = {}
        self.facts: dict[str, RouteFacts] = {
            path: py.families["routes"] for path, py in project.python.items() if "routes" in py.families
        }
        self.methods_by_name: dict[str, list[tuple[str, str]]] = {}
        for path, rf in self.facts.items():
            for qual, info in rf.functions.items():
                if info.cls is not None:
                    self.methods_by_name.setdefault(qual.rpartition(".")[2], []).append((path, qual))
        self.parents: dict[Node, list[tuple[Node | None, str | None, tuple[str, ...], Where]]] = {}
        for path, rf in self.facts.items():
            for m in rf.mounts:
                child = self.container(path, m.child)
                if child is None:
                    continue
                parent = self.container(path, m.parent) if m.parent is not None else None
                self.parents.setdefault(child, []).append((parent, m.prefix, m.dependencies, (path, m.span, f"mounted at {m.prefix or '/'}")))
        self.hooks: dict[Node, list[tuple[str, str, Span]]] = {}
        for path, rf in self.facts.items():
            for h in rf.hooks:
                node = self.container(path, h.owner)
                target = self.function(path, h.function)
                if node is not None and target is not None:
                    self.hooks.setdefault(node, []).append((target[0], target[1].qualname, h.span))
        self.drf_default = self._drf_default()
        self.login_middleware = any(
            "LoginRequiredMiddleware" in m for rf in self.facts.values() for m in rf.settings.get("MIDDLEWARE", ())
        )
        self._routes: list[LinkedRoute] | None = None
        self._analyses: dict[tuple[str, str], Analysis] = {}

    # ---- names across modules ----
    def _containers(self, path: str) -> set[str]:
        """Route containers defined in this module: router objects, and lists of routes
        (`urlpatterns`, an inline `<list@L:C>`); dotted names point elsewhere."""
        cached = self._container_names.get(path)
        if cached is not None:
            return cached
        rf = self.facts[path]
        names = set(rf.objects)
        names |= {r.owner for r in rf.routes if r.owner}
        names |= {m.parent for m in rf.mounts if m.parent}
        names |= {m.child for m in rf.mounts}
        found = {n for n in names if n in rf.objects or n.startswith("<list@") or ("." not in n and n not in self.project.python[path].imports)}
        self._container_names[path] = found
        return found

    def container(self, path: str, name: str | None) -> Node | None:
        """The (file, name) of the router, app, blueprint or route list `name` refers to in `path`."""
        if name is None:
            return None
        return self.follow(path, name, lambda p, n: (p, n) if n in self._containers(p) else None)

    def follow(self, path: str, name: str, here: Callable[[str, str], T | None], depth: int = 0) -> T | None:
        """Find `name` as written in `path`: defined there (`here`), or through its imports,
        re-exports and star imports, across modules (bounded)."""
        if depth > _MAX_CHAIN or path not in self.facts:
            return None
        found = here(path, name)
        if found is not None:
            return found
        py = self.project.python[path]
        head, _, rest = name.partition(".")
        # names from the facts are already import-resolved; a name found inside another module is not
        if depth > 0 and head in py.imports and py.imports[head] != name:
            return self.follow(path, py.imports[head] + (f".{rest}" if rest else ""), here, depth + 1)
        if "." not in name:
            for source in py.star_imports:
                found = self.follow(path, f"{source}.{name}", here, depth + 1)
                if found is not None:
                    return found
            return None
        for target, parts in self.project._split_module(name):
            if target in self.facts and parts:
                return self.follow(target, ".".join(parts), here, depth + 1)
        return None

    def function(self, path: str, name: str) -> tuple[str, FunctionInfo] | None:
        """A project function by the qualname written in `path` (local, imported, re-exported)."""
        return self.follow(path, name, lambda p, n: (p, self.facts[p].functions[n]) if n in self.facts[p].functions else None)

    def klass(self, path: str, name: str) -> tuple[str, ClassInfo] | None:
        return self.follow(path, name, lambda p, n: (p, self.facts[p].classes[n]) if n in self.facts[p].classes else None)

    def class_chain(self, path: str, cls: ClassInfo, depth: int = 0) -> Iterator[tuple[str, ClassInfo]]:
        """The class and its project base classes, nearest first."""
        yield path, cls
        if depth >= _MAX_CHAIN:
            return
        for base in cls.bases:
            found = self.klass(path, base)
            if found is not None and found[1] is not cls:
                yield from self.class_chain(found[0], found[1], depth + 1)

    def all_bases(self, path: str, cls: ClassInfo) -> list[str]:
        return [b for _, c in self.class_chain(path, cls) for b in c.bases]

    def class_attr(self, path: str, cls: ClassInfo, attr: str) -> tuple[str, tuple[str, ...]] | None:
        for p, c in self.class_chain(path, cls):
            value = c.attr(attr)
            if value is not None:
                return p, value
        return None

    def method(self, path: str, cls: ClassInfo, name: str) -> tuple[str, FunctionInfo] | None:
        for p, c in self.class_chain(path, cls):
            info = self.facts[p].functions.get(f"{c.qualname}.{name}")
            if info is not None:
                return p, info
        return None

    # ---- routes ----
    def routes(self) -> list[LinkedRoute]:
        if self._routes is None:
            out: list[LinkedRoute] = []
            for path, rf in sorted(self.facts.items()):
                for route in rf.routes:
                    out.extend(self._link(path, route))
            self._routes = out
        return self._routes

    def _chains(self, node: Node | None, depth: int = 0, seen: frozenset[Node] = frozenset()) -> list[tuple[list[str | None], list[str], list[Where], list[Node]]]:
        """Every way `node` is reached from a root: (prefixes outermost first, dependencies, mounts, nodes)."""
        if node is None:
            return [([], [], [], [])]
        rf = self.facts.get(node[0])
        obj = rf.objects.get(node[1]) if rf is not None else None
        own_prefix = [obj.prefix] if obj is not None and obj.prefix else []
        own_deps = [*(obj.dependencies if obj is not None else ())]
        parents = self.parents.get(node, [])
        if not parents or depth >= _MAX_CHAIN or node in seen:
            return [(own_prefix, own_deps, [], [node])]
        out = []
        for parent, prefix, deps, where in parents[:4]:
            for prefixes, pdeps, wheres, nodes in self._chains(parent, depth + 1, seen | {node}):
                out.append(([*prefixes, prefix, *own_prefix], [*pdeps, *deps, *own_deps], [where, *wheres], [node, *nodes]))
        return out

    def _link(self, path: str, route: Route) -> Iterator[LinkedRoute]:
        owner = self.container(path, route.owner) if route.owner else None
        framework = route.framework
        if not framework and owner is not None:
            obj = self.facts[owner[0]].objects.get(owner[1])
            framework = obj.framework if obj is not None else ""
        entries, class_ref = self._entries(path, route)
        if not entries:
            return
        chains = self._chains(owner) if owner is not None else [([], [], [], [])]
        chains.sort(key=lambda c: (len(c[0]), [p or "" for p in c[0]]))
        prefixes, deps, mounts, nodes = chains[0]
        base = join_path(*prefixes, route.path)
        registration: tuple[Where, ...] = (
            () if route.decorated else ((path, route.span, f"registered as {route.path!r}"),)
        )
        params = tuple(p for piece in [*prefixes] if piece for p in parse_path_params(piece)) + route.path_params
        grouped: dict[tuple[str, tuple[str, ...]], list[Entry]] = {}
        for entry in entries:
            grouped.setdefault((entry.suffix, entry.methods), []).append(entry)
        for (suffix, methods), group in grouped.items():
            full = join_path(base, suffix) if suffix else base
            all_params = params + tuple(p for p in parse_path_params(suffix) if p not in params)
            access = self._access(path, route, framework, group, class_ref, [*deps, *route.dependencies], nodes)
            yield LinkedRoute(
                path, route, framework or "unknown", full, all_params, methods or route.methods, tuple(group),
                (*registration, *mounts), access, class_ref[0] if class_ref else None, class_ref[1].qualname if class_ref else None,
            )

    def _entries(self, path: str, route: Route) -> tuple[list[Entry], tuple[str, ClassInfo] | None]:
        if route.handler_kind == "function":
            found = self.function(path, route.handler)
            if found is not None:
                return [Entry(found[0], found[1].qualname, found[1].span, route.methods)], None
            cls = self.klass(path, route.handler)  # Flask-RESTX add_resource, DRF register
            if cls is None:
                return [], None
        else:
            cls = self.klass(path, route.handler)
            if cls is None:
                return [], None
        cpath, info = cls
        entries: list[Entry] = []
        seen: set[str] = set()
        viewset = any("ViewSet" in b or "viewsets" in b for b in self.all_bases(cpath, info))
        for p, c in self.class_chain(cpath, info):
            for qual, fn in sorted(self.facts[p].functions.items()):
                if fn.cls != c.qualname:
                    continue
                name = qual.rpartition(".")[2]
                if name in seen:
                    continue
                action = next((d for d in fn.decorators if d.name.rpartition(".")[2] == "action"), None)
                if action is not None:
                    kws = dict(action.keywords)
                    methods = tuple(m.upper() for m in kws.get("methods", "get").split(",") if m)
                    url_path = kws.get("url_path", name)
                    suffix = ("{pk}/" if kws.get("detail") == "True" else "") + url_path + "/"
                    entries.append(Entry(p, qual, fn.span, methods, suffix))
                elif name in _HTTP_VERBS:
                    entries.append(Entry(p, qual, fn.span, (_HTTP_VERBS[name],)))
                elif name == "dispatch_request":  # flask.views.View: one method serves every HTTP method
                    entries.append(Entry(p, qual, fn.span, route.methods))
                elif viewset and name in _VIEWSET_ACTIONS:
                    entries.append(Entry(p, qual, fn.span, (_VIEWSET_ACTIONS[name],), "{pk}/" if name in _DETAIL_ACTIONS else ""))
                else:
                    continue
                seen.add(name)
        if not entries:
            # a generic view with no handler of its own: its serializer does the work
            serializer = self.class_attr(cpath, info, "serializer_class")
            if serializer is not None:
                entries.append(Entry(cpath, info.qualname, info.span, route.methods or ("POST",)))
        return entries, cls

    # ---- access ----
    def _drf_default(self) -> Access:
        perms = [p for rf in self.facts.values() for p in rf.settings.get("DEFAULT_PERMISSION_CLASSES", ())]
        auth_set = [rf.settings["DEFAULT_AUTHENTICATION_CLASSES"] for rf in self.facts.values() if "DEFAULT_AUTHENTICATION_CLASSES" in rf.settings]
        if any(a == () for a in auth_set):
            return Access("public", "REST_FRAMEWORK sets no DEFAULT_AUTHENTICATION_CLASSES")
        if not perms:
            return Access("public", "DRF's default permission (AllowAny): REST_FRAMEWORK sets no DEFAULT_PERMISSION_CLASSES")
        return self._permissions(perms, "REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES")

    def _permissions(self, perms: tuple[str, ...] | list[str], where: str) -> Access:
        if not perms:
            return Access("public", f"{where} is empty")
        names = [p.rpartition(".")[2] for p in perms]
        entries = [self.rc.permissions.get(n, {}) for n in names]
        if all(e.get("public") for e in entries):
            return Access("public", f"{where} = [{', '.join(names)}]")
        if any(e.get("role") for e in entries):
            return Access("role", f"{where} = [{', '.join(names)}]")
        return Access("authenticated", f"{where} = [{', '.join(names)}]")

    def decorator_access(self, path: str, name: str, keywords: tuple[tuple[str, str], ...], args: tuple[str, ...]) -> Access | None:
        last = name.rpartition(".")[2]
        for entry in self.rc.auth_decorators:
            if entry.get("call") == name or entry.get("name") == last:
                if entry.get("permission_list"):
                    return self._permissions(args, "@permission_classes")
                optional = entry.get("optional_keyword")
                if optional is not None and dict(keywords).get(optional) == "True":
                    return None
                return Access("role" if entry.get("role") else "authenticated", f"@{last}")
        found = self.function(path, name)
        if found is not None:
            verdict = self.guard(found[0], found[1].qualname, nested=True)
            if verdict is not None:
                return Access(verdict, f"@{last}")
        return None

    def guard(self, path: str, qual: str, nested: bool = False, depth: int = 0) -> str | None:
        """"authenticated"/"role" when this function (and, for decorators, its inner functions) reads
        a credential or the authentication state and can reject the request; else None."""
        rf = self.facts.get(path)
        if rf is None or depth > _MAX_CHAIN:
            return None
        infos = [i for q, i in rf.functions.items() if q == qual or (nested and q.startswith(qual + "."))]
        reads = rejects = role = False
        for info in infos:
            # reading `current_user.is_authenticated` is not enough: `if user.is_authenticated: redirect(home)`
            # on a login page turns signed-in users away; a guard turns anonymous ones away
            markers = [m for m in info.auth_markers if m not in ("is_authenticated", "current_user", "get_jwt_identity")]
            reads = reads or bool(markers or info.checks or info.requires_login)
            rejects = rejects or info.rejects
            role = role or bool(info.roles)
            for d in info.decorators:  # `@api.before_request` + `@auth.login_required`
                a = self.decorator_access(path, d.name, d.keywords, d.args) if d.name != qual else None
                if a is not None and a.state != "public":
                    reads = rejects = True
                    role = role or a.state == "role"
            for p in info.params:
                d = self.param_dependency(path, p)
                if d is not None:
                    dep = self.dependency_access(d[0], d[1], depth + 1)
                    if dep is not None:
                        reads = rejects = True
                        role = role or dep == "role"
        if reads and rejects:
            return "role" if role or _words(qual) & _ROLE_WORDS else "authenticated"
        return None

    def param_dependency(self, path: str, p: Param, depth: int = 0) -> tuple[str, str] | None:
        """(file, name) of the FastAPI dependency a parameter declares, directly or through an
        `Annotated` alias defined in another module (`user: CurrentUser`)."""
        if p.dependency:
            return path, p.dependency
        if not p.annotation or depth > _MAX_CHAIN or path not in self.facts:
            return None
        rf = self.facts[path]
        if p.annotation in rf.aliases:
            alias = rf.aliases[p.annotation]
            return (path, alias.dependency) if alias.dependency else None
        py = self.project.python[path]
        head, _, rest = p.annotation.partition(".")
        if depth > 0 and head in py.imports and py.imports[head] != p.annotation:
            full = py.imports[head] + (f".{rest}" if rest else "")
            return self.param_dependency(path, Param(p.name, p.position, full, None, None), depth + 1)
        for target, parts in self.project._split_module(p.annotation):
            if target in self.facts and len(parts) == 1:
                return self.param_dependency(target, Param(p.name, p.position, parts[0], None, None), depth + 1)
        return None

    def dependency_access(self, path: str, dep: str, depth: int = 0) -> str | None:
        if depth > _MAX_CHAIN:
            return None
        if self._scheme(path, dep):
            return "authenticated"
        found = self.function(path, dep)
        if found is not None:
            verdict = self.guard(found[0], found[1].qualname, nested=True, depth=depth + 1)
            if verdict is None:  # a factory: `Depends(get_current_user_authorizer())` returns the dependency
                for returned in found[1].returns:
                    verdict = verdict or self.dependency_access(found[0], returned, depth + 1)
            return verdict
        cls = self.klass(path, dep)
        if cls is not None:
            call = self.method(cls[0], cls[1], "__call__")
            if call is not None:
                return self.guard(call[0], call[1].qualname, depth=depth + 1)
            return None
        words = _words(dep.rpartition(".")[2])
        if words & _AUTH_WORDS and "form" not in words:
            return "role" if words & _ROLE_WORDS else "authenticated"  # a library's current-user dependency
        return None

    def _scheme(self, path: str, name: str) -> bool:
        """`name` is an instance of a FastAPI security scheme (`OAuth2PasswordBearer(...)`)."""
        return self.follow(path, name, lambda p, n: True if n in self.facts[p].scheme_objects else None) is not None

    def _access(self, path: str, route: Route, framework: str, entries: list[Entry], class_ref: tuple[str, ClassInfo] | None,
                deps: list[str], nodes: list[Node]) -> Access:
        found: list[Access] = []
        for dep in deps:
            verdict = self.dependency_access(path, dep)
            if verdict is not None:
                found.append(Access(verdict, f"dependency {dep.rpartition('.')[2]}"))
        for wrapper in route.wrappers:
            a = self.decorator_access(path, wrapper, (), ())
            if a is not None:
                found.append(a)
        for node in nodes:
            for hpath, hqual, _ in self.hooks.get(node, []):
                verdict = self.guard(hpath, hqual)
                if verdict is not None:
                    found.append(Access(verdict, f"before_request hook {hqual}"))
        drf = False
        if class_ref is not None:
            cpath, cls = class_ref
            bases = self.all_bases(cpath, cls)
            drf = any(b.startswith("rest_framework") for b in bases)
            for p, c in self.class_chain(cpath, cls):
                for d in c.decorators:
                    if d.name.rpartition(".")[2] == "method_decorator":
                        for arg in d.args:
                            a = self.decorator_access(p, arg, (), ())
                            if a is not None:
                                found.append(a)
            for b in bases:
                entry = self.rc.permissions.get(b.rpartition(".")[2])
                if entry is not None and not entry.get("public"):
                    found.append(Access("role" if entry.get("role") else "authenticated", b.rpartition(".")[2]))
            for attr in ("decorators", "method_decorators"):
                value = self.class_attr(cpath, cls, attr)
                for d in value[1] if value else ():
                    a = self.decorator_access(value[0] if value else cpath, d, (), ())
                    if a is not None:
                        found.append(a)
            perms = self.class_attr(cpath, cls, "permission_classes")
            authn = self.class_attr(cpath, cls, "authentication_classes")
            if perms is not None:
                found.append(self._permissions(perms[1], f"{cls.qualname}.permission_classes"))
            elif authn is not None and authn[1] == ():
                found.append(Access("public", f"{cls.qualname}.authentication_classes = []"))
            elif drf:
                found.append(self.drf_default)
        for entry in entries:
            info = self.facts[entry.path].functions.get(entry.function)
            if info is None:
                continue
            api_view = False
            for d in info.decorators:
                if d.name.rpartition(".")[2] == "api_view":
                    api_view = True
                a = self.decorator_access(entry.path, d.name, d.keywords, d.args)
                if a is not None:
                    found.append(a)
            if api_view and not any(d.name.rpartition(".")[2] == "permission_classes" for d in info.decorators):
                found.append(self.drf_default)
            for p in info.params:
                d = self.param_dependency(entry.path, p)
                if d is not None:
                    verdict = self.dependency_access(d[0], d[1])
                    if verdict is not None:
                        found.append(Access(verdict, f"dependency {d[1].rpartition('.')[2]}"))
            if info.requires_login and info.rejects:
                found.append(Access("role" if info.roles else "authenticated", "the handler turns anonymous callers away itself"))
        if framework == "django" and self.login_middleware and not drf:
            found.append(Access("authenticated", "LoginRequiredMiddleware"))
        # explicit public markers (AllowAny) lose to any real protection found elsewhere
        protected = [a for a in found if a.state != "public"]
        if protected:
            return next((a for a in protected if a.state == "role"), protected[0])
        if found:
            return found[0]
        return Access("public", "no authentication decorator, dependency, permission class or hook")

    # ---- what an entry point does ----
    def entry_points(self, route: LinkedRoute, entry: Entry) -> list[tuple[str, FunctionInfo]]:
        """The entry function, plus, for DRF views, the methods of its serializer class."""
        out: list[tuple[str, FunctionInfo]] = []
        info = self.facts[entry.path].functions.get(entry.function)
        if info is not None:
            out.append((entry.path, info))
        if route.class_path is not None and route.class_name is not None:
            cls = self.facts[route.class_path].classes.get(route.class_name)
            serializer = self.class_attr(route.class_path, cls, "serializer_class") if cls is not None else None
            if serializer is not None:
                for name in serializer[1]:
                    found = self.klass(serializer[0], name)
                    if found is not None:
                        for method in _SERIALIZER_ENTRY:
                            m = self.method(found[0], found[1], method)
                            if m is not None:
                                out.append(m)
        return out

    def analyze(self, route: LinkedRoute, entry: Entry) -> Analysis:
        key = (entry.path, entry.function + "|" + (route.class_name or ""))
        cached = self._analyses.get(key)
        if cached is not None:
            return cached
        result = Analysis()
        concrete = None
        if route.class_path is not None and route.class_name is not None:
            cls = self.facts[route.class_path].classes.get(route.class_name)
            concrete = (route.class_path, cls) if cls is not None else None
        for path, info in self.entry_points(route, entry):
            env = self._handler_env(path, info)
            self._walk(path, info, env, {}, result, (), 0, set(), concrete)
        self._analyses[key] = result
        return result

    def _handler_env(self, path: str, info: FunctionInfo) -> dict[str, Sources]:
        """Handler parameters: the request's data, except dependencies (an authenticated user is a
        verified identity, a form class is request data, a database session is nothing)."""
        env: dict[str, Sources] = {}
        for i, p in enumerate(info.params):
            if info.cls is not None and i == 0 and p.position == 0:
                continue  # self / cls
            d = self.param_dependency(path, p)
            if d is not None:
                verdict = self.dependency_access(d[0], d[1])
                if verdict is not None:
                    env[p.name] = frozenset({"credential"})
                elif self.klass(d[0], d[1]) is not None or d[1].rpartition(".")[2][:1].isupper():
                    env[p.name] = frozenset({"request"})  # a form or body class filled from the request
                continue
            env[p.name] = frozenset({"request"})
        return env

    def resolve(self, sources: Sources, env: dict[str, Sources], path: str, depth: int) -> Sources:
        out: set[str] = set()
        for s in sources:
            if s.startswith("param:"):
                out |= env.get(s[6:], frozenset())
            elif s.startswith("obj:"):
                cls = self.klass(path, s[4:])
                bases = [s[4:], *(self.all_bases(cls[0], cls[1]) if cls is not None else ())]
                if any(b.rpartition(".")[2].endswith("Form") for b in bases):
                    out.add("request")  # a FlaskForm / Django form is filled from the request
            elif s.startswith("call:"):
                found = self.function(path, s[5:])
                if found is not None and depth < _MAX_CALL_DEPTH and self._verifies(found[0], found[1], depth + 1, set()):
                    out.add("credential")  # what a verifying helper returns is a verified identity
                elif found is not None and "new" in found[1].return_sources:
                    out.add("new")  # a helper that creates and saves the account it returns
            else:
                out.add(s)
        return frozenset(out)

    def _verifies(self, path: str, info: FunctionInfo, depth: int, seen: set[tuple[str, str]]) -> bool:
        if (path, info.qualname) in seen or depth > _MAX_CALL_DEPTH:
            return False
        seen.add((path, info.qualname))
        if info.checks:
            return True
        return any(self._verifies(p, f, depth + 1, seen) for call in info.calls for p, f, _ in self.callees(path, info, call))

    def callees(self, path: str, info: FunctionInfo, call: CallSite, concrete: tuple[str, ClassInfo] | None = None) -> list[tuple[str, FunctionInfo, int]]:
        """Project functions a call can run, with the offset of its first argument among their parameters.
        `self.m()` runs the override of the class the route serves (`concrete`) when it has one."""
        name = call.callee
        if call.self_call:
            cls_name, _, method = name.rpartition(".")
            if concrete is not None:
                found = self.method(concrete[0], concrete[1], method)
                if found is not None:
                    return [(found[0], found[1], 1)]
            cls = self.facts[path].classes.get(cls_name)
            if cls is not None:
                found = self.method(path, cls, method)
                if found is not None:
                    return [(found[0], found[1], 1)]
            return []
        found = self.function(path, name)
        if found is not None:
            return [(found[0], found[1], self._offset(found[1], bound=False))]
        cls = self.klass(path, name)
        if cls is not None:  # a project class: its constructor, validators and form cleaners run
            out = []
            names: set[str] = set()
            for p, c in self.class_chain(cls[0], cls[1]):
                for qual, f in sorted(self.facts[p].functions.items()):
                    method = qual.rpartition(".")[2]
                    if f.cls != c.qualname or method in names:
                        continue
                    if method in _CONSTRUCTION or method.startswith(("clean", "validate")):
                        names.add(method)
                        out.append((p, f, 1))
            return out
        method = name.rpartition(".")[2]
        candidates = self.methods_by_name.get(method, [])
        if len(candidates) == 1 and not method.startswith("__") and len(method) > 3 and "." in name:
            p, q = candidates[0]
            f = self.facts[p].functions[q]
            return [(p, f, self._offset(f, bound=True))]  # `user.encode_auth_token(...)`: the one method so named
        return []

    @staticmethod
    def _offset(info: FunctionInfo, bound: bool) -> int:
        first = info.params[0].name if info.params else ""
        if info.cls is not None and first in ("self", "cls") and (bound or first == "cls"):
            return 1
        return 0

    def _walk(self, path: str, info: FunctionInfo, env: dict[str, Sources], texts: dict[str, str], result: Analysis,
              via: tuple[Where, ...], depth: int, seen: set[tuple[str, str]], concrete: tuple[str, ClassInfo] | None = None) -> None:
        if (path, info.qualname) in seen or depth > _MAX_CALL_DEPTH:
            return
        seen = seen | {(path, info.qualname)}
        result.functions.append(info.qualname)
        for mint in info.mints:
            if mint.delivered:
                continue
            origin = next((texts[s[6:]] for s in sorted(mint.subject) if s.startswith("param:") and s[6:] in texts), mint.subject_text)
            result.mints.append(MintFlow(path, mint, self.resolve(mint.subject, env, path, depth), origin, via))
        result.checks.extend((path, c) for c in info.checks)
        result.roles.extend(info.roles)
        for operands in info.compares:
            # the requested subject compared with the caller, or a lookup scoped by the caller
            if any("credential" in self.resolve(o, env, path, depth) for o in operands):
                result.ownership = True
        for p in info.params:
            d = self.param_dependency(path, p) if depth > 0 else None
            if d is not None:
                dep = self.function(d[0], d[1])
                if dep is not None:
                    result.checks.extend((dep[0], c) for c in dep[1].checks)
        for call in info.calls:
            if call.delivered:
                continue
            for cpath, callee, offset in self.callees(path, info, call, concrete):
                sub_env, sub_texts = self._bind(callee, call, env, texts, path, depth, offset)
                where = (path, call.span, f"calls {callee.qualname}")
                self._walk(cpath, callee, sub_env, sub_texts, result, (*via, where), depth + 1, seen, concrete)

    def _bind(self, callee: FunctionInfo, call: CallSite, env: dict[str, Sources], texts: dict[str, str], path: str,
              depth: int, offset: int) -> tuple[dict[str, Sources], dict[str, str]]:
        """The callee's parameters, bound to what the call passes: their sources and their text as
        first written (so a message names `body.user_id`, not the helper's `claims`)."""
        params: list[Param] = list(callee.params)
        out: dict[str, Sources] = {}
        out_texts: dict[str, str] = {}
        positional = [p for p in params if p.position >= 0]
        for arg in call.args:
            target: Param | None = None
            if arg.keyword is not None:
                target = next((p for p in params if p.name == arg.keyword), None)
            elif arg.position + offset < len(positional):
                target = positional[arg.position + offset]
            if target is not None:
                out[target.name] = self.resolve(arg.sources, env, path, depth)
                origin = next((texts[s[6:]] for s in sorted(arg.sources) if s.startswith("param:") and s[6:] in texts), None)
                out_texts[target.name] = origin or arg.text
        return out, out_texts


def route_project(project: Project, catalog: Catalog) -> RouteProject:
    """One `RouteProject` per project, shared by every check that reads routes."""
    linked = project.linked.get("routes")
    if not isinstance(linked, RouteProject):
        linked = project.linked["routes"] = RouteProject(project, catalog)
    return linked
