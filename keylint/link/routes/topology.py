"""Route topology: which routers, blueprints, route lists and apps exist, how they are mounted into
each other, the full path of every route (prefixes of routers, blueprints, namespaces, Django
`include()`s and Starlette `Mount`s joined), its path parameters, HTTP methods, handlers and
registration chain. Names are found through `keylint.link.names`."""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

from keylint.extract.routes.catalog import RouteCatalog
from keylint.extract.routes.facts import (
    FAMILY, GRAPHQL, ClassInfo, FunctionInfo, Mount, Route, RouteFacts, RouterObject, graphql_route, parse_path_params,
)
from keylint.extract.facts import ApiOperation
from keylint.link.project import Project
from keylint.link.routes.linked import Access, AccessJudge, Handler, LinkedRoute, Node, Where, join_path
from keylint.model import Span

T = TypeVar("T")

_MAX_CHAIN = 8  # base classes and mounts followed from one route
_HTTP_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE", "head": "HEAD", "options": "OPTIONS"}
_VIEWSET_ACTIONS = {"create": "POST", "list": "GET", "retrieve": "GET", "update": "PUT", "partial_update": "PATCH", "destroy": "DELETE"}
_DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
# DRF viewsets and mixins: the actions a viewset inherits from them when it defines none itself
_INHERITED_ACTIONS = {
    "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "CreateModelMixin": ("create",), "ListModelMixin": ("list",), "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"), "DestroyModelMixin": ("destroy",),
}
# DRF generic views that inherit every handler: the HTTP methods their mixins serve
_GENERIC_VIEW_METHODS = {
    "CreateAPIView": ("POST",), "ListAPIView": ("GET",), "RetrieveAPIView": ("GET",), "DestroyAPIView": ("DELETE",),
    "UpdateAPIView": ("PUT", "PATCH"), "ListCreateAPIView": ("GET", "POST"), "RetrieveUpdateAPIView": ("GET", "PUT", "PATCH"),
    "RetrieveDestroyAPIView": ("GET", "DELETE"), "RetrieveUpdateDestroyAPIView": ("GET", "PUT", "PATCH", "DELETE"),
}


class RouteTopology:
    def __init__(self, project: Project, rc: RouteCatalog) -> None:
        self.project = project
        self.rc = rc
        self._container_names: dict[str, set[str]] = {}
        self._objects: dict[Node, RouterObject | None] = {}
        self.facts: dict[str, RouteFacts] = {
            path: py.families[FAMILY] for path, py in project.python.items() if FAMILY in py.families
        }
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

    def link(self, judge: AccessJudge) -> list[LinkedRoute]:
        """Every route of the project, linked; `judge` decides what protects each one."""
        out: list[LinkedRoute] = []
        endpoint = self._graphql_endpoint(judge)
        for path, rf in sorted(self.facts.items()):
            for route in rf.routes:
                if route.framework == GRAPHQL:
                    out.extend(self._link_mutation(path, route, judge, endpoint))
                else:
                    out.extend(self._link(path, route, judge))
            for route in self._graphene_mutations(path, rf):
                out.extend(self._link_mutation(path, route, judge, endpoint))
        for path, facts in self.project.files.items():
            for op in facts.operations:
                out.extend(self._link_operation(path, op, judge))
        return out

    # ---- Connexion: an OpenAPI operation routed to a Python function by its operationId ----
    def _link_operation(self, spec: str, op: ApiOperation, judge: AccessJudge) -> Iterator[LinkedRoute]:
        found = self.project.names.follow_qualified(
            op.handler, lambda p, n: (p, self.facts[p].functions[n]) if p in self.facts and n in self.facts[p].functions else None
        )
        if found is None:
            return  # a function outside the project, or a module keylint did not parse
        hpath, info = found
        route = Route("connexion", None, op.path, parse_path_params(op.path), (op.method,), info.qualname, "function", op.span, False)
        handler = Handler(hpath, info.qualname, info.span, route.methods)
        access = judge(hpath, route, "connexion", op.path, [handler], None, [], [])
        if op.security and access.state == "public":
            access = Access("authenticated", f"OpenAPI security: {', '.join(op.security)}")
        elif access.state == "public":
            access = Access("public", "its OpenAPI operation requires no security" if op.security is not None else "its OpenAPI security is optional")
        chain: tuple[Where, ...] = ((spec, op.span, f"routed by operationId {op.handler}"),)
        yield LinkedRoute(spec, route, "connexion", op.path, route.path_params, route.methods, (handler,), chain, access)

    # ---- GraphQL: mutation resolvers are routes of the endpoint that serves the schema ----
    def _graphene_mutations(self, path: str, rf: RouteFacts) -> Iterator[Route]:
        """`class Login(graphene.Mutation)` (or a subclass of a project base that is one) with its own
        `mutate`: a resolver, so a route."""
        for cls in rf.classes.values():
            methods = next((self.rc.mutation_bases[b] for b in self.all_bases(path, cls) if b in self.rc.mutation_bases), ())
            for method in methods:
                info = rf.functions.get(f"{cls.qualname}.{method}")
                if info is not None:
                    yield graphql_route(info.qualname, info.span, False)

    def _serves_graphql(self, path: str, name: str) -> bool:
        """`name` is a view or app that serves a GraphQL schema: a catalogued one, a project subclass of
        one (`class OverriddenView(GraphQLView)`), or a module-level instance of one."""
        if name in self.rc.graphql_endpoints:
            return True
        instance = self.facts[path].instances.get(name)
        if instance is not None and instance.cls in self.rc.graphql_endpoints:
            return True
        found = self.klass(path, name)
        return found is not None and any(b in self.rc.graphql_endpoints for b in self.all_bases(*found))

    def _graphql_endpoint(self, judge: AccessJudge) -> tuple[str, tuple[Where, ...], Access | None]:
        """Where the project serves its schema (full path, registration chain) and what protects it;
        a public endpoint first, since any public one reaches every mutation. Unknown: `/graphql`."""
        found: list[tuple[str, tuple[Where, ...], Access]] = []
        for path, rf in sorted(self.facts.items()):
            declared = [(r, r.owner) for r in rf.routes if r.framework != GRAPHQL and self._serves_graphql(path, r.handler)]
            declared += [(_mount_route(m), m.parent) for m in rf.mounts if self._serves_graphql(path, m.child)]
            for route, owner in declared:
                node = self.container(path, owner) if owner else None
                chains = self._chains(node) if node is not None else [([], [], [], [])]
                chains.sort(key=lambda c: (len(c[0]), [p or "" for p in c[0]]))
                prefixes, deps, mounts, nodes = chains[0]
                full = join_path(*prefixes, route.path)
                cls = self.klass(path, route.handler) if route.handler_kind == "class" else None
                access = judge(path, route, route.framework, full, [], cls, [*deps, *route.dependencies], nodes)
                found.append((full, ((path, route.span, f"serves the GraphQL schema at {full}"), *mounts), access))
        if not found:
            return "/graphql", (), None
        found.sort(key=lambda f: (f[2].state != "public", "graphql" not in f[0].lower(), f[0]))
        return found[0]

    def _link_mutation(self, path: str, route: Route, judge: AccessJudge, endpoint: tuple[str, tuple[Where, ...], Access | None]) -> Iterator[LinkedRoute]:
        found = self.function(path, route.handler)
        if found is None:
            return
        full, chain, endpoint_access = endpoint
        handler = Handler(found[0], found[1].qualname, found[1].span, route.methods)
        access = judge(path, route, GRAPHQL, full, [handler], None, [], [])
        if endpoint_access is not None and endpoint_access.state != "public" and access.state == "public":
            access = endpoint_access  # `login_required(GraphQLView.as_view(...))` protects every resolver
        registration: tuple[Where, ...] = () if route.decorated else ((path, route.span, "resolves a GraphQL mutation"),)
        yield LinkedRoute(path, route, GRAPHQL, full, (), route.methods, (handler,), (*registration, *chain), access)

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

    def follow(self, path: str, name: str, here: Callable[[str, str], T | None]) -> T | None:
        """Find `name` as written in `path` (import-resolved by extraction): defined there (`here`),
        or through imports, re-exports and star imports, across modules."""
        return self.project.names.follow(path, name, here)

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

    def router_object(self, node: Node) -> RouterObject | None:
        """The router, blueprint or app a container is: made by a catalogued factory, or an instance of
        a project subclass of one (`UserAPIRouter(prefix="/users")`, whose `__init__` passes
        `dependencies=[Depends(get_current_user)]` to `APIRouter`)."""
        if node in self._objects:
            return self._objects[node]
        rf = self.facts.get(node[0])
        obj = rf.objects.get(node[1]) if rf is not None else None
        instance = rf.instances.get(node[1]) if rf is not None and obj is None else None
        found = self.klass(node[0], instance.cls) if instance is not None else None
        if instance is not None and found is not None:
            chain = list(self.class_chain(*found))
            base = next((b for _, c in chain for b in c.bases if b in self.rc.factories), None)
            if base is not None:
                entry = self.rc.factories[base]
                deps = [*instance.dependencies]
                for p, c in chain:
                    deps += [self.absolute(p, d) for d in self.facts[p].base_dependencies.get(c.qualname, ())]
                prefix = dict(instance.keywords).get(entry.get("prefix", ""))
                obj = RouterObject(instance.name, base, entry["framework"], instance.span, prefix, tuple(deps))
        self._objects[node] = obj
        return obj

    def absolute(self, path: str, name: str) -> str:
        """A name written in `path`, qualified so that it can be followed from any module."""
        py = self.project.python.get(path)
        if py is None or "." in name or name not in self.facts[path].functions and name not in self.facts[path].classes:
            return name
        return f"{py.module}.{name}" if py.module else name

    def _chains(self, node: Node | None, depth: int = 0, seen: frozenset[Node] = frozenset()) -> list[tuple[list[str | None], list[str], list[Where], list[Node]]]:
        """Every way `node` is reached from a root: (prefixes outermost first, dependencies, mounts, nodes)."""
        if node is None:
            return [([], [], [], [])]
        obj = self.router_object(node)
        parents = self.parents.get(node, [])
        own_prefix: list[str | None] = [obj.prefix] if obj is not None and obj.prefix else []
        if parents and obj is not None and self.rc.factories.get(obj.factory, {}).get("proxy_prefix"):
            own_prefix = []  # FastAPI(root_path="/api/v1") mounted at /api/v1: the mount is the prefix
        own_deps = [*(obj.dependencies if obj is not None else ())]
        if not parents or depth >= _MAX_CHAIN or node in seen:
            return [(own_prefix, own_deps, [], [node])]
        out = []
        for parent, prefix, deps, where in parents[:4]:
            for prefixes, pdeps, wheres, nodes in self._chains(parent, depth + 1, seen | {node}):
                out.append(([*prefixes, prefix, *own_prefix], [*pdeps, *deps, *own_deps], [where, *wheres], [node, *nodes]))
        return out

    def _link(self, path: str, route: Route, judge: AccessJudge) -> Iterator[LinkedRoute]:
        owner = self.container(path, route.owner) if route.owner else None
        framework = route.framework
        if not framework and owner is not None:
            obj = self.router_object(owner)
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
        grouped: dict[tuple[str, tuple[str, ...]], list[Handler]] = {}
        for entry in entries:
            grouped.setdefault((entry.suffix, entry.methods), []).append(entry)
        for (suffix, methods), group in grouped.items():
            full = join_path(base, suffix) if suffix else base
            all_params = params + tuple(p for p in parse_path_params(suffix) if p not in params)
            access = judge(path, route, framework, full, group, class_ref, [*deps, *route.dependencies], nodes)
            yield LinkedRoute(
                path, route, framework or "unknown", full, all_params, methods or route.methods, tuple(group),
                (*registration, *mounts), access, class_ref[0] if class_ref else None, class_ref[1].qualname if class_ref else None,
            )

    def _entries(self, path: str, route: Route) -> tuple[list[Handler], tuple[str, ClassInfo] | None]:
        if route.handler_kind == "function":
            found = self.function(path, route.handler)
            if found is not None:
                return [Handler(found[0], found[1].qualname, found[1].span, route.methods)], None
            cls = self.klass(path, route.handler)  # Flask-RESTX add_resource, DRF register
            if cls is None:
                return [], None
        else:
            cls = self.klass(path, route.handler)
            if cls is None:
                return [], None
        cpath, info = cls
        entries: list[Handler] = []
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
                    methods = tuple(m.upper() for m in kws.get("methods", ("get",)) if m)
                    url_path = next(iter(kws.get("url_path", ())), name)
                    suffix = ("{pk}/" if kws.get("detail") == ("True",) else "") + url_path + "/"
                    entries.append(Handler(p, qual, fn.span, methods, suffix))
                elif name in _HTTP_VERBS:
                    entries.append(Handler(p, qual, fn.span, (_HTTP_VERBS[name],)))
                elif name == "dispatch_request":  # flask.views.View: one method serves every HTTP method
                    entries.append(Handler(p, qual, fn.span, route.methods))
                elif viewset and name in _VIEWSET_ACTIONS:
                    entries.append(Handler(p, qual, fn.span, (_VIEWSET_ACTIONS[name],), "{pk}/" if name in _DETAIL_ACTIONS else ""))
                else:
                    continue
                seen.add(name)
        if viewset:
            # `class UserViewSet(ModelViewSet)` with only a queryset: the router still serves /{pk}/
            for base in self.all_bases(cpath, info):
                for name in _INHERITED_ACTIONS.get(base.rpartition(".")[2], ()):
                    if name not in seen:
                        seen.add(name)
                        entries.append(Handler(cpath, info.qualname, info.span, (_VIEWSET_ACTIONS[name],), "{pk}/" if name in _DETAIL_ACTIONS else ""))
        if not entries:
            # a generic view with no handler of its own: its serializer does the work
            serializer = self.class_attr(cpath, info, "serializer_class")
            if serializer is not None:
                generic = next((m for b in self.all_bases(cpath, info) if (m := _GENERIC_VIEW_METHODS.get(b.rpartition(".")[2]))), ("POST",))
                entries.append(Handler(cpath, info.qualname, info.span, route.methods or generic))
        return entries, cls


def _mount_route(m: Mount) -> Route:
    """A mount of a GraphQL app (`app.mount("/graphql", GraphQL(schema))`) as the route it serves."""
    return Route("", m.parent, m.prefix or "", (), (), m.child, "function", m.span, False, m.dependencies)
