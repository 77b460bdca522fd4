"""KL4xx/KL5xx extraction: how tokens are minted and verified (facts in `keylint.extract.token_facts`).

For every catalogued token call (rules/tokens.toml `[[token_call]]`) the visitor records what a check
needs without re-reading the file: the key expression (resolved later by `keylint.link.tokens`), the
claims of the payload (dict literals, and dict variables built up in the same function), the `kid`
header, the algorithm arguments, `options=` / `verify=` / `audience=`, and the names around the call
(class, function, route path) that say what the token is for.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from keylint.catalog import split_words
from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, string_value
from keylint.extract.token_facts import (
    FAMILY,
    OTHER,
    PURPOSE_CLAIMS,
    UNKNOWN,
    Claims,
    ConstBinding,
    Const,
    Evidence,
    FromHeader,
    Map,
    Name,
    QualName,
    Seq,
    TokenCall,
    TokenFacts,
    TokenSetting,
    Unknown,
    Val,
)
from keylint.extract.walk import TRIVIA, walk


# ---- the visitor ----


class _Shape:
    """A dict being built in a function: keys, purpose-claim values, and whether it is complete."""

    __slots__ = ("keys", "values", "open")

    def __init__(self, keys: dict[str, Val] | None = None, open: bool = False) -> None:
        self.keys: dict[str, Val] = dict(keys or {})
        self.open = open

    def copy(self) -> _Shape:
        return _Shape(self.keys, self.open)


class TokenVisitor(FactVisitor):
    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.out = TokenFacts()
        self.calls = {e["call"]: e for e in self.catalog.table("token_call")}
        self.algorithms = {e["name"].lower(): e["name"] for e in self.catalog.table("algorithm")}
        self.setting_names = {e["name"] for e in self.catalog.table("token_setting")}
        self.containers = {n.partition(".")[0] for n in self.setting_names if "." in n}
        defaults = self.catalog.table("library_default")
        self.evidence = [(p, e["library"]) for e in defaults for p in e["evidence"]]
        # `SIMPLE_JWT = {...}` shows simplejwt is configured even where nothing else names it
        self.container_libs = {e["setting"].partition(".")[0]: e["library"] for e in defaults if "." in e["setting"]}
        self.rotation = {e["call"] for e in self.catalog.table("key_rotation")}
        self.signer_calls = self.catalog.signer_by_call
        self.vocabulary = {w.lower() for e in self.catalog.table("token_purpose") for k in ("words", "values", "flags") for w in e[k]}
        self.shapes: dict[tuple[str, str], _Shape] = {}  # (scope, name) -> dict shape
        self.route_words: dict[str, tuple[str, ...]] = {}  # function scope -> words of its decorators' paths
        self.facts.families[FAMILY] = self.out

    # ---- values ----
    def _safe_string(self, text: str) -> Val:
        """Keep only strings that cannot be secrets: algorithm names and the purpose vocabulary
        (`"admin"`, `"read admin"`); any other string is kept as OTHER, known to be a string."""
        if text.lower() in self.algorithms:
            return Const(text)
        words = text.lower().replace(",", " ").split()
        if words and all(w in self.vocabulary for w in words):
            return Const(text)
        return OTHER

    def val(self, node: cst.BaseExpression | None) -> Val:
        if node is None:
            return UNKNOWN
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Const({"True": True, "False": False, "None": None}[node.value])
            return Name(node.value, self.scope)
        text = string_value(node)
        if isinstance(text, str):
            return self._safe_string(text)
        if isinstance(node, (cst.Integer, cst.Float)):
            try:
                return Const(node.evaluated_value)
            except Exception:
                return UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return Seq(tuple(self.val(e.value) for e in node.elements if not isinstance(e, cst.StarredElement)))
        if isinstance(node, cst.Dict):
            items: list[tuple[str, Val]] = []
            is_open = False
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    key = string_value(el.key)
                    if isinstance(key, str):
                        items.append((key, self.val(el.value)))
                else:
                    is_open = True
            return Map(tuple(items), is_open)
        if isinstance(node, cst.Call) and dotted(node.func) == "dict" and not any(a.star for a in node.args):
            return Map(tuple((a.keyword.value, self.val(a.value)) for a in node.args if a.keyword is not None), any(a.keyword is None for a in node.args))
        if isinstance(node, cst.Subscript) and self._reads_header(node):
            return FromHeader()
        if isinstance(node, cst.Attribute):
            head = dotted(node)
            if head is not None and head.split(".")[0] in self.facts.imports:
                return QualName(self.qualname(node) or head)
            if head is not None:
                return QualName(head)
        return UNKNOWN

    def _reads_header(self, node: cst.Subscript) -> bool:
        """`header["alg"]`, `jwt.get_unverified_header(t)["alg"]`: the algorithm the token names itself."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return False
        key = string_value(node.slice[0].slice.value)
        if key != "alg":
            return False
        base = node.value
        if isinstance(base, cst.Call):
            api = self.calls.get(self.qualname(base.func) or "")
            return api is not None and api["operation"] == "unverified-header"
        return isinstance(base, cst.Name) and "header" in base.value.lower()

    # ---- dict shapes of payload variables ----
    def shape_of(self, node: cst.BaseExpression | None) -> _Shape:
        if node is None:
            return _Shape(open=True)
        if isinstance(node, cst.Name):
            for scope in self._scopes():
                if (scope, node.value) in self.shapes:
                    return self.shapes[(scope, node.value)].copy()
            return _Shape(open=True)
        value = self.val(node)
        if isinstance(value, Map):
            shape = _Shape(dict(value.items), value.open)
            if isinstance(node, cst.Dict):
                for el in node.elements:
                    if isinstance(el, cst.StarredDictElement):
                        inner = self.shape_of(el.value)
                        shape.keys = {**inner.keys, **shape.keys}
                        shape.open = shape.open and inner.open
            return shape
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "copy":
            return self.shape_of(node.func.value)
        if isinstance(node, cst.Call) and dotted(node.func) == "dict" and len(node.args) >= 1 and node.args[0].keyword is None:
            shape = self.shape_of(node.args[0].value)
            for a in node.args[1:]:
                if a.keyword is not None:
                    shape.keys[a.keyword.value] = self.val(a.value)
            return shape
        return _Shape(open=True)

    def _scopes(self) -> list[str]:
        scope = self.scope
        out = []
        while scope:
            out.append(scope)
            scope = scope.rpartition(".")[0]
        out.append("")
        return out

    def _shape_for_update(self, node: cst.BaseExpression) -> _Shape | None:
        if isinstance(node, cst.Name):
            key = (self.scope, node.value)
            return self.shapes.get(key)
        return None

    def claims(self, shape: _Shape) -> Claims:
        values: list[tuple[str, tuple[str, ...]]] = []
        for key, value in sorted(shape.keys.items()):
            if key in PURPOSE_CLAIMS or self._is_flag(value):
                words = _words(value)
                if words:
                    values.append((key, words))
        return Claims(tuple(sorted(shape.keys)), tuple(values), shape.open)

    @staticmethod
    def _is_flag(value: Val) -> bool:
        return isinstance(value, Const) and value.value is True

    # ---- scopes and route hints ----
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        words: list[str] = []
        for dec in node.decorators:
            if isinstance(dec.decorator, cst.Call):
                for a in dec.decorator.args:
                    text = string_value(a.value)
                    if isinstance(text, str) and text.startswith("/"):
                        words.extend(split_words(text))
        if words:
            self.route_words[self.scope] = tuple(words)

    def words(self) -> tuple[str, ...]:
        out: list[str] = []
        for _, name, _ in self.stack:
            out.extend(split_words(name))
        out.extend(self.route_words.get(self.scope, ()))
        return tuple(dict.fromkeys(out))

    # ---- assignments: consts, dict shapes, token settings ----
    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self.assign(t.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, node.value, node)

    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression, whole: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            val = self.val(value)
            if not isinstance(val, Unknown):
                self.out.consts.append(ConstBinding(self.scope, name, val))
            if self.stack and self.stack[-1][0] == "def":
                self.shapes[(self.scope, name)] = self.shape_of(value)
            if self.at_definition_level:
                if name in self.setting_names:
                    self.out.settings.append(TokenSetting(name, val, self.span(whole)))
                if name in self.containers and isinstance(value, cst.Dict):
                    self._container(name, value)
                if name in self.container_libs:
                    self.out.evidence.append(Evidence(self.container_libs[name], self.span(whole), "container"))
        elif isinstance(target, cst.Subscript) and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
            key = string_value(target.slice[0].slice.value)
            if not isinstance(key, str):
                return
            base = dotted(target.value) or ""
            if isinstance(target.value, cst.Name):
                shape = self._shape_for_update(target.value)
                if shape is not None:
                    shape.keys[key] = self.val(value)
            owner = base.rpartition(".")[2]
            full = f"{owner}.{key}" if owner in self.containers else key
            if full in self.setting_names and (owner in self.containers or owner == "config"):
                self.out.settings.append(TokenSetting(full, self.val(value), self.span(whole)))

    def _container(self, owner: str, node: cst.Dict) -> None:
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = string_value(el.key)
                if isinstance(key, str) and f"{owner}.{key}" in self.setting_names:
                    self.out.settings.append(TokenSetting(f"{owner}.{key}", self.val(el.value), self.span(el)))

    # ---- calls ----
    def visit_Call(self, node: cst.Call) -> None:
        qual = self.qualname(node.func)
        if self.stack and self.stack[-1][0] == "def":
            callee = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value if isinstance(node.func, cst.Name) else None
            if callee is not None:
                self.out.callees.setdefault(self.scope, set()).add(callee)
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            self._dict_method(node, node.func.value, node.func.attr.value)
        if qual is None:
            return
        entry = self.calls.get(qual)
        if entry is not None:
            self.token_call(node, qual, entry)
        elif qual in self.rotation:
            self.out.rotation.append(self.span(node))
        elif qual in self.signer_calls:
            self.out.signers.append((qual, self.span(node), self.words()))
        for prefix, library in self.evidence:
            if qual == prefix or qual.startswith(prefix + "."):
                self.out.evidence.append(Evidence(library, self.span(node), "call"))
        if qual.endswith(("config.update", "config.from_mapping")):
            for a in node.args:
                if a.keyword is not None and a.keyword.value in self.setting_names:
                    self.out.settings.append(TokenSetting(a.keyword.value, self.val(a.value), self.span(a)))

    def _dict_method(self, node: cst.Call, base: cst.Name, method: str) -> None:
        shape = self._shape_for_update(base)
        if shape is None:
            return
        if method == "update":
            for a in node.args:
                if a.keyword is not None:
                    shape.keys[a.keyword.value] = self.val(a.value)
                else:
                    other = self.shape_of(a.value)
                    shape.keys.update(other.keys)
                    shape.open = shape.open or other.open
        elif method == "setdefault" and node.args:
            key = string_value(node.args[0].value)
            if isinstance(key, str):
                shape.keys[key] = self.val(node.args[1].value) if len(node.args) > 1 else Const(None)

    def token_call(self, node: cst.Call, qual: str, e: dict[str, Any]) -> None:
        op = e["operation"]
        def arg(name: str) -> cst.BaseExpression | None:
            return argument(node, e.get(f"{name}_position"), e.get(f"{name}_keyword"))

        call = TokenCall(qual, e["library"], op, self.span(node), self.scope, self.words())
        if op == "encode":
            payload = self.shape_of(arg("payload"))
            headers_node = arg("headers")
            headers = self.shape_of(headers_node) if headers_node is not None else _Shape()
            algorithm = arg("algorithm")
            alg_val = self.val(algorithm) if algorithm is not None else headers.keys.get("alg")
            kid = "kid" in headers.keys or (None if headers.open else False)
            call = _replace(call, claims=self.claims(payload), kid=kid, algorithm=alg_val)
        elif op == "decode":
            algorithms = arg("algorithms")
            options = arg("options")
            verify = arg("verify")
            call = _replace(
                call,
                algorithms=self.val(algorithms) if algorithms is not None else None,
                options=self.val(options) if options is not None else None,
                verify=self.val(verify) if verify is not None else None,
                audience=e.get("audience_keyword") is not None and argument(node, None, e["audience_keyword"]) is not None,
                key_by_kid=self._mentions_kid(argument(node, 1, "key")),
            )
        elif op == "mint":
            claims_node = argument(node, None, e.get("claims_keyword"))
            claims = self.claims(self.shape_of(claims_node)) if claims_node is not None else Claims((), (), False)
            expiry = argument(node, None, e.get("expiry_keyword"))
            call = _replace(call, claims=claims, expiry=self.val(expiry) if expiry is not None else None)
        self.out.calls.append(call)

    def _mentions_kid(self, node: cst.BaseExpression | None) -> bool:
        """`keys[header["kid"]]`, `get_key(kid)`: a verifying key looked up by key id."""
        if node is None:
            return False
        found = False

        class _Find(cst.CSTVisitor):
            def visit_Name(self, n: cst.Name) -> None:
                nonlocal found
                found = found or n.value.lower() == "kid" or n.value.lower().endswith("_kid")

            def visit_SimpleString(self, n: cst.SimpleString) -> None:
                nonlocal found
                found = found or string_value(n) == "kid"

        walk(node, [_Find()], TRIVIA)
        return found

    def leave_Subscript(self, original_node: cst.Subscript) -> None:
        node = original_node
        # `jwt.get_unverified_header(t)["kid"]`: which parts of an unverified read are used
        if isinstance(node.value, cst.Call) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = string_value(node.slice[0].slice.value)
            qual = self.qualname(node.value.func) or ""
            if isinstance(key, str) and self.calls.get(qual, {}).get("operation", "").startswith("unverified"):
                span = self.span(node.value)
                for i, c in enumerate(self.out.calls):
                    if c.span == span:
                        self.out.calls[i] = _replace(c, used_keys=(*c.used_keys, key))

    # ---- evidence that a library is used ----
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or node.relative:
            return
        module = dotted(node.module) or ""
        for prefix, library in self.evidence:
            root = prefix.split(".")[0]
            if module == root or module.startswith(root + "."):
                self.out.evidence.append(Evidence(library, self.span(node), "import"))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if not self.at_definition_level:
            return
        text = string_value(node)
        if not isinstance(text, str):
            return
        for prefix, library in self.evidence:
            root = prefix.split(".")[0]
            if "_" in root and (text == root or text.startswith(root + ".")):
                self.out.evidence.append(Evidence(library, self.span(node), "string"))


def _words(value: Val) -> tuple[str, ...]:
    """Lower-cased literal words of a claim value: `"admin"`, `["read", "admin"]`, `"read admin"`, `True`."""
    if isinstance(value, Const):
        if value.value is True:
            return ("true",)
        if isinstance(value.value, str):
            return tuple(w.lower() for w in value.value.replace(",", " ").split())
        return ()
    if isinstance(value, Seq):
        return tuple(w for item in value.items for w in _words(item))
    return ()


def _replace(call: TokenCall, **changes: Any) -> TokenCall:
    from dataclasses import replace

    return replace(call, **changes)
