"""KL3xx extraction: the LibCST visitor that records classes with their fields (ORM models, API
schemas, serializers), the model lookups and model-instance locals of functions, dicts that hand out
`"id": obj.id`, and response models, as the values of `keylint.extract.model_facts`.

Extraction records what the code says with names qualified through the module's imports; whether a
class is a model, which primary key it has and which model a schema mirrors is decided across
modules by `keylint.link.models`. No string value is kept except field names and a few settings
that name models (`AUTH_USER_MODEL`, `DEFAULT_AUTO_FIELD`, `__tablename__`): never a secret.
"""

from __future__ import annotations

import libcst as cst

from keylint.extract.model_facts import FAMILY, ClassFact, DictId, FieldFact, Lookup, ModelFacts, ModelLocal, ResponseUse
from keylint.extract.pyvisit import FactVisitor, ModuleState, dotted, string_value
from keylint.model import Span

# Keyword arguments of field calls worth keeping, with literal True/False/None or string values.
_FIELD_KEYWORDS = frozenset(
    {"primary_key", "pk", "autoincrement", "alias", "serialization_alias", "source", "to", "read_only", "load_only", "dump_only", "exclude"}
)
# Class attributes whose string (or list of strings) values are kept: they name fields, tables, models.
_STRING_ATTRS = frozenset(
    {"__tablename__", "lookup_field", "lookup_url_kwarg", "default_auto_field", "DEFAULT_AUTO_FIELD", "AUTH_USER_MODEL", "name", "label"}
)
# Nested classes that configure their parent rather than being classes of their own.
_CONFIG_CLASSES = frozenset({"Meta", "Config"})
_ORM_MODE = frozenset({"orm_mode", "from_attributes"})
_ID_KEYS = frozenset({"id", "pk"})
# Subscripted typing constructs whose module-level assignment is a type alias a field may be annotated with.
_ALIAS_FORMS = frozenset({"Annotated", "Optional", "Union", "Literal"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
# Calls a dict of ids may be handed to on its way into a response (or into a list that becomes one).
_RESPONSE_CALLS = frozenset(
    {"jsonify", "JsonResponse", "JSONResponse", "ORJSONResponse", "UJSONResponse", "Response", "HttpResponse",
     "make_response", "json_response", "dumps", "dict", "list", "tuple", "append", "extend", "insert", "update",
     "setdefault", "sorted", "success", "ok"}
)


def _literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value
    value = string_value(node)
    return value if isinstance(value, str) else None


def _strings(node: cst.BaseExpression) -> tuple[str, ...] | None:
    value = string_value(node)
    if isinstance(value, str):
        return (value,)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        out = []
        for el in node.elements:
            v = string_value(el.value)
            if not isinstance(v, str):
                return None
            out.append(v)
        return tuple(out)
    return None


class _ClassBuilder:
    __slots__ = ("name", "span", "bases", "decorators", "keywords", "fields", "meta", "orm_mode", "config")

    def __init__(
        self, name: str, span: Span, bases: tuple[str, ...], decorators: tuple[str, ...], keywords: tuple[tuple[str, str], ...], config: bool
    ) -> None:
        self.name = name
        self.span = span
        self.bases = bases
        self.decorators = decorators
        self.keywords = keywords
        self.fields: list[FieldFact] = []
        self.meta: list[FieldFact] = []
        self.orm_mode = False
        self.config = config  # a nested Meta/Config class: its fields go to the parent's `meta`


class ModelVisitor(FactVisitor):
    """Classes, fields, model lookups, id-carrying dicts and response models of one module."""

    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.out = ModelFacts()
        self.facts.families[FAMILY] = self.out
        self.classes: list[_ClassBuilder] = []
        self.managers = frozenset(e["name"] for e in self.catalog.table("model_manager"))
        self.pk_methods = frozenset(e["name"] for e in self.catalog.table("pk_lookup_method"))
        self.pk_keywords = frozenset(e["name"] for e in self.catalog.table("pk_keyword"))
        self.lookup_calls = {e["call"]: e["model_position"] for e in self.catalog.table("model_lookup_call")}
        self.serializer_methods = frozenset(e["name"] for e in self.catalog.table("serializer_method"))
        self.route_methods = frozenset({"get", "post", "put", "patch", "delete", "api_route", "route", "head", "options"})
        # the last name of every call being visited, innermost last: a dict handed to `reverse()` or
        # `filter()` is a lookup, not a response; one handed to `jsonify()` or `append()` may be
        self.open_calls: list[str] = []
        self.assigned_dicts: dict[int, str] = {}  # id() of a dict literal assigned to a local (alone or in a list) -> the local

    # ---- helpers ----
    def names_in(self, node: cst.BaseExpression | None) -> tuple[str, ...]:
        """Qualified names mentioned in a type expression, in order, without typing wrappers."""
        out: list[str] = []

        def walk(n: cst.CSTNode) -> None:
            if isinstance(n, (cst.Name, cst.Attribute)):
                q = self.qualname(n)
                if q is not None and q not in ("None",) and q not in out:
                    out.append(q)
                return
            if isinstance(n, cst.Subscript):
                walk(n.value)
                for el in n.slice:
                    if isinstance(el.slice, cst.Index):
                        walk(el.slice.value)
                return
            if isinstance(n, cst.BinaryOperation):
                walk(n.left)
                walk(n.right)
                return
            if isinstance(n, cst.Call):
                walk(n.func)
                return
            if isinstance(n, (cst.List, cst.Tuple)):
                for element in n.elements:
                    walk(element.value)
                return
            value = string_value(n) if isinstance(n, cst.BaseExpression) else None
            if isinstance(value, str) and value.replace(".", "").replace("_", "").isalnum():
                out.append(value)  # forward reference: "User"

        if node is not None:
            walk(node)
        return tuple(out)

    def callee(self, node: cst.BaseExpression) -> str | None:
        """Qualified name of a call's function, or of a name; `Integer()` and `Integer` alike."""
        if isinstance(node, cst.Call):
            return self.qualname(node.func)
        return self.qualname(node)

    def _through_call(self, node: cst.BaseExpression) -> str | None:
        """`get_user_model().objects.all` -> "django.contrib.auth.get_user_model().objects.all": a
        dotted chain read off an argument-less call, the way a queryset names its model factory."""
        attrs: list[str] = []
        while isinstance(node, cst.Attribute):
            attrs.append(node.attr.value)
            node = node.value
        if not attrs or not isinstance(node, cst.Call) or node.args:
            return None
        q = self.qualname(node.func)
        return ".".join([f"{q}()", *reversed(attrs)]) if q else None

    def function_name(self) -> str | None:
        stack = self.stack
        return stack[-1][1] if stack and stack[-1][0] == "def" else None

    # ---- classes ----
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self.classes[-1] if self.classes and len(self.stack) >= 2 and self.stack[-2][0] == "class" else None
        config = parent is not None and node.name.value in _CONFIG_CLASSES
        bases = tuple(q for q in (self.callee(a.value.value if isinstance(a.value, cst.Subscript) else a.value) for a in node.bases if a.keyword is None) if q)
        keywords = tuple(
            (a.keyword.value, lit) for a in node.keywords if a.keyword is not None and (lit := _literal(a.value)) is not None
        )
        decorators = tuple(q for q in (self.callee(d.decorator) for d in node.decorators) if q)
        self.classes.append(_ClassBuilder(self.scope, self.span(node.name), bases, decorators, keywords, config))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        b = self.classes.pop()
        if b.config:
            parent = self.classes[-1]
            parent.meta.extend(b.fields)
            parent.orm_mode = parent.orm_mode or b.orm_mode or any(f.name in _ORM_MODE and f.keyword("value") == "True" for f in b.fields)
            return
        self.out.classes.append(ClassFact(b.name, b.span, b.bases, b.decorators, b.keywords, tuple(b.fields), tuple(b.meta), b.orm_mode))

    def _class_body(self) -> _ClassBuilder | None:
        if self.classes and self.stack and self.stack[-1][0] == "class" and self.classes[-1].name == self.scope:
            return self.classes[-1]
        return None

    def _field(self, name: str, node: cst.CSTNode, annotation: cst.BaseExpression | None, value: cst.BaseExpression | None) -> FieldFact:
        call = args = None
        keywords: list[tuple[str, str]] = []
        foreign_key = None
        strings = _strings(value) if value is not None and (name in _STRING_ATTRS or name in ("fields", "exclude", "read_only_fields", "model", "only_fields", "exclude_fields")) else None
        if isinstance(value, cst.Call):
            call = self.qualname(value.func) or self._through_call(value.func)
            positional = [a.value for a in value.args if a.keyword is None and not a.star]
            args = tuple(q for q in (self.callee(a) for a in positional) if q)
            for a in value.args:
                if a.keyword is None:
                    continue
                k = a.keyword.value
                if k in _FIELD_KEYWORDS:
                    lit = _literal(a.value)
                    if lit is not None:
                        keywords.append((k, lit))
                if k == "foreign_key" and isinstance(fk := string_value(a.value), str):
                    foreign_key = fk  # SQLModel Field(foreign_key="team.id")
                if k == "to" and foreign_key is None:
                    foreign_key = self.qualname(a.value) or (v if isinstance(v := string_value(a.value), str) else None)
            for p in positional:
                # Column(Integer, ForeignKey("users.id")), models.ForeignKey(User, ...)
                if isinstance(p, cst.Call) and (self.qualname(p.func) or "").endswith("ForeignKey") and p.args:
                    target = string_value(p.args[0].value)
                    foreign_key = target if isinstance(target, str) else self.qualname(p.args[0].value)
            if (call or "").endswith(("ForeignKey", "OneToOneField", "ForeignKeyField")) and positional:
                target = string_value(positional[0])
                foreign_key = target if isinstance(target, str) else self.qualname(positional[0])
        elif value is not None:
            lit = _literal(value)
            if lit is not None and lit in ("True", "False", "None"):
                keywords.append(("value", lit))
            if strings is None and name == "model":
                q = self.qualname(value)
                strings = (q,) if q else None
        return FieldFact(
            name=name,
            span=self.span(node),
            annotation=self.names_in(annotation),
            call=call,
            args=args or (),
            keywords=tuple(keywords),
            strings=strings,
            foreign_key=foreign_key,
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        body = self._class_body()
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            if body is not None:
                if body.config and name == "model" and isinstance(node.value, cst.Call):
                    # `model = get_user_model()` in a Meta: keep the call as the model reference
                    q = self.qualname(node.value.func)
                    body.fields.append(FieldFact(name, self.span(node), strings=(f"{q}()",) if q else None))
                    continue
                if name == "model_config" and isinstance(node.value, cst.Call):
                    body.orm_mode = body.orm_mode or any(
                        a.keyword is not None and a.keyword.value in _ORM_MODE and _literal(a.value) == "True" for a in node.value.args
                    )
                    continue
                body.fields.append(self._field(name, node, None, node.value))
            elif not self.stack:
                if isinstance(node.value, cst.Call):
                    q = self.qualname(node.value.func)
                    if q:
                        self.out.instances[name] = q
                elif isinstance(node.value, (cst.Name, cst.Attribute)):
                    q = self.qualname(node.value)
                    if q and q != name:
                        self.out.aliases[name] = q
                elif isinstance(node.value, cst.Subscript):
                    self._type_alias(name, node.value)
                elif name in ("DEFAULT_AUTO_FIELD", "AUTH_USER_MODEL"):
                    v = string_value(node.value)
                    if isinstance(v, str):
                        self.out.settings[name] = v
            elif self.stack[-1][0] == "def":
                model = self._model_of(node.value)
                if model is not None:
                    self.out.locals.append(ModelLocal(self.scope, name, model))
                value = node.value
                for d in [value] if isinstance(value, cst.Dict) else [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else []:
                    if isinstance(d, cst.Dict):
                        self.assigned_dicts[id(d)] = name

    def _type_alias(self, name: str, value: cst.Subscript) -> None:
        if (self.qualname(value.value) or "").rpartition(".")[2] in _ALIAS_FORMS:
            self.out.type_aliases[name] = self.names_in(value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        body = self._class_body()
        if body is None and not self.stack and isinstance(node.target, cst.Name) and isinstance(node.value, cst.Subscript):
            self._type_alias(node.target.value, node.value)  # `PrimaryKey: TypeAlias = Annotated[int, ...]`
            return
        if body is None or not isinstance(node.target, cst.Name):
            return
        body.fields.append(self._field(node.target.value, node, node.annotation.annotation, node.value))

    # ---- functions: response models, model locals, lookups, id dicts ----
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = False
        for d in node.decorators:
            call = d.decorator
            if isinstance(call, cst.Call):
                for a in call.args:
                    if a.keyword is not None and a.keyword.value in ("request", "request_body"):
                        documented = self.names_in(a.value)
                        if documented:
                            self.out.request_docs.append(documented)
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                continue
            if call.func.attr.value not in self.route_methods:
                continue
            route = True
            for a in call.args:
                if a.keyword is not None and a.keyword.value == "response_model":
                    names = self.names_in(a.value)
                    if names:
                        self.out.responses.append(ResponseUse(names, self.span(a), self.scope))
        if route and node.returns is not None:
            names = self.names_in(node.returns.annotation)
            if names:
                self.out.responses.append(ResponseUse(names, self.span(node.returns), self.scope))

    def _model_of(self, node: cst.BaseExpression | None) -> str | None:
        """The model class an expression fetches or builds: `M.query...first()`, `session.get(M, x)`, `M(...)`."""
        while isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call):
            return None
        root = self._manager_root(node)
        if root is not None:
            return root
        model = self._lookup_call_model(node)
        if model is not None:
            return model
        if isinstance(node.func, (cst.Name, cst.Attribute)):
            q = self.qualname(node.func)
            if q and q.rpartition(".")[2][:1].isupper():
                return q  # a constructor: the linker keeps it only if it names a model
        return None

    def _manager_root(self, node: cst.BaseExpression) -> str | None:
        """`User` for `User.query.filter_by(...).first()` / `User.objects.get(...)` / `User.get_by_id(x)`."""
        chain: list[str] = []
        while True:
            if isinstance(node, cst.Call):
                node = node.func
            elif isinstance(node, cst.Attribute):
                chain.append(node.attr.value)
                node = node.value
            else:
                break
        if not isinstance(node, (cst.Name,)) or not chain:
            return None
        if chain[-1] in self.managers or chain[-1] in self.pk_methods:
            q = self.qualname(node)
            return q if q and q.rpartition(".")[2][:1].isupper() else None
        return None

    def _lookup_call_model(self, node: cst.Call) -> str | None:
        q = self.qualname(node.func)
        position = self.lookup_calls.get(q or "")
        if position is None and isinstance(node.func, (cst.Attribute, cst.Name)):
            # `session.get(M, x)`, and project helpers named like them: `get_or_404(M, id=x)`
            name = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value
            position = self.lookup_calls.get(f".{name}")
        if position is None:
            return None
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        if position < len(positional) and isinstance(positional[position], (cst.Name, cst.Attribute)):
            m = self.qualname(positional[position])
            if m and m.rpartition(".")[2][:1].isupper():
                return m
        return None

    def _key_name(self, node: cst.BaseExpression) -> str | None:
        """The name a primary-key value is read from: `x`, `int(x)`, `kwargs["pk"]` -> "pk"."""
        while isinstance(node, cst.Call) and len(node.args) == 1 and isinstance(node.func, cst.Name) and node.func.value in ("int", "str"):
            node = node.args[0].value
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            return node.attr.value  # self.pk / kwargs.pk
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            v = string_value(node.slice[0].slice.value)
            return v if isinstance(v, str) else None
        return None

    def leave_Call(self, original_node: cst.Call) -> None:
        self.open_calls.pop()

    def visit_Call(self, node: cst.Call) -> None:
        self.open_calls.append((dotted(node.func) or "").rpartition(".")[2])
        if not any(kind == "def" for kind, _, _ in self.stack):
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _HTTP_VERBS and self._http_client(node.func.value):
            self.out.request_bodies.extend((self.scope, a.value.value) for a in node.args if isinstance(a.value, cst.Name))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_cookie":
            self._cookie(node)
        keyed = [a for a in node.args if a.keyword is not None and a.keyword.value in self.pk_keywords]
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        model = self._lookup_call_model(node)
        if model is not None:
            # session.get(User, pk) / get_object_or_404(User, pk=pk)
            key_node = keyed[0].value if keyed else positional[1] if len(positional) > 1 else None
            if key_node is not None:
                self.out.lookups.append(Lookup(self.scope, model, self._key_name(key_node), self.span(node)))
            return
        if not isinstance(node.func, cst.Attribute):
            return
        root = self._manager_root(node)
        if root is None:
            return
        method = node.func.attr.value
        if keyed:
            self.out.lookups.append(Lookup(self.scope, root, self._key_name(keyed[0].value), self.span(node)))
        elif method in self.pk_methods and len(positional) == 1 and not isinstance(positional[0], cst.Comparison):
            self.out.lookups.append(Lookup(self.scope, root, self._key_name(positional[0]), self.span(node)))

    def _cookie(self, node: cst.Call) -> None:
        """`response.set_cookie("userid", obj.userid)`: which attribute of which local is sent as the cookie."""
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        key = named.get("key", positional[0] if positional else None)
        value = named.get("value", positional[1] if len(positional) > 1 else None)
        name = string_value(key) if key is not None else None
        function = self.function_name()
        if not isinstance(name, str) or function is None or not isinstance(value, cst.Attribute) or not isinstance(value.value, cst.Name):
            return
        self.out.cookie_ids.append(DictId(name, self.span(node), value.value.value, value.attr.value, self.scope, self.enclosing_class(), function))

    def _http_client(self, node: cst.BaseExpression) -> bool:
        """`self.client`, `client`, `api_client`, `requests`, `httpx`: what sends a request."""
        name = dotted(node) or ""
        return "client" in name.rpartition(".")[2].lower() or (self.qualname(node) or name) in ("requests", "httpx")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # select(User).where(User.id == user_id), User.query.filter(User.id == x), User.get(User.id == x)
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, cst.Equal):
            return
        if not any(kind == "def" for kind, _, _ in self.stack):
            return
        left, right = node.left, node.comparisons[0].comparator
        if not (isinstance(left, cst.Attribute) and isinstance(left.value, cst.Name) and left.attr.value in _ID_KEYS):
            left, right = right, left
        if isinstance(left, cst.Attribute) and isinstance(left.value, cst.Name) and left.attr.value in _ID_KEYS:
            q = self.qualname(left.value)
            if q and q.rpartition(".")[2][:1].isupper():
                self.out.lookups.append(Lookup(self.scope, q, self._key_name(right), self.span(node)))

    def visit_Dict(self, node: cst.Dict) -> None:
        function = self.function_name()
        if function is None or (self.open_calls and self.open_calls[-1] not in _RESPONSE_CALLS):
            return
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                continue
            key = string_value(el.key)
            if key not in _ID_KEYS or not isinstance(el.value, cst.Attribute) or not isinstance(el.value.value, cst.Name):
                continue
            cls = self.enclosing_class()
            base = el.value.value.value
            if cls is not None and base == self.self_name():
                if function not in self.serializer_methods:
                    continue
                base = "self"
            target = self.assigned_dicts.get(id(node))
            self.out.dict_ids.append(DictId(str(key), self.span(el), base, el.value.attr.value, self.scope, cls, function, target))
