"""KL1xx facts: how names get their values (bindings) and where keys are used (sinks).

Values are recorded as `Expr` trees, resolved across modules later by `keylint.link`.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from keylint.catalog import split_words

from keylint.extract.facts import (
    OPAQUE,
    Alt,
    Attr,
    Binding,
    ClassAttr,
    Concat,
    Env,
    Expr,
    FileFinding,
    Item,
    Lit,
    Module,
    Ref,
    Returned,
    Setting,
    Sink,
    Weak,
    make_secret,
)
from keylint.extract.jwk import PRIVATE_MEMBERS, private_members
from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, int_value, string_value
from keylint.model import Span

# Calls that read the environment: qualified name -> (index of the variable, index of the default).
_ENV_READERS = {
    "os.getenv": (0, 1),
    "os.environ.get": (0, 1),
    "os.environ.setdefault": (0, 1),
    "decouple.config": (0, None),
}
# Objects whose instances read the environment when called: `env = environ.Env(); env("X", default=..)`.
_ENV_FACTORIES = {"environ.Env", "starlette.config.Config", "decouple.AutoConfig", "decouple.Config"}
# Calls that hand their argument through unchanged as far as "is this key hard-coded?" goes.
_PASS_THROUGH_CALLS = {
    "str", "bytes", "bytearray", "base64.b64decode", "base64.urlsafe_b64decode", "base64.b64encode",
    "base64.urlsafe_b64encode", "base64.b32decode", "bytes.fromhex", "binascii.unhexlify", "binascii.a2b_hex",
    "pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr", "starlette.datastructures.Secret",
    "starlette.config.Secret", "codecs.encode", "codecs.decode",
}
_PASS_THROUGH_METHODS = {"encode", "decode", "strip", "rstrip", "lstrip", "get_secret_value"}
_RANDOM_BYTES = {"secrets.token_hex", "secrets.token_bytes", "secrets.token_urlsafe", "os.urandom", "Crypto.Random.get_random_bytes"}
_PREDICTABLE = {"uuid.uuid1": "a time-based uuid1", "time.time": "the clock", "time.time_ns": "the clock", "datetime.datetime.now": "the clock"}
_SAFE_RANDOM = {"random.SystemRandom"}
# Test APIs that replace settings for one test: the keys passed there are test keys by construction.
_TEST_OVERRIDES = {"django.test.override_settings", "django.test.utils.override_settings", "django.test.modify_settings"}
_SETTINGS_BASES = ("BaseSettings",)
# Fewer random bytes than this is a guessable key (below 128 bits); RFC 7518 asks 32 for HS256.
_MIN_RANDOM_BYTES = 16


def _joined_literal(node: cst.BaseExpression) -> str | bytes | None:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _joined_literal(node.left), _joined_literal(node.right)
        if isinstance(left, str) and isinstance(right, str) or isinstance(left, bytes) and isinstance(right, bytes):
            return left + right  # type: ignore[operator]
        return None
    return string_value(node)


# A word a placeholder adds to the name it stands for: `{"secret_key": "secret_value"}`.
_PLACEHOLDER_WORDS = frozenset({"value", "val"})


def _names_itself(name: str, text: str) -> bool:
    """A value spelled with its own name's words is a label, not key material: the name of a dict or
    session entry (`PRIVATE_KEY = "private_key"`, `CSRF_TOKEN_KEY = "csrftoken"`), an enum member's
    type label (`SECRET = "Secret"`), or a placeholder (`"secret_key": "secret_value"`)."""
    words, own = split_words(text), split_words(name)
    if not words or len(text) > 64:
        return False
    if words == own or len(words) > 1 and set(words) & set(own) and set(words) <= set(own) | _PLACEHOLDER_WORDS:
        return True  # one word is a label only as the whole name: "secret" for `secret_key` is a (weak) key
    joined = "".join(words)  # "csrftoken" spells the run CSRF_TOKEN of CSRF_TOKEN_KEY
    return any("".join(own[i:j]) == joined for i in range(len(own)) for j in range(i + 2, len(own) + 1))


def _item_setting(base: str, key: str) -> str:
    """The setting an item assignment sets: an item of `app.config` is the setting itself, an item
    of a container setting is `CONTAINER.ITEM` (`SIMPLE_JWT.SIGNING_KEY`)."""
    owner = base.rpartition(".")[2]
    return key if owner == "config" else f"{owner}.{key}"


class KeyVisitor(FactVisitor):
    """KL1xx facts: bindings (how names get their values) and sinks (where keys are used)."""

    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.findings = state.findings
        self.signers = self.catalog.signer_by_call
        self.setting_names = self.catalog.setting_names
        self.containers = self.catalog.container_items
        self.settings_classes: set[str] = set()
        self.env_objects: set[str] = set()
        # the weak generator found inside each call so far, and one slot per call being visited
        self.weak_calls: dict[int, Weak] = {}
        self.open_calls: list[Weak | None] = []

    # ---- helpers ----
    def is_key_name(self, name: str) -> bool:
        return name in self.setting_names or self.catalog.key_names.matches(name)

    # ---- expressions ----
    def expr(self, node: cst.BaseExpression | None) -> Expr:
        if node is None:
            return OPAQUE
        value = string_value(node)
        if value is not None:
            return Lit(make_secret(value, self.span(node)))
        if isinstance(node, cst.Name):
            if node.value in ("None", "True", "False"):
                return OPAQUE
            return Ref(node.value, self.scope, self.span(node).line)
        if isinstance(node, cst.Attribute):
            return self.attribute(node)
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            joined = _joined_literal(node)
            if joined is not None:
                return Lit(make_secret(joined, self.span(node)))  # "prefix-" + "rest": one key, one finding
            return Concat((self.expr(node.left), self.expr(node.right)))
        if isinstance(node, cst.BooleanOperation):
            left, right = self.expr(node.left), self.expr(node.right)
            if isinstance(node.operator, cst.Or) and isinstance(left, Env) and left.default is None:
                return Env(left.var, right, left.span, left.via)  # os.environ.get("K") or "fallback"
            return Alt((left, right))
        if isinstance(node, cst.IfExp):
            return Alt((self.expr(node.body), self.expr(node.orelse)))
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        return OPAQUE

    def attribute(self, node: cst.Attribute) -> Expr:
        cls = self.enclosing_class()
        if cls is not None and isinstance(node.value, cst.Name) and node.value.value == self.self_name():
            return ClassAttr(cls, node.attr.value)
        qual = self.qualname(node)
        if qual is not None:
            if qual.startswith("django.conf.settings."):
                return Setting(qual[len("django.conf.settings.") :])
            head = dotted(node)
            if head is not None and head.split(".")[0] in self.facts.imports:
                return Module(qual)
        return Attr(self.expr(node.value), node.attr.value)

    def subscript(self, node: cst.Subscript) -> Expr:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return OPAQUE
        key = string_value(node.slice[0].slice.value)
        if not isinstance(key, str):
            return OPAQUE
        base = self.qualname(node.value)
        if base == "os.environ":
            return Env(key, None, self.span(node), "os.environ[...]")
        if base is not None and (base == "config" or base.endswith(".config")):
            return Setting(key)
        return Item(self.expr(node.value), key)

    def call(self, node: cst.Call) -> Expr:
        qual = self.qualname(node.func)
        first = argument(node, 0, None)
        if qual in _ENV_READERS or (qual is not None and self._is_env_object_call(qual)):
            var_index, default_index = _ENV_READERS.get(qual or "", (0, 1))
            var = string_value(argument(node, var_index, "key"))
            default_node = argument(node, default_index, "default")
            default = self.expr(default_node) if default_node is not None else None
            return Env(var if isinstance(var, str) else None, default, self.span(node), qual or "env")
        if qual is not None and (qual.endswith("config.get") or qual == "config.get"):
            key = string_value(first)
            if isinstance(key, str):
                return Setting(key)
        if qual in _PASS_THROUGH_CALLS:
            return self.expr(first)
        if qual in ("typing.cast", "typing_extensions.cast"):  # `cast(str, settings.SECRET_KEY)`: the value, typed
            value = argument(node, 1, "val")
            return self.expr(value) if value is not None else OPAQUE
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _PASS_THROUGH_METHODS:
            return self.expr(node.func.value)
        weak = self.weakness(node)
        if weak is not None:
            return weak
        if qual is not None and qual in ("pydantic.Field", "Field", "pydantic.fields.Field"):
            field_default = argument(node, 0, "default")
            return self.expr(field_default) if field_default is not None else OPAQUE
        if isinstance(node.func, (cst.Name, cst.Attribute)) and dotted(node.func) is not None:
            args = tuple(self.expr(a.value) for a in node.args if a.keyword is None and not a.star)
            kwargs = tuple((a.keyword.value, self.expr(a.value)) for a in node.args if a.keyword is not None)
            return Returned(self.expr(node.func), args, kwargs)
        return OPAQUE

    def _is_env_object_call(self, qual: str) -> bool:
        head, _, rest = qual.partition(".")
        return head in self.env_objects and rest in ("", "str", "bytes")

    def weakness(self, node: cst.Call) -> Weak | None:
        """Predictable or short key generation anywhere inside this call expression: worked out
        bottom-up as calls are left (facts are recorded on leave, after their nested calls)."""
        return self.weak_calls.get(id(node))

    def _weak_call(self, call: cst.Call) -> Weak | None:
        """Is this call itself a predictable or short key generator?"""
        qual = self.qualname(call.func)
        if qual is None:
            return None
        if qual in _RANDOM_BYTES:
            n = int_value(argument(call, 0, "nbytes") or argument(call, 0, "n"))
            if n is not None and n < _MIN_RANDOM_BYTES:
                return Weak(f"made from only {n} random bytes ({n * 8} bits; HS256 asks for 256)", self.span(call))
        elif qual.startswith("random.") and not any(qual.startswith(s) for s in _SAFE_RANDOM):
            return Weak(f"made with {qual}(), whose output is predictable", self.span(call))
        elif qual in _PREDICTABLE:
            return Weak(f"derived from {_PREDICTABLE[qual]}", self.span(call))
        return None

    # ---- scopes ----
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            if (self.qualname(base.value) or "").endswith(_SETTINGS_BASES):
                self.settings_classes.add(self.scope)  # the opener already pushed this class

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        params = original_node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            if param.default is not None:
                self.bind(param.name.value, self.expr(param.default))

    # ---- bindings and sinks ----
    def named(self, name: str, node: cst.BaseExpression | None) -> Expr:
        """The value of `node` given to `name`: a literal that only spells its own name is a label."""
        value = self.expr(node)
        text = string_value(node) if node is not None else None
        if isinstance(value, Lit) and isinstance(text, str) and _names_itself(name, text):
            return Lit(dataclasses.replace(value.secret, shape="label"))
        if name in self.setting_names and isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            # a key setting holding several keys (SECRET_KEY_FALLBACKS, SECURITY_TOTP_SECRETS): each is a key
            elements = [e.value for e in node.elements if isinstance(e, (cst.Element, cst.DictElement))]
            return Alt(tuple(self.expr(e) for e in elements)) if elements else value
        return value

    def bind(self, name: str, value: Expr, scope: str | None = None, line: int = 0) -> None:
        # opaque values are kept too: they shadow outer names, and are key identities for KL4xx
        self.facts.bindings.append(Binding(self.scope if scope is None else scope, name, value, line))

    def sink(
        self,
        label: str,
        value: Expr,
        span: Span,
        operation: str = "setting",
        kind: str = "setting",
        setting: str | None = None,
        binding: str | None = None,
    ) -> None:
        self.facts.sinks.append(Sink(kind, label, operation, span, value, setting, binding))

    def assign(self, target: cst.BaseExpression, value_node: cst.BaseExpression | None, whole: cst.CSTNode) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value_node, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value_node.elements):
                for t, v in zip(target.elements, value_node.elements):
                    self.assign(t.value, v.value, whole)
            return
        if isinstance(target, cst.Name):
            name = target.value
            value = self.named(name, value_node)
            in_settings_class = bool(self.stack) and self.stack[-1][0] == "class" and self.scope in self.settings_classes
            if in_settings_class:
                # a BaseSettings field is read from the environment; its default is the fallback
                value = Env(name, value if value_node is not None else None, self.span(whole), "pydantic BaseSettings field")
            self.bind(name, value, line=self.span(whole).line)
            if isinstance(value_node, cst.Dict):
                self.dict_items(name, value_node)
            if self.at_definition_level and self.is_key_name(name) and value_node is not None:
                if name in self.setting_names:
                    self.sink(f"setting {name}", value, self.span(whole), setting=name)
                else:
                    self.sink(f"key-named {'field' if self.stack else 'constant'} {name}", value, self.span(whole), kind="name", binding=name)
        elif isinstance(target, cst.Attribute):
            attr = target.attr.value
            value = self.named(attr, value_node)
            cls = self.enclosing_class()
            if cls is not None and isinstance(target.value, cst.Name) and target.value.value == self.self_name():
                self.bind(attr, value, scope=cls)
            if attr == "secret_key" or (attr in self.setting_names and dotted(target.value) is not None):
                # `app.secret_key` is Flask's SECRET_KEY
                setting = "SECRET_KEY" if attr == "secret_key" else None
                self.sink(f"{dotted(target) or attr}", value, self.span(whole), setting=setting)
        elif isinstance(target, cst.Subscript):
            if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
                return
            key = string_value(target.slice[0].slice.value)
            if not isinstance(key, str):
                return
            base = self.qualname(target.value) or ""
            value = self.named(key, value_node)
            if base == "config" or base.endswith(".config"):
                self.bind(key, value, scope="<config>")
                if self.is_key_name(key):
                    self.sink(f"{base}[{key!r}]", value, self.span(whole), setting=_item_setting(base, key))
            elif base.split(".")[-1] in self.containers and key in self.containers[base.split(".")[-1]]:
                self.sink(f"{base}[{key!r}]", value, self.span(whole), setting=_item_setting(base, key))

    def dict_items(self, owner: str, node: cst.Dict) -> None:
        allowed = self.containers.get(owner, frozenset())
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = string_value(element.key)
            if not isinstance(key, str):
                continue
            self.bind(f"{owner}[{key}]", self.named(key, element.value))
            if key in allowed:
                self.sink(f"{owner}[{key!r}]", self.named(key, element.value), self.span(element), setting=_item_setting(owner, key))

    def leave_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and self.qualname(node.value.func) in _ENV_FACTORIES:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.env_objects.add(t.target.value)
        for t in node.targets:
            self.assign(t.target, node.value, node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None or (self.stack and self.stack[-1][0] == "class"):
            self.assign(node.target, node.value, node)

    def leave_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.stack and self.stack[-1][0] == "def":
            self.bind("<return>", self.expr(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        self.open_calls.append(None)

    def leave_Call(self, node: cst.Call) -> None:
        inner = self.open_calls.pop()
        weak = self._weak_call(node) or inner
        if weak is not None:
            self.weak_calls[id(node)] = weak
            if self.open_calls:
                self.open_calls[-1] = self.open_calls[-1] or weak
        qual = self.qualname(node.func)
        if qual is None:
            return
        signer = self.signers.get(qual)
        if signer is not None:
            key_node = argument(node, signer.position, signer.keyword)
            if key_node is not None:
                self.sink(qual, self.expr(key_node), self.span(node), signer.operation, "call")
            return
        if qual.endswith(("config.update", "config.from_mapping", "config.setdefault")):
            self.config_call(node, qual.rpartition(".")[0])
            return
        if qual in _TEST_OVERRIDES:
            return
        for a in node.args:
            if a.keyword is not None and self._is_key_keyword(a.keyword.value):
                self.sink(f"{qual}({a.keyword.value}=...)", self.named(a.keyword.value, a.value), self.span(a), kind="name")

    def _is_key_keyword(self, name: str) -> bool:
        # a lone `key=` names dictionary and cache keys far more often than signing keys
        return name.lower() != "key" and self.is_key_name(name)

    def config_call(self, node: cst.Call, base: str) -> None:
        items: list[tuple[str, cst.BaseExpression, cst.CSTNode]] = []
        for a in node.args:
            if a.keyword is not None:
                items.append((a.keyword.value, a.value, a))
            elif isinstance(a.value, cst.Dict):
                for el in a.value.elements:
                    if isinstance(el, cst.DictElement) and isinstance(string_value(el.key), str):
                        items.append((str(string_value(el.key)), el.value, el))
            elif isinstance(a.value, cst.Call) and dotted(a.value.func) == "dict":
                for inner in a.value.args:
                    if inner.keyword is not None:
                        items.append((inner.keyword.value, inner.value, inner))
        if node.func and isinstance(node.func, cst.Attribute) and node.func.attr.value == "setdefault" and len(node.args) >= 2:
            key = string_value(node.args[0].value)
            items = [(key, node.args[1].value, node)] if isinstance(key, str) else []
        for key, value_node, where in items:
            value = self.named(key, value_node)
            self.bind(key, value, scope="<config>")
            if self.is_key_name(key):
                self.sink(f"{base}[{key!r}]", value, self.span(where), setting=_item_setting(base, key))

    def leave_Dict(self, node: cst.Dict) -> None:
        keys: dict[str, cst.BaseExpression] = {}
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = string_value(el.key)
                if isinstance(key, str):
                    keys[key] = el.value
                    if key in self.setting_names or ("_" in key and self._is_key_keyword(key)):
                        # a settings-shaped item in any dict: {"SECRET_KEY": ...}, {"jwt_secret": ...};
                        # where assign/config_call saw the same item first, its sink is kept (same span)
                        self.sink(f"dict item {key!r}", self.named(key, el.value), self.span(el), kind="name")
        kty = string_value(keys.get("kty"))
        private = private_members({m: string_value(keys[m]) for m in PRIVATE_MEMBERS if m in keys})
        if isinstance(kty, str) and private:
            # on the private member written first: the line a reviewer must delete
            first = next(el for el in node.elements if isinstance(el, cst.DictElement) and string_value(el.key) in private)
            self.findings.append(
                FileFinding(
                    code="KL110",
                    span=self.span(first),
                    message=f"A JWK ({kty}) with private member{'s' if len(private) > 1 else ''} "
                    f"{', '.join(repr(p) for p in private)} is hard-coded in Python source.",
                    token=f"jwk:{kty}:{','.join(private)}:{make_secret(str(string_value(keys[private[0]])), self.span(node)).digest}",
                )
            )
