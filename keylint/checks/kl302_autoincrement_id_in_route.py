"""KL302 autoincrement-id-in-route: a route takes a sequential primary key from the URL and fetches the object by it.

Reads the linked routes of `keylint.link.routes` (issue 8) and the model lookups and primary keys of
`keylint.link.models`. A path parameter counts when the handler (or a project function it passes
the parameter to) looks a model up by primary key with it (`Model.query.get(x)`, `db.get(Model, x)`,
`get_object_or_404(Model, pk=x)`, `Model.objects.get(pk=x)`, `Model.id == x`), or, for a class-based
DRF/Django view, when the parameter is the view's `lookup_field` (`pk` by default) on a queryset of
that model; and the model's key is an auto-increment integer. A UUID converter or annotation is
never reported. The message says whether the route is authenticated and whether the handler checks
ownership; a public route without an ownership check is high severity.
"""

from __future__ import annotations

import re
from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.extract.model_facts import Lookup
from keylint.extract.routes.facts import FromParam
from keylint.model import Severity
from keylint.link.models import Key, ModelIndex, PrimaryKey, model_label
from keylint.link.routes import LinkedRoute, RouteProject

CODE = "KL302"
_DIGITS = re.compile(r"^(\\d|\[0-9\])[+*]?$|^\\d\{\d*,?\d*\}$")
_OPAQUE = frozenset({"uuid", "slug", "UUID"})


def _may_carry_key(converter: str) -> bool:
    """The URL piece can hold an integer key: `int`, unconstrained, or a digits-only regex."""
    return converter in ("", "int", "str", "string", "path", "integer") or bool(_DIGITS.match(converter))


def _lookups(index: ModelIndex, path: str, scope: str, name: str) -> Iterator[tuple[str, Lookup]]:
    mf = index.facts.get(path)
    if mf is None:
        return
    for lookup in mf.lookups:
        if lookup.scope == scope and lookup.key == name:
            yield path, lookup


def _fetches(index: ModelIndex, routes: RouteProject, path: str, function: str, name: str) -> tuple[str, Lookup, PrimaryKey] | None:
    """The first by-key lookup of a sequential model with parameter `name`, in the function or its callees."""
    candidates = list(_lookups(index, path, function, name))
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
                    candidates.extend(_lookups(index, cpath, cinfo.qualname, inner))
    for lpath, lookup in candidates:
        model = index.model_ref(lpath, lookup.model)
        pk = index.sequential(model) if model is not None else None
        if pk is not None:
            return lpath, lookup, pk
    return None


def _view_model(index: ModelIndex, path: str, cls: str) -> tuple[Key | None, str, str]:
    """(model, lookup_field, lookup_url_kwarg) of a class-based view, inherited attributes included."""
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


def _fingerprint_label(route: LinkedRoute) -> str:
    """The route as KL302's fingerprint token spelled it before route labels had one spelling
    (`GET/POST /path`): kept, so that baselines keep matching."""
    methods = "/".join(route.methods) if route.methods else "ANY"
    return f"{methods} {route.full_path}"


def check(ctx: Context) -> Iterator[Draft]:
    index = ctx.models
    routes = ctx.routes
    seen: set[tuple[str, object]] = set()
    for route in routes.routes():
        for param in route.path_params:
            if not _may_carry_key(param.converter):
                continue
            found: tuple[str, str, PrimaryKey] | None = None  # (where, how, key)
            for entry in route.handlers:
                info = routes.facts[entry.path].functions.get(entry.function) if entry.path in routes.facts else None
                annotation = next((p.annotation for p in info.params if p.name == param.name), None) if info else None
                if annotation is not None and annotation.rpartition(".")[2] in _OPAQUE:
                    continue
                hit = _fetches(index, routes, entry.path, entry.function, param.name)
                if hit is not None:
                    lpath, lookup, pk = hit
                    found = (where(lpath, lookup.span), f"looks `{model_label(pk.model)}` up by it at {where(lpath, lookup.span)}", pk)
                    break
            if found is None and route.class_path is not None and route.class_name is not None:
                model, field, url_kwarg = _view_model(index, route.class_path, route.class_name)
                view_pk = index.sequential(model) if model is not None else None
                if view_pk is not None and param.name == url_kwarg and field in ("pk", "id", view_pk.field):
                    found = (route.class_name, f"is the `{field}` lookup of `{route.class_name}` on `{model_label(view_pk.model)}`", view_pk)
            if found is None or (route.path, route.route.span) in seen:
                continue
            seen.add((route.path, route.route.span))
            _, how, pk = found
            analysis = [routes.analyze(route, e) for e in route.handlers]
            owned = any(a.ownership for a in analysis)
            roles = sorted({r for a in analysis for r in a.roles})
            public = route.access.state == "public"
            if public:
                access = f"The route is public ({route.access.evidence})"
            else:
                access = f"The route requires {'a role' if route.access.state == 'role' else 'authentication'} ({route.access.evidence})"
            access += "; the handler checks that the caller owns the object." if owned else (
                f"; the handler checks roles ({', '.join(roles)})." if roles else "; nothing checks that the caller owns the object."
            )
            message = (
                f"{route.label} takes `{param.name}` from the URL and {how}; the key of `{model_label(pk.model)}` is "
                f"{pk.why}, so every object can be reached by counting. {access} Put a random public id "
                "(UUID, hashid) in the URL and check ownership."
            )
            related = ((pk.path, pk.span, f"primary key of {model_label(pk.model)}"),) if pk.span is not None and pk.path else ()
            yield Draft(
                CODE,
                route.path,
                route.route.span,
                message,
                f"{_fingerprint_label(route)}:{param.name}",
                related=related,
                severity=Severity.HIGH if public and not owned and not roles else None,
            )
