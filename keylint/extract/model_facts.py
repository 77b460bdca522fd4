"""KL3xx facts, as plain picklable values: classes with their fields (ORM models, API schemas,
serializers), the model lookups and model-instance locals of functions, dicts that hand out
`"id": obj.id`, and response models.

`keylint.extract.models` fills them in workers with its LibCST visitor; `keylint.link.models` and the
KL3xx checks read them in the main process. This module imports nothing that parses, so linking
does not load LibCST just for these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keylint.model import Span

FAMILY = "models"


@dataclass(frozen=True, slots=True)
class FieldFact:
    """`name = call(type_arg, ..., k=v)` or `name: annotation = ...` in a class body."""

    name: str
    span: Span
    annotation: tuple[str, ...] = ()  # qualified names in the annotation: ("int",), ("sqlalchemy.orm.Mapped", "int")
    call: str | None = None  # qualified callee of the value: "sqlalchemy.Column", "app.db.Column"
    args: tuple[str, ...] = ()  # qualified names of the positional arguments (calls by their callee)
    keywords: tuple[tuple[str, str], ...] = ()  # kept keywords: ("primary_key", "True"), ("source", "pk")
    strings: tuple[str, ...] | None = None  # string / list-of-strings value of a kept attribute
    foreign_key: str | None = None  # `ForeignKey("users.id")` target or the model a Django FK points to

    def keyword(self, name: str) -> str | None:
        for k, v in self.keywords:
            if k == name:
                return v
        return None


@dataclass(frozen=True, slots=True)
class ClassFact:
    name: str  # qualified within the module: "User", "UserSerializer.Meta" is folded into `meta`
    span: Span  # the class name
    bases: tuple[str, ...]  # qualified names
    decorators: tuple[str, ...]  # qualified callees: `@as_declarative()` -> "sqlalchemy.ext.declarative.as_declarative"
    keywords: tuple[tuple[str, str], ...]  # class keywords: ("table", "True")
    fields: tuple[FieldFact, ...]
    meta: tuple[FieldFact, ...]  # the nested `class Meta` / `class Config` body
    orm_mode: bool  # pydantic `from_attributes` / `orm_mode`: the schema is read from ORM objects


@dataclass(frozen=True, slots=True)
class DictId:
    """`{"id": base.attr}` built in function `scope` (a method of `cls` when `cls` is set)."""

    key: str
    span: Span
    base: str  # local name, or "self"
    attr: str
    scope: str
    cls: str | None
    function: str
    target: str | None = None  # the local it is assigned to, alone or in a list: `data = [{"id": a.pk}]`


@dataclass(frozen=True, slots=True)
class ModelLocal:
    """`name = <model lookup or constructor>` in function `scope`; `model` is the qualified class name."""

    scope: str
    name: str
    model: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """A model fetched by primary key in function `scope`; `key` is the name the key value is read from."""

    scope: str
    model: str
    key: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class ResponseUse:
    """Names used as a route's response: `response_model=X`, or a route handler's return annotation."""

    names: tuple[str, ...]
    span: Span
    handler: str


@dataclass(slots=True)
class ModelFacts:
    classes: list[ClassFact] = field(default_factory=list)
    instances: dict[str, str] = field(default_factory=dict)  # module-level `db = SQLAlchemy()`: name -> callee
    aliases: dict[str, str] = field(default_factory=dict)  # module-level `Model = db.Model`: name -> qualified name
    settings: dict[str, str] = field(default_factory=dict)  # module-level DEFAULT_AUTO_FIELD / AUTH_USER_MODEL
    # module-level type aliases: `PrimaryKey = Annotated[int, Field(gt=0)]` -> ("typing.Annotated", "int", "pydantic.Field")
    type_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dict_ids: list[DictId] = field(default_factory=list)
    locals: list[ModelLocal] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    responses: list[ResponseUse] = field(default_factory=list)
    # locals sent by an HTTP client (`self.client.delete(url, data)`): (function scope, name); a dict
    # assigned to one is a request body, not a response
    request_bodies: list[tuple[str, str]] = field(default_factory=list)
    # `response.set_cookie("userid", obj.userid)` in a function: the cookie name as `key`, the value's
    # `base.attr` as in a dict id (an unsigned cookie that carries a key hands it to the client)
    cookie_ids: list[DictId] = field(default_factory=list)
    # schemas named only to document a request body: `@extend_schema(request=S)`, `request_body=S`
    request_docs: list[tuple[str, ...]] = field(default_factory=list)
