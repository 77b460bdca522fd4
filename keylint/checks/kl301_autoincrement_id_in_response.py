"""KL301 autoincrement-id-in-response: a response schema, serializer or dict hands out a sequential primary key.

Fires only when the exposed field is connected to a model whose primary key is an auto-increment
integer: a pydantic/SQLModel response model mirroring that model, a DRF `ModelSerializer` or
marshmallow auto schema of it, an explicit integer id field of a schema mirroring it, or a dict
built from an instance of it (`{"id": user.id}`). A bare `id: int` with no model behind it is silent.
"""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.extract.model_facts import FieldFact
from keylint.link.ids import IdExposure, UnroutedView, severity
from keylint.link.models import DJANGO_USER, ClassRef, Key, ModelIndex, PrimaryKey, model_label
from keylint.link.routes import LinkedRoute
from keylint.model import Severity, Span

CODE = "KL301"
_ID_NAMES = ("id", "pk")


def _pk_place(pk: PrimaryKey) -> str:
    if pk.model == DJANGO_USER:
        return "Django's built-in `User`"
    at = f" ({where(pk.path, pk.span)})" if pk.span is not None else f" ({pk.path})"
    return f"model `{model_label(pk.model)}`{at}"


def _draft(path: str, span: Span, what: str, token: str, pk: PrimaryKey, said: str, level: Severity | None) -> Draft:
    noun = model_label(pk.model).lower()
    message = (
        f"{what} exposes the primary key of {_pk_place(pk)}, which is {pk.why}.{said} Sequential ids let a client walk every "
        f"{noun} from 1 to N; expose a random public identifier (UUID, hashid) instead of the primary key."
    )
    related = ((pk.path, pk.span, f"primary key of {model_label(pk.model)}"),) if pk.span is not None and pk.path else ()
    return Draft(CODE, path, span, message, token, related=related, severity=level)


def _field_name(f: FieldFact) -> str:
    return f.keyword("serialization_alias") or f.keyword("alias") or f.keyword("source") or f.name


Exposed = tuple[str, Span, str, str, PrimaryKey, list[LinkedRoute], list[UnroutedView]]


def _pydantic(index: ModelIndex, ids: IdExposure) -> Iterator[Exposed]:
    for key in index.response_schemas:
        for owner, f in index.fields(key):
            name = _field_name(f)
            if not (name in _ID_NAMES or name.endswith("_id")) or not index.is_int_field(owner[0], f):
                continue
            pk = index.id_target(key, name)
            if pk is not None:
                yield owner[0], f.span, f"Response schema `{model_label(key)}` field `{f.name}`", f"{model_label(owner)}.{f.name}", pk, ids.serving(key), ids.unrouted_views(key)


def _explicit_id(index: ModelIndex, key: Key) -> tuple[str, FieldFact] | None:
    """The `id`/`pk` field a serializer declares itself (or inherits), with the module declaring it."""
    for owner, f in index.fields(key):
        if f.name in _ID_NAMES:
            return owner[0], f
    return None


def _serializers(index: ModelIndex, ids: IdExposure) -> Iterator[Exposed]:
    documented = {r.key for path, mf in index.facts.items() for names in mf.request_docs for name in names if isinstance(r := index.resolve(path, name), ClassRef)}
    for key, cls in sorted(index.classes.items()):
        kind = index.schema_kind(key)
        if kind not in ("drf-model", "drf-hyperlinked", "marshmallow-auto", "graphene-model"):
            continue
        model_entry = index.meta(key, "model")
        if model_entry is None or not model_entry[1].strings:
            continue
        model = index.model_ref(model_entry[0][0], model_entry[1].strings[0])
        pk = index.sequential(model) if model is not None else None
        if pk is None:
            continue
        explicit = _explicit_id(index, key)
        if explicit is not None:
            declared_in, declared = explicit
            if not (index.is_int_field(declared_in, declared) or (declared.call or "").endswith("ReadOnlyField")):
                continue  # `id = HashidSerializerCharField(...)`, `id = serializers.UUIDField(source="public_id")`
            if (declared.keyword("source") or "pk") not in ("pk", "id", pk.field):
                continue
        fields = index.meta(key, "fields") or index.meta(key, "only_fields")  # graphene-sqlalchemy: only_fields
        exclude = index.meta(key, "exclude") or index.meta(key, "exclude_fields")
        names = set(fields[1].strings or ()) if fields else set()
        excluded = set(exclude[1].strings or ()) if exclude else set()
        if excluded & {"id", "pk", pk.field}:
            continue
        noun = "Serializer" if kind.startswith("drf") else "GraphQL type" if kind == "graphene-model" else "Schema"
        label = f"{noun} `{model_label(key)}`"
        served = ids.serving(key)
        if not served and key in documented:
            continue  # only documents a request body (`@extend_schema(request=S)`): it never renders a response
        if fields is not None and fields[1].strings is not None:
            listed = names & {"id", "pk", pk.field}
            if "__all__" in names and kind != "drf-hyperlinked":
                yield fields[0][0], fields[1].span, f"{label} (`fields = \"__all__\"`)", f"{model_label(key)}.fields=__all__", pk, served, ids.unrouted_views(key)
            elif listed:
                yield fields[0][0], fields[1].span, f"{label} (`{fields[1].name}` lists `{sorted(listed)[0]}`)", f"{model_label(key)}.fields", pk, served, ids.unrouted_views(key)
            continue
        if kind == "drf-hyperlinked":
            continue  # its default fields are `url` and the model's non-key fields
        where_ = exclude or model_entry
        what = f"(`{exclude[1].name}` keeps the key)" if exclude else "(all model fields)"
        yield where_[0][0], where_[1].span, f"{label} {what}", f"{model_label(key)}.{where_[1].name}", pk, served, ids.unrouted_views(key)


def _marshmallow(index: ModelIndex, ids: IdExposure) -> Iterator[Exposed]:
    for key, cls in sorted(index.classes.items()):
        if index.schema_kind(key) != "marshmallow":
            continue
        for owner, f in index.fields(key):
            name = _field_name(f)
            if name not in _ID_NAMES or f.annotation or not index.is_int_field(owner[0], f):
                continue
            model_entry = index.meta(key, "model")
            model = index.model_ref(model_entry[0][0], model_entry[1].strings[0]) if model_entry and model_entry[1].strings else None
            pk = index.sequential(model) if model is not None else index.id_target(key, name)
            if pk is not None:
                yield owner[0], f.span, f"Schema `{model_label(key)}` field `{f.name}`", f"{model_label(owner)}.{f.name}", pk, ids.serving(key), ids.unrouted_views(key)


def _cookies(index: ModelIndex, ids: IdExposure) -> Iterator[Exposed]:
    for path, mf in sorted(index.facts.items()):
        for c in mf.cookie_ids:
            pk = index.instance_key(path, c)
            if pk is not None:
                what = f"Cookie `{c.key}` set to `{c.base}.{c.attr}` in `{c.function}()`"
                yield path, c.span, what, f"{c.function}:cookie:{c.key}:{c.base}.{c.attr}", pk, ids.function_routes(path, c.scope), []


def _dicts(index: ModelIndex, ids: IdExposure) -> Iterator[Exposed]:
    for path, mf in sorted(index.facts.items()):
        sent = set(mf.request_bodies)
        for d in mf.dict_ids:
            if d.target is not None and (d.scope, d.target) in sent:
                continue  # a request body a client sends (a test's `self.client.delete(url, data)`), not a response
            pk = index.instance_key(path, d)
            if pk is None:
                continue
            source = f"{d.base}.{d.attr}"
            what = f"Dict `{{\"{d.key}\": {source}}}` built in `{d.function}()`"
            yield path, d.span, what, f"{d.function}:{d.key}:{source}", pk, ids.function_routes(path, d.scope), []


def _exposure(ids: IdExposure, routes: list[LinkedRoute], views: list[UnroutedView]) -> tuple[str, Severity | None]:
    """What the message says about who reads the ids, and the severity that follows from it: the
    linked routes that return the schema, else the views that render it that no linked route reaches.
    A public route that answers only after checking the caller's credential (a login) hands the ids
    to an authenticated caller."""
    public = [r for r in routes if r.access.state == "public"]
    proofs = {id(r): ids.credential_proof(r) for r in public}
    open_routes = [r for r in public if proofs[id(r)] is None]
    if open_routes:
        return f" It is returned by {open_routes[0].label}, which anybody can call ({open_routes[0].access.evidence}).", severity(True, False)
    if public:
        return f" It is returned only to callers who proved a credential ({public[0].label} answers after {proofs[id(public[0])]}).", severity(False, False)
    if routes:
        return f" It is returned only by routes that require authentication ({routes[0].label}: {routes[0].access.evidence}).", severity(False, False)
    open_views = [v for v in views if v.access.state == "public"]
    if open_views:
        v = open_views[0]
        return f" It is rendered by view `{v.name}` ({v.path}), which anybody can call ({v.access.evidence}).", severity(True, False)
    if views:
        v = views[0]
        return f" It is rendered only by views that require authentication (`{v.name}` in {v.path}: {v.access.evidence}).", severity(False, False)
    return "", None


def check(ctx: Context) -> Iterator[Draft]:
    index, ids = ctx.models, ctx.ids
    seen: set[tuple[str, Span]] = set()
    for source in (_pydantic, _serializers, _marshmallow, _dicts, _cookies):
        for path, span, what, token, pk, routes, views in source(index, ids):
            if (path, span) in seen or ids.echoes_url_id(routes, pk):
                continue
            seen.add((path, span))
            said, level = _exposure(ids, routes, views)
            yield _draft(path, span, what, token, pk, said, level)
