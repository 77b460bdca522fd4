"""Where sequential ids meet clients: the KL3xx join of the model index with the linked routes.

- `id_routes`: routes that take a sequential primary key from the URL and fetch the object by it
  (KL302), one per handler: alias URLs served by the same handler (or view class) with the same
  parameter are kept on the first route as `aliases`, not reported again. Different handlers that
  share a service lookup (`GET`, `PUT`, `DELETE /tags/{tag_id}` all calling `get(tag_id)`) are
  different routes, each reported.
- `serving(...)`: the routes that return a schema, serializer or handler-built dict (KL301), so
  that its severity says who can read the ids it hands out; `unrouted_views(...)`: when no linked
  route does, the class-based views that declare it as `serializer_class`, with their own access.
- `token_subjects` / `is_token_subject(model)`: mints whose subject is a sequential primary key
  (`jwt.encode({"sub": user.id})`, `create_access_token(identity=user.id)`,
  `RefreshToken.for_user(user)`), and unsigned cookies set to one (`set_cookie("userid", obj.userid)`,
  kind "cookie"): the fact the master-key path (issue 14) raises severity on; the
  KL3xx checks do not change severity for it themselves.
- `severity(...)`: one ladder for the family (design.md): behind authentication, or behind a check
  of the caller against the object, low; reachable without authentication, medium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from keylint.extract.model_facts import Lookup
from keylint.extract.routes.facts import FromParam, FunctionInfo
from keylint.link.models import ClassRef, Key, ModelIndex, PrimaryKey, model_label
from keylint.link.routes import Access, LinkedRoute, RouteProject
from keylint.model import Severity, Span

_CONTAINERS = frozenset({"List", "list", "Sequence", "Iterable", "Tuple", "tuple", "Set", "set", "Page", "Dict", "dict", "Optional", "Union", "Annotated"})
_DIGITS = re.compile(r"^(\\d|\[0-9\])[+*]?$|^\\d\{\d*,?\d*\}$")
_OPAQUE = frozenset({"uuid", "slug", "UUID"})


def may_carry_key(converter: str) -> bool:
    """The URL piece can hold an integer key: `int`, unconstrained, or a digits-only regex."""
    return converter in ("", "int", "str", "string", "path", "integer") or bool(_DIGITS.match(converter))


@dataclass(frozen=True, slots=True)
class IdRoute:
    """A route that takes `param` from the URL and fetches a sequential-key object by it."""

    route: LinkedRoute
    param: str
    how: str  # "looks `Note` up by it at app/crud.py:3"
    site: str  # the handler (or view class) that takes the id: alias URLs share it
    pk: PrimaryKey
    owned: bool  # the handler checks the caller against the object (or scopes the query by the caller)
    roles: tuple[str, ...]  # role or permission checks on the way
    aliases: tuple[LinkedRoute, ...] = ()  # other URLs served by the same lookup and parameter

    @property
    def checked(self) -> bool:
        return self.owned or bool(self.roles)

    @property
    def public(self) -> bool:
        """Any of its URLs is reachable without authentication."""
        return any(r.access.state == "public" for r in (self.route, *self.aliases))


@dataclass(frozen=True, slots=True)
class TokenSubject:
    """A token minted in `path`:`function` whose subject is the sequential key of `pk.model`."""

    path: str
    function: str  # qualified within the module
    span: Span  # the minting call
    minter: str  # catalog name of the minting call
    kind: str  # jwt | session | signed | api-token (from the minter catalog), or cookie
    subject: str  # the subject expression as written: "user.id", "user"
    pk: PrimaryKey


_SUBJECT = re.compile(r"^(?:(?:str|int)\()?([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\)?$")


@dataclass(frozen=True, slots=True)
class ResolverId:
    """A GraphQL resolver or mutation (`path`:`function`) that looks a sequential-key object up by
    the caller's argument `param`: KL302 in GraphQL form."""

    path: str
    function: str  # "Query.resolve_note", "DeleteNote.mutate"
    span: Span  # the `def`
    param: str
    how: str
    pk: PrimaryKey
    authenticated: bool  # an authentication decorator or marker on the resolver itself


@dataclass(frozen=True, slots=True)
class UnroutedView:
    """A class-based view that renders a serializer but that no linked URL route reaches."""

    path: str
    name: str
    access: Access


T = TypeVar("T")

_RESOLVER_CONTEXT = frozenset({"self", "cls", "root", "parent", "info", "_", "obj"})


# Methods that turn an object into a schema's output (`schema.dump(x)`, `Out.model_validate(row)`);
# any other method called on a schema class (`PrivateUser.get_directory(uid)`) renders nothing.
_RENDER_METHODS = frozenset({"dump", "dumps", "jsonify", "model_validate", "model_validate_json", "from_orm", "parse_obj", "validate", "construct", "model_construct"})


def _built(info: FunctionInfo) -> list[str]:
    """Names a function calls that may build a schema's output: `S(...)`, and `s.dump(...)` style."""
    return [c.callee for c in info.calls] + [c.callee.rpartition(".")[0] for c in info.calls if c.callee.rpartition(".")[2] in _RENDER_METHODS]


def _identity(route: LinkedRoute) -> tuple[object, ...]:
    """One URL and method set of a declaration (a router registration declares several)."""
    return (route.path, route.route.span, route.full_path, route.methods)


def fingerprint_label(route: LinkedRoute) -> str:
    """`GET/POST /notes/<int:nid>`: the route as KL3xx fingerprints spelled it before routes had one
    label (messages use `route.label`); kept, so that baselines keep matching."""
    methods = "/".join(route.methods) if route.methods else "ANY"
    return f"{methods} {route.full_path}"


def severity(public: bool, checked: bool) -> Severity:
    """The family's ladder: an id only an authenticated caller, or a caller checked against the
    object, can use is low; one anybody can use is medium."""
    return Severity.MEDIUM if public and not checked else Severity.LOW


class IdExposure:
    """The KL3xx facts that need both the models and the routes; built once per scan."""

    def __init__(self, models: ModelIndex, routes: RouteProject) -> None:
        self.models = models
        self.routes = routes
        self._covered: dict[tuple[object, ...], set[Key]] = {}  # each URL that takes a sequential id -> the models it looks up
        self._methods_seen: dict[Key, set[Key]] = {}  # class -> the schemas its own methods build or return

    # ---- KL302 ----
    def _lookups(self, path: str, scope: str, name: str) -> list[tuple[str, Lookup]]:
        mf = self.models.facts.get(path)
        return [(path, lookup) for lookup in mf.lookups if lookup.scope == scope and lookup.key == name] if mf is not None else []

    def fetches(self, path: str, function: str, name: str) -> tuple[str, Lookup, PrimaryKey] | None:
        """The first by-key lookup of a sequential model with parameter `name`, in the function or its callees."""
        candidates = self._lookups(path, function, name)
        routes = self.routes
        info = routes.facts[path].functions.get(function) if path in routes.facts else None
        if info is not None:
            for call in info.calls:
                for arg in call.args:
                    if FromParam(name) not in arg.sources:
                        continue
                    for cpath, cinfo, offset in routes.callees(path, info, call):
                        if arg.keyword is not None:
                            inner = arg.keyword
                        elif 0 <= arg.position + offset < len(cinfo.params):
                            inner = cinfo.params[arg.position + offset].name
                        else:
                            continue
                        candidates.extend(self._lookups(cpath, cinfo.qualname, inner))
        for lpath, lookup in candidates:
            model = self.models.model_ref(lpath, lookup.model)
            pk = self.models.sequential(model) if model is not None else None
            if pk is not None:
                return lpath, lookup, pk
        return None

    def view_model(self, path: str, cls: str) -> tuple[Key | None, str, str]:
        """(model, lookup_field, lookup_url_kwarg) of a class-based view, inherited attributes included."""
        index = self.models
        key = (path, cls)
        if key not in index.classes:
            return None, "pk", "pk"
        model: Key | None = None
        lookup_field = url_kwarg = None
        for owner, f in index.fields(key):
            if f.name == "lookup_field" and f.strings:
                lookup_field = f.strings[0]
            elif f.name == "lookup_url_kwarg" and f.strings:
                url_kwarg = f.strings[0]
            elif model is None and f.name == "queryset" and f.call and ".objects." in f.call:
                model = index.model_ref(owner[0], f.call.partition(".objects.")[0])
            elif model is None and f.name == "model" and f.strings:
                model = index.model_ref(owner[0], f.strings[0])
        field = lookup_field or "pk"
        return model, field, url_kwarg or field

    def _id_route(self, route: LinkedRoute, param: str) -> tuple[str, str, PrimaryKey] | None:
        """(how, lookup site, key) when the route fetches a sequential-key object by `param`."""
        routes = self.routes
        for entry in route.handlers:
            info = routes.facts[entry.path].functions.get(entry.function) if entry.path in routes.facts else None
            annotation = next((p.annotation for p in info.params if p.name == param), None) if info else None
            if annotation is not None and annotation.rpartition(".")[2] in _OPAQUE:
                continue
            hit = self.fetches(entry.path, entry.function, param)
            if hit is not None:
                lpath, lookup, pk = hit
                at = f"{lpath}:{lookup.span.line}"
                return f"looks `{model_label(pk.model)}` up by it at {at}", f"{entry.path}:{entry.function}", pk
        if route.class_path is not None and route.class_name is not None:
            model, field, url_kwarg = self.view_model(route.class_path, route.class_name)
            view_pk = self.models.sequential(model) if model is not None else None
            if view_pk is not None and param == url_kwarg and field in ("pk", "id", view_pk.field):
                how = f"is the `{field}` lookup of `{route.class_name}` on `{model_label(view_pk.model)}`"
                return how, f"{route.class_path}:{route.class_name}", view_pk
        return None

    @cached_property
    def id_routes(self) -> list[IdRoute]:
        """KL302's routes, one per (handler, parameter); route order decides which URL is the first."""
        found: dict[tuple[str, str], IdRoute] = {}
        aliases: dict[tuple[str, str], list[LinkedRoute]] = {}
        reported: set[tuple[str, object]] = set()  # route declarations already reported
        routes = sorted(self.routes.routes(), key=lambda r: (r.path, r.route.span.line, r.route.span.column))
        for route in routes:
            for param in route.path_params:
                if not may_carry_key(param.converter):
                    continue
                hit = self._id_route(route, param.name)
                if hit is None:
                    continue
                how, site, pk = hit
                self._covered.setdefault(_identity(route), set()).add(pk.model)
                group = (site, param.name)
                declaration = (route.path, route.route.span)
                if declaration in reported:
                    continue  # another method or action of a route already reported (viewset detail actions)
                reported.add(declaration)
                if group in found:
                    aliases[group].append(route)
                    continue
                analysis = [self.routes.analyze(route, e) for e in route.handlers]
                owned = any(a.ownership for a in analysis)
                roles = tuple(sorted({r for a in analysis for r in a.roles}))
                found[group] = IdRoute(route, param.name, how, site, pk, owned, roles)
                aliases[group] = []
        out = []
        for group, first in found.items():
            if aliases[group]:
                first = IdRoute(first.route, first.param, first.how, first.site, first.pk, first.owned, first.roles, tuple(aliases[group]))
            out.append(first)
        return out

    def echoes_url_id(self, routes: list[LinkedRoute], pk: PrimaryKey) -> bool:
        """Every route that returns this id takes the same model's id from its URL (KL302 reports
        those): the response only echoes the id the caller sent, one root cause, reported once."""
        self.id_routes  # fills _covered
        return bool(routes) and all(pk.model in self._covered.get(_identity(r), set()) for r in routes)

    @cached_property
    def resolver_ids(self) -> list[ResolverId]:
        """GraphQL resolvers (`resolve_*` of a graphene ObjectType, `mutate` of a Mutation) that fetch a
        sequential-key object by an argument the caller sends: the GraphQL form of an id route."""
        out: list[ResolverId] = []
        models, routes = self.models, self.routes
        for key in sorted(models.classes):
            if models.schema_kind(key) != "graphene-operation" or key[0] not in routes.facts:
                continue
            for function, info in sorted(routes.facts[key[0]].functions.items()):
                method = function.rpartition(".")[2]
                if info.cls != key[1] or not (method.startswith("resolve_") or method == "mutate"):
                    continue
                for param in info.params:
                    if param.name in _RESOLVER_CONTEXT or (param.annotation or "").rpartition(".")[2] in _OPAQUE:
                        continue
                    hit = self.fetches(key[0], function, param.name)
                    if hit is not None:
                        lpath, lookup, pk = hit
                        how = f"looks `{model_label(pk.model)}` up by it at {lpath}:{lookup.span.line}"
                        out.append(ResolverId(key[0], function, info.span, param.name, how, pk, bool(info.auth_markers)))
                        break
        return out

    # ---- ids that become token subjects (for issue 14's master-key path) ----
    @cached_property
    def token_subjects(self) -> list[TokenSubject]:
        """Every mint whose subject is a sequential primary key: `{"sub": user.id}`, `identity=user.pk`,
        or a model instance handed to a minter that names it by its key (`RefreshToken.for_user(user)`).
        The instance must be a local the function fetched or built as that model."""
        out: list[TokenSubject] = []
        for path, rf in sorted(self.routes.facts.items()):
            mf = self.models.facts.get(path)
            if mf is None:
                continue
            for function, info in sorted(rf.functions.items()):
                for mint in info.mints:
                    m = _SUBJECT.match(mint.subject_text.replace(" ", ""))
                    if m is None:
                        continue
                    local, attr = m.group(1), m.group(2)
                    for ml in mf.locals:
                        if ml.scope != function or ml.name != local:
                            continue
                        model = self.models.model_ref(path, ml.model)
                        pk = self.models.sequential(model) if model is not None else None
                        if pk is not None and attr in (None, "id", "pk", pk.field):
                            out.append(TokenSubject(path, function, mint.span, mint.minter, mint.kind, mint.subject_text, pk))
                            break
        for path, mf in sorted(self.models.facts.items()):
            for c in mf.cookie_ids:
                # `set_cookie("userid", obj.userid)`: an unsigned cookie whose value is the key itself
                pk = self.models.instance_key(path, c)
                if pk is not None:
                    out.append(TokenSubject(path, c.scope, c.span, "set_cookie", "cookie", f"{c.base}.{c.attr}", pk))
        return out

    def is_token_subject(self, model: Key) -> bool:
        """The model's sequential key becomes a token subject somewhere in the project."""
        return any(t.pk.model == model for t in self.token_subjects)

    # ---- KL301: who is served a schema ----
    @cached_property
    def _by_handler(self) -> dict[tuple[str, str], list[LinkedRoute]]:
        out: dict[tuple[str, str], list[LinkedRoute]] = {}
        for route in self.routes.routes():
            for h in route.handlers:
                out.setdefault((h.path, h.function), []).append(route)
        return out

    def function_routes(self, path: str, function: str) -> list[LinkedRoute]:
        """The routes whose handler is this function."""
        return self._by_handler.get((path, function), [])

    def _schema(self, path: str, name: str) -> Key | None:
        """The project schema class a name (or a module-level instance of one) refers to."""
        index = self.models
        r = index.resolve(path, name)
        if not isinstance(r, ClassRef):
            # `comment_schema = CommentSchema(many=True)` at module level, used as `comment_schema.dump(x)`
            found = index.project.names.follow(path, name, lambda p, n: (p, index.facts[p].instances[n]) if p in index.facts and n in index.facts[p].instances else None)
            r = index.resolve(found[0], found[1]) if found is not None else r
        if isinstance(r, ClassRef) and r.key in index.classes and index.schema_kind(r.key) is not None:
            return r.key
        return None

    def _used_schemas(self, route: LinkedRoute) -> set[Key]:
        """Schemas a route returns: its view's `serializer_class`, and schemas its handlers build,
        dump or name in decorators (`@marshal_with(schema)`)."""
        topology = self.routes.topology
        out: set[Key] = set()
        if route.class_path is not None and route.class_name is not None:
            cls = topology.facts[route.class_path].classes.get(route.class_name)
            attr = topology.class_attr(route.class_path, cls, "serializer_class") if cls is not None else None
            for name in attr[1] if attr is not None else ():
                key = self._schema(attr[0], name) if attr is not None else None
                if key is not None:
                    out.add(key)
        for h in route.handlers:
            info = topology.facts[h.path].functions.get(h.function) if h.path in topology.facts else None
            if info is None:
                continue
            names = _built(info) + [a for d in info.decorators for a in d.args]
            for name in names:
                key = self._schema(h.path, name)
                if key is not None:
                    out.add(key)
        return out

    @cached_property
    def _served(self) -> dict[Key, list[LinkedRoute]]:
        """Schema -> the routes that return it, directly or nested in another schema they return."""
        index = self.models
        roots: dict[Key, list[LinkedRoute]] = {}
        for path, mf in sorted(index.facts.items()):
            for use in mf.responses:
                for name in use.names:
                    key = self._schema(path, name)
                    if key is not None:
                        roots.setdefault(key, []).extend(self.function_routes(path, use.handler))
        for route in self.routes.routes():
            for key in sorted(self._used_schemas(route)):
                roots.setdefault(key, []).append(route)
        return self._spread(roots)

    def _spread(self, roots: dict[Key, list[T]]) -> dict[Key, list[T]]:
        """What serves each root schema serves every schema nested in it too."""
        served: dict[Key, list[T]] = {}
        for root, servers in sorted(roots.items()):
            todo = [root]
            seen = {root}
            while todo:
                key = todo.pop()
                bucket = served.setdefault(key, [])
                bucket.extend(r for r in servers if r not in bucket)
                for nested in self._nested(key):
                    if nested not in seen:
                        seen.add(nested)
                        todo.append(nested)
        return served

    @cached_property
    def _viewed(self) -> dict[Key, list[UnroutedView]]:
        """Schema -> the class-based views that declare it as `serializer_class` but that no linked
        route reaches (registered through a project router subclass or a helper function the linker
        does not follow), each with the access its own declarations and the DRF defaults give it."""
        routed = {(r.class_path, r.class_name) for r in self.routes.routes()}
        topology = self.routes.topology
        roots: dict[Key, list[UnroutedView]] = {}
        for path, rf in sorted(topology.facts.items()):
            for name, cls in sorted(rf.classes.items()):
                names = cls.attr("serializer_class")
                if names is None or (path, name) in routed:
                    continue
                view = UnroutedView(path, name, self.routes.access.view_access(path, cls))
                keys = {k for schema in names if (k := self._schema(path, schema)) is not None} | self._method_schemas(path, name)
                for key in sorted(keys):
                    roots.setdefault(key, []).append(view)
        return self._spread(roots)

    def _method_schemas(self, path: str, cls: str) -> set[Key]:
        """Schemas a class's own methods build or return (`get_serializer_class()` returning one,
        `DetailSerializer(obj).data` in an action or in a serializer's method field)."""
        cached = self._methods_seen.get((path, cls))
        if cached is not None:
            return cached
        rf = self.routes.topology.facts.get(path)
        out: set[Key] = set()
        self._methods_seen[(path, cls)] = out
        for info in rf.functions.values() if rf is not None else ():
            if info.cls != cls:
                continue
            names = _built(info) + list(info.returns)
            out |= {k for name in names if (k := self._schema(path, name)) is not None and k != (path, cls)}
        return out

    def _nested(self, key: Key) -> list[Key]:
        """Schemas a schema embeds: pydantic field annotations, DRF/marshmallow nested serializers."""
        out = []
        for owner, f in self.models.fields(key):
            names = [n for n in f.annotation if n.rpartition(".")[2] not in _CONTAINERS] + list(f.args)
            if f.call is not None:
                names.append(f.call)
            for name in names:
                found = self._schema(owner[0], name)
                if found is not None and found != key and found not in out:
                    out.append(found)
        out.extend(k for k in sorted(self._method_schemas(*key)) if k not in out)
        return out

    def serving(self, key: Key) -> list[LinkedRoute]:
        """The routes that return this schema or serializer (possibly nested in another)."""
        return self._served.get(key, [])

    def credential_proof(self, route: LinkedRoute) -> str | None:
        """Where a route's handler checks a credential before it answers (a login: `verify_password(...)`
        at app/auth.py:12): what it returns reaches only a caller who proved who they are."""
        for handler in route.handlers:
            for path, check in self.routes.analyze(route, handler).checks:
                return f"{check.what} at {path}:{check.span.line}"
        return None

    def unrouted_views(self, key: Key) -> list[UnroutedView]:
        """The views no linked route reaches that render this serializer (possibly nested in another)."""
        return self._viewed.get(key, [])
