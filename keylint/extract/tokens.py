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
    DefaultKeyCall,
    Duration,
    Evidence,
    FromHeader,
    HelperCall,
    Map,
    Name,
    QualName,
    Seq,
    TokenCall,
    TokenFacts,
    TokenPass,
    TokenSetting,
    Unknown,
    Use,
    Val,
)
from keylint.extract.walk import TRIVIA, walk


# ---- the visitor ----

_TOKEN_NAME_WORDS = frozenset({"token", "jwt"})  # a name that holds a token (`jwt_token`, `encoded_token`)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "secho"})
_B64 = frozenset({"base64.b64decode", "base64.urlsafe_b64decode", "base64.standard_b64decode", "base64.decodebytes"})
_TIMEDELTA = frozenset({"datetime.timedelta", "timedelta"})
_UNITS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0, "milliseconds": 0.001, "microseconds": 1e-6}
_POSITIONAL_UNITS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
# Callee words that may name a token helper: calls of such functions with a payload dict are kept (HelperCall)
_HELPER_WORDS = frozenset({"token", "tokens", "jwt", "jws", "encode", "sign", "issue", "mint", "create", "generate", "make", "build", "link"})
_MAX_NUMBER = 1e15  # constant arithmetic beyond this is not a lifetime anyone meant
_HAND_DECODED = "json.loads(base64-decoded token payload)"


class _Shape:
    """A dict being built in a function: keys, purpose-claim values, whether it is complete, and
    the parameter it was copied from (`to_encode = data.copy()`)."""

    __slots__ = ("keys", "open", "param")

    def __init__(self, keys: dict[str, Val] | None = None, open: bool = False, param: str | None = None) -> None:
        self.keys: dict[str, Val] = dict(keys or {})
        self.open = open
        self.param = param

    def copy(self) -> _Shape:
        return _Shape(self.keys, self.open, self.param)


class _If:
    __slots__ = ("number", "body", "orelse", "none_arm")

    def __init__(self, number: int, body: tuple[int, int], orelse: tuple[int, int] | None, none_arm: int | None) -> None:
        self.number = number
        self.body = body  # first and last line of the body
        self.orelse = orelse
        self.none_arm = none_arm  # the arm taken when the token's header says alg "none"


class _Function:
    """What the visitor follows inside one function body."""

    __slots__ = ("params", "bound", "headers", "keys_from", "calls", "passes", "ifs", "split_parts", "segments", "decoded", "hand_verified")

    def __init__(self, params: set[str]) -> None:
        self.params = params
        self.bound: dict[str, list[int]] = {}  # local name -> token calls (indices) whose result it holds
        self.headers: set[str] = set()  # local names holding an unverified header
        self.keys_from: dict[str, str] = {}  # local name -> last name of the function whose return it holds
        self.calls: list[int] = []
        self.passes: list[TokenPass] = []
        self.ifs: list[_If] = []
        self.split_parts: set[str] = set()  # `parts = token.split(".")`
        self.segments: set[str] = set()  # `_, payload, _ = token.split(".")`: the payload segment
        self.decoded: set[str] = set()  # names holding a base64-decoded payload segment
        self.hand_verified = False  # the function compares an HMAC itself


class TokenVisitor(FactVisitor):
    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.out = TokenFacts()
        self.calls = {e["call"]: e for e in self.catalog.table("token_call")}
        self.algorithms = {e["name"].lower(): e["name"] for e in self.catalog.table("algorithm")}
        self.setting_names = {e["name"] for e in self.catalog.table("token_setting")}
        defaults = self.catalog.table("library_default")
        key_settings = {e["setting"] for e in defaults}
        self.containers = {n.partition(".")[0] for n in self.setting_names | key_settings if "." in n}
        # items a library's own table of defaults holds: `DEFAULTS = {"JWT_VERIFY": True, ...}`
        self.default_items: dict[str, set[str]] = {}
        for n in self.setting_names | key_settings:
            owner, _, item = n.partition(".")
            if item:
                self.default_items.setdefault(item, set()).add(n)
        self.evidence = [(p, e["library"]) for e in defaults for p in e["evidence"]]
        # `SIMPLE_JWT = {...}` shows simplejwt is configured even where nothing else names it
        self.container_libs = {e["setting"].partition(".")[0]: e["library"] for e in defaults if "." in e["setting"]}
        self.framework_uses = tuple(u for e in self.catalog.table("framework_signer") for u in e["uses"])
        self.rotation = {e["call"] for e in self.catalog.table("key_rotation")}
        self.default_keys = {e["call"]: e for e in self.catalog.table("published_default_key")}
        self.signer_calls = self.catalog.signer_by_call
        purposes = self.catalog.table("token_purpose")
        self.vocabulary = {w.lower() for e in purposes for k in ("words", "values", "flags") for w in e[k]}
        self.privilege_claims = frozenset(c for e in purposes for c in e.get("claims", ()))
        self.shapes: dict[tuple[str, str], _Shape] = {}  # (scope, name) -> dict shape
        self.route_words: dict[str, tuple[str, ...]] = {}  # function scope -> words of its decorators' paths
        self.functions: list[_Function] = []
        self.statements: list[str] = []  # kinds of the statements being visited (innermost last)
        self.pending: dict[int, list[str]] = {}  # id of a token call node -> names its result is bound to
        self.extra: dict[int, dict[str, Any]] = {}  # call index -> fields learnt after the call was recorded
        self.ifs = 0
        self.facts.families[FAMILY] = self.out

    @property
    def fn(self) -> _Function | None:
        return self.functions[-1] if self.functions and self.stack and self.stack[-1][0] == "def" else None

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
        number = _number(node)
        if number is not None:
            return Const(number)
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
        if isinstance(node, cst.Call):
            if dotted(node.func) == "dict" and not any(a.star for a in node.args):
                return Map(tuple((a.keyword.value, self.val(a.value)) for a in node.args if a.keyword is not None), any(a.keyword is None for a in node.args))
            duration = self._duration(node)
            if duration is not None:
                return duration
        if isinstance(node, cst.Subscript) and self._reads_header(node):
            return FromHeader()
        if isinstance(node, cst.Attribute):
            head = dotted(node)
            if head is not None and head.split(".")[0] in self.facts.imports:
                return QualName(self.qualname(node) or head)
            if head is not None:
                return QualName(head)
        return UNKNOWN

    def _duration(self, node: cst.Call) -> Duration | None:
        """`timedelta(10 ** 6)`, `timedelta(days=365, hours=1)`: a lifetime of constant arguments."""
        if (self.qualname(node.func) or "") not in _TIMEDELTA:
            return None
        seconds = 0.0
        position = 0
        for a in node.args:
            if a.star:
                return None
            unit = a.keyword.value if a.keyword is not None else _POSITIONAL_UNITS[position] if position < len(_POSITIONAL_UNITS) else None
            position += a.keyword is None
            amount = _number(a.value)
            if unit not in _UNITS or amount is None:
                return None
            seconds += amount * _UNITS[unit]
        return Duration(seconds)

    def _reads_header(self, node: cst.Subscript) -> bool:
        """`header["alg"]`, `jwt.get_unverified_header(t)["alg"]`: the algorithm the token names itself."""
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return False
        key = string_value(node.slice[0].slice.value)
        return key == "alg" and self._is_header(node.value)

    def _is_header(self, node: cst.BaseExpression) -> bool:
        """An unverified header: the call's result, or a name holding it (or named for it)."""
        if isinstance(node, cst.Call):
            api = self.calls.get(self.qualname(node.func) or "")
            return api is not None and api["operation"] == "unverified-header"
        if isinstance(node, cst.Name):
            fn = self.fn
            return (fn is not None and node.value in fn.headers) or "header" in node.value.lower()
        return False

    def _alg_read(self, node: cst.BaseExpression) -> bool:
        """`header["alg"]`, `header.get("alg")`, either `.lower()`ed: the unverified header's alg."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method in ("lower", "upper", "casefold") and not node.args:
                return self._alg_read(node.func.value)
            if method == "get" and node.args and string_value(node.args[0].value) == "alg":
                return self._is_header(node.func.value)
        return isinstance(node, cst.Subscript) and self._reads_header(node)

    def _none_arm(self, test: cst.BaseExpression) -> int | None:
        """For `if alg == "none":` 0 (the body runs for unsigned tokens); for `!=` 1 (the else)."""
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return None
        target = test.comparisons[0]
        sides = (test.left, target.comparator)
        texts = [string_value(side) for side in sides]
        if not any(isinstance(t, str) and t.lower() == "none" for t in texts):
            return None
        if not any(self._alg_read(side) for side in sides):
            return None
        if isinstance(target.operator, cst.Equal):
            return 0
        if isinstance(target.operator, cst.NotEqual):
            return 1
        return None

    # ---- dict shapes of payload variables ----
    def shape_of(self, node: cst.BaseExpression | None) -> _Shape:
        if node is None:
            return _Shape(open=True)
        if isinstance(node, cst.Name):
            for scope in self._scopes():
                if (scope, node.value) in self.shapes:
                    return self.shapes[(scope, node.value)].copy()
            fn = self.fn
            return _Shape(open=True, param=node.value if fn is not None and node.value in fn.params else None)
        value = self.val(node)
        if isinstance(value, Map):
            shape = _Shape(dict(value.items), value.open)
            if isinstance(node, cst.Dict):
                for el in node.elements:
                    if isinstance(el, cst.StarredDictElement):
                        inner = self.shape_of(el.value)
                        shape.keys = {**inner.keys, **shape.keys}
                        shape.open = shape.open and inner.open
                        shape.param = shape.param or inner.param
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

    def _param_claims(self, shape: _Shape) -> tuple[tuple[str, str], ...]:
        fn = self.fn
        if fn is None:
            return ()
        return tuple(sorted((k, v.name) for k, v in shape.keys.items() if isinstance(v, Name) and v.name in fn.params))

    def _privilege(self, shape: _Shape) -> tuple[str, ...]:
        """Privilege claims whose value is computed here (not a literal, not a caller's argument)."""
        fn = self.fn
        params = fn.params if fn is not None else set()
        return tuple(
            sorted(
                k for k, v in shape.keys.items()
                if k in self.privilege_claims and isinstance(v, (Name, QualName, Unknown)) and not (isinstance(v, Name) and v.name in params)
            )
        )

    @staticmethod
    def _is_flag(value: Val) -> bool:
        return isinstance(value, Const) and value.value is True

    # ---- scopes, route hints, branches ----
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
        p = node.params
        names = {q.name.value for q in (*p.posonly_params, *p.params, *p.kwonly_params)}
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        self.functions.append(_Function(names))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        fn = self.functions.pop()
        self.out.parameters[self.scope] = tuple(sorted(fn.params))
        tokens = {self.out.calls[i].token for i in fn.calls} - {None}
        for ps in fn.passes:
            passed = {n for n in ps.positional if n} | {n for _, n in ps.keywords}
            # a function without token calls of its own may still hand one token to a peek and to a
            # verifier (`if is_ours(token): verify(token)`): keep what it passes under a token's name
            if tokens & passed or (not fn.calls and any(_TOKEN_NAME_WORDS.intersection(split_words(n)) for n in passed)):
                self.out.passes.append(ps)
        if fn.hand_verified:  # the function checks an HMAC itself: its hand-decoded claims are not unverified
            for i in fn.calls:
                if self.out.calls[i].api == _HAND_DECODED:
                    self.extra.setdefault(i, {})["drop"] = True

    def words(self) -> tuple[str, ...]:
        out: list[str] = []
        for _, name, _ in self.stack:
            out.extend(split_words(name))
        out.extend(self.route_words.get(self.scope, ()))
        return tuple(dict.fromkeys(out))

    def visit_If(self, node: cst.If) -> None:
        if not self.stack and _is_main_guard(node.test):
            self.out.script = True
        fn = self.fn
        if fn is None:
            return
        self.ifs += 1
        body = self.span(node.body)
        orelse = self.span(node.orelse) if node.orelse is not None else None
        fn.ifs.append(_If(self.ifs, (body.line, body.end_line), (orelse.line, orelse.end_line) if orelse else None, self._none_arm(node.test)))
        self._uses("other", node.test)

    def leave_If(self, original_node: cst.If) -> None:
        fn = self.fn
        if fn is not None and fn.ifs:
            fn.ifs.pop()

    def _branch(self, line: int) -> tuple[tuple[tuple[int, int], ...], bool]:
        """The `if` arms around `line` in the current function, and whether one is a "none" arm."""
        fn = self.fn
        if fn is None:
            return (), False
        arms: list[tuple[int, int]] = []
        guarded = False
        for f in fn.ifs:
            arm = 0 if f.body[0] <= line <= f.body[1] else 1 if f.orelse and f.orelse[0] <= line <= f.orelse[1] else None
            if arm is not None:
                arms.append((f.number, arm))
                guarded = guarded or f.none_arm == arm
        return tuple(arms), guarded

    # ---- statements: where the results of decodes go ----
    def _uses(self, kind: str, *nodes: cst.CSTNode | None) -> None:
        fn = self.fn
        if fn is None or not fn.bound:
            return
        names = _names_in([n for n in nodes if n is not None])
        for name in names & fn.bound.keys():
            for i in fn.bound[name]:
                self.extra.setdefault(i, {}).setdefault("uses", []).append(Use(kind, self.span(nodes[0]).line if nodes[0] is not None else 0))

    def visit_Return(self, node: cst.Return) -> None:
        self.statements.append("return")
        self._uses("return", node.value)

    def leave_Return(self, original_node: cst.Return) -> None:
        self.statements.pop()

    def visit_Assert(self, node: cst.Assert) -> None:
        self.statements.append("assert")
        self._uses("assert", node.test, node.msg)

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.statements.pop()

    def visit_Expr(self, node: cst.Expr) -> None:
        kind = "log" if isinstance(node.value, cst.Call) and _is_log_call(node.value) else "other"
        self.statements.append(kind)
        self._uses(kind, node.value)

    def leave_Expr(self, original_node: cst.Expr) -> None:
        self.statements.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._uses("other", node.value)

    def visit_For(self, node: cst.For) -> None:
        self._uses("other", node.iter)

    def visit_While(self, node: cst.While) -> None:
        self._uses("other", node.test)

    def visit_Raise(self, node: cst.Raise) -> None:
        self._uses("other", node.exc)

    # ---- assignments: consts, dict shapes, token settings ----
    def visit_Assign(self, node: cst.Assign) -> None:
        self.statements.append("other")
        self._uses("other", node.value)
        for t in node.targets:
            self.assign(t.target, node.value, node)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.statements.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.statements.append("other")
        if node.value is not None:
            self._uses("other", node.value)
            self.assign(node.target, node.value, node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.statements.pop()

    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression, whole: cst.CSTNode) -> None:
        fn = self.fn
        if fn is not None:
            self._follow_assignment(fn, target, value)
        if isinstance(target, cst.Name):
            name = target.value
            val = self.val(value)
            if not isinstance(val, Unknown):
                self.out.consts.append(ConstBinding(self.scope, name, val))
            if fn is not None:
                self.shapes[(self.scope, name)] = self.shape_of(value)
            if self.at_definition_level:
                if name in self.setting_names:
                    self.out.settings.append(TokenSetting(name, val, self.span(whole)))
                if name in self.containers and isinstance(value, cst.Dict):
                    self._container(name, value)
                elif isinstance(value, cst.Dict) and not self.stack:
                    self._defaults_table(value)
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
            if owner == "config" and "." in base:
                self.out.config_keys.append((base.rpartition(".")[0], key))
            full = f"{owner}.{key}" if owner in self.containers else key
            if full in self.setting_names and (owner in self.containers or owner == "config"):
                self.out.settings.append(TokenSetting(full, self.val(value), self.span(whole)))

    def _follow_assignment(self, fn: _Function, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """Names that hold a token call's result, an unverified header, a key helper's return, or
        the parts of a token split by hand."""
        inner = value.expression if isinstance(value, cst.Await) else value
        names = [target.value] if isinstance(target, cst.Name) else [e.value.value for e in target.elements if isinstance(e.value, cst.Name)] if isinstance(target, (cst.Tuple, cst.List)) else []
        if not names:
            return
        if isinstance(inner, cst.Call):
            qual = self.qualname(inner.func) or ""
            entry = self.calls.get(qual)
            if entry is None and qual == "json.loads" and inner.args and self._decoded_segment(fn, inner.args[0].value):
                self.pending[id(inner)] = names  # claims decoded by hand: what is read from them counts
                return
            if entry is not None:
                self.pending[id(inner)] = names
                if entry["operation"] == "unverified-header":
                    fn.headers.update(names)
                return
            callee = _last_name(inner.func)
            if callee is not None and isinstance(target, cst.Name):
                fn.keys_from[target.value] = callee
            if _is_dot_split(inner):
                if isinstance(target, cst.Name):
                    fn.split_parts.add(target.value)
                elif isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 3 and isinstance(target.elements[1].value, cst.Name):
                    fn.segments.add(target.elements[1].value.value)
                return
        if isinstance(target, cst.Name) and self._decoded_segment(fn, inner):
            fn.decoded.add(target.value)

    def _container(self, owner: str, node: cst.Dict) -> None:
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = string_value(el.key)
                if isinstance(key, str) and f"{owner}.{key}" in self.setting_names:
                    self.out.settings.append(TokenSetting(f"{owner}.{key}", self.val(el.value), self.span(el)))

    def _defaults_table(self, node: cst.Dict) -> None:
        """A module-level dict with two or more items of one library's settings container: that
        library's own defaults (`DEFAULTS = {"JWT_SECRET_KEY": settings.SECRET_KEY, ...}`)."""
        found: list[tuple[set[str], cst.DictElement, str]] = []
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = string_value(el.key)
                if isinstance(key, str) and key in self.default_items:
                    found.append((self.default_items[key], el, key))
        owners: dict[str, int] = {}
        for names, _, _ in found:
            for n in names:
                owners[n.partition(".")[0]] = owners.get(n.partition(".")[0], 0) + 1
        for owner, count in owners.items():
            if count < 2:
                continue
            for names, el, key in found:
                if f"{owner}.{key}" in names:
                    self.out.settings.append(TokenSetting(f"{owner}.{key}", self.val(el.value), self.span(el), default=True))

    # ---- calls ----
    def visit_Call(self, node: cst.Call) -> None:
        qual = self.qualname(node.func)
        fn = self.fn
        if fn is not None:
            callee = _last_name(node.func)
            if callee is not None:
                self.out.callees.setdefault(self.scope, set()).add(callee)
                if (qual or "") not in self.calls:
                    self._pass(fn, node, callee)
                if qual in ("hmac.compare_digest", "hmac.new", "hmac.HMAC", "secrets.compare_digest"):
                    fn.hand_verified = True
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and node.args:
                self._read_key(node.func.value, node.args[0].value)
            if (qual or "") == "json.loads" and node.args and self._decoded_segment(fn, node.args[0].value):
                self.hand_decoded(node)
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            self._dict_method(node, node.func.value, node.func.attr.value)
            if node.func.attr.value == "validate" and fn is not None:
                for i in fn.bound.get(node.func.value.value, ()):
                    self.extra.setdefault(i, {})["validated"] = True
                helper = fn.keys_from.get(node.func.value.value)
                if helper is not None:  # `claims = get_decoded_token(t); claims.validate()`: the caller checks them
                    self.out.validated_returns.add(helper)
        if qual is None:
            return
        entry = self.calls.get(qual)
        if entry is not None:
            self.token_call(node, qual, entry)
        elif qual in self.rotation:
            self.out.rotation.append((qual, self.span(node)))
        elif qual in self.default_keys:
            app = argument(node, self.default_keys[qual].get("app_position", 0), None)
            keywords = tuple(a.keyword.value for a in node.args if a.keyword is not None)
            self.out.default_key_calls.append(DefaultKeyCall(qual, self.span(node), keywords, dotted(app) if app is not None else None))
        elif qual in self.signer_calls:
            self.out.signers.append((qual, self.span(node), self.words()))
        else:
            self._helper_call(node, qual)
        for prefix, library in self.evidence:
            if qual == prefix or qual.startswith(prefix + "."):
                self.out.evidence.append(Evidence(library, self.span(node), "call"))
        if qual.endswith(("config.update", "config.from_mapping")):
            owner = (dotted(node.func) or "").rpartition(".config.")[0]
            self.out.config_keys.extend((owner, a.keyword.value) for a in node.args if a.keyword is not None and owner)
            for a in node.args:
                if a.keyword is not None and a.keyword.value in self.setting_names:
                    self.out.settings.append(TokenSetting(a.keyword.value, self.val(a.value), self.span(a)))

    def _pass(self, fn: _Function, node: cst.Call, callee: str) -> None:
        positional = tuple(dotted(a.value) for a in node.args if a.keyword is None and not a.star)
        keywords = tuple((a.keyword.value, d) for a in node.args if a.keyword is not None for d in (dotted(a.value),) if d is not None)
        # `f(**kwargs)` with a dict built here: its plain-name entries are keywords too
        unpacked = tuple(
            (key, value.name)
            for a in node.args if a.star == "**"
            for key, value in self.shape_of(a.value).keys.items() if isinstance(value, Name)
        )
        keywords += unpacked
        if any(positional) or keywords:
            line = self.span(node).line
            fn.passes.append(TokenPass(self.scope, callee, line, positional, keywords, self._branch(line)[0]))

    def _helper_call(self, node: cst.Call, qual: str) -> None:
        """A call that tells a possible token helper what to mint: a payload dict, a purpose word."""
        def arg(value: cst.BaseExpression) -> Claims | Val:
            text = string_value(value)
            if isinstance(text, str):
                return self._safe_string(text)
            if isinstance(value, (cst.Dict, cst.Name)) or (isinstance(value, cst.Call) and dotted(value.func) == "dict"):
                shape = self.shape_of(value)
                if shape.keys:
                    return self.claims(shape)
            return UNKNOWN

        helper = bool(_HELPER_WORDS.intersection(split_words(qual.rpartition(".")[2])))
        positional = tuple(arg(a.value) for a in node.args if a.keyword is None and not a.star)
        keywords = tuple((a.keyword.value, arg(a.value)) for a in node.args if a.keyword is not None)

        def telling(v: Claims | Val) -> bool:
            return isinstance(v, Claims) or (isinstance(v, Const) and isinstance(v.value, str))

        # a helper named for what it makes, told by any argument; any function told by a keyword (`kind="staff"`)
        if (helper and any(map(telling, positional))) or any(telling(v) and (helper or not isinstance(v, Claims)) for _, v in keywords):
            self.out.helper_calls.append(HelperCall(qual, self.scope, self.span(node), self.words(), positional, keywords))

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

        span = self.span(node)
        branch, guarded = self._branch(span.line)
        token_node = argument(node, e.get("token_position", 0), e.get("token_keyword")) if op != "encode" and op != "mint" else None
        if e.get("token_keyword") and token_node is None and op == "decode":
            return  # `jwt.JWT(header=..., claims=...)` builds a token: not a decode
        call = TokenCall(qual, e["library"], op, span, self.scope, self.words(), branch=branch, none_guard=guarded,
                         token=dotted(token_node) if token_node is not None else None)
        if op == "encode":
            payload = self.shape_of(arg("payload"))
            headers_node = arg("headers")
            headers = self.shape_of(headers_node) if headers_node is not None else _Shape()
            algorithm = arg("algorithm")
            alg_val = self.val(algorithm) if algorithm is not None else headers.keys.get("alg")
            kid = "kid" in headers.keys or (None if headers.open else False)
            key = arg("key")
            call = _replace(
                call, claims=self.claims(payload), kid=kid, algorithm=alg_val,
                payload_param=payload.param, param_claims=self._param_claims(payload), privilege=self._privilege(payload),
                key_none="key_position" in e and (key is None or self.val(key) == Const(None)),
            )
        elif op == "decode":
            algorithms = arg("algorithms")
            options = arg("options")
            verify = arg("verify")
            checks = arg("claim_checks")
            key = argument(node, e.get("key_position", 1), e.get("key_keyword", "key"))
            call = _replace(
                call,
                algorithms=self.val(algorithms) if algorithms is not None else None,
                options=self.val(options) if options is not None else None,
                verify=self.val(verify) if verify is not None else None,
                audience=e.get("audience_keyword") is not None and argument(node, None, e["audience_keyword"]) is not None,
                key_by_kid=self._mentions_kid(key),
                key_from=self._key_from(key),
                claim_checks=self.val(checks) if checks is not None else None,
                validated=False if e.get("validate_method") else None,
            )
        elif op == "mint":
            claims_node = argument(node, None, e.get("claims_keyword"))
            claims = self.claims(self.shape_of(claims_node)) if claims_node is not None else Claims((), (), False)
            expiry = argument(node, None, e.get("expiry_keyword"))
            call = _replace(call, claims=claims, expiry=self.val(expiry) if expiry is not None else None)
        self._record(node, call)

    def _record(self, node: cst.Call, call: TokenCall) -> None:
        index = len(self.out.calls)
        self.out.calls.append(call)
        fn = self.fn
        if fn is None:
            return
        fn.calls.append(index)
        names = self.pending.pop(id(node), None)
        if names:
            for name in names:
                fn.bound.setdefault(name, []).append(index)
        elif self.statements:
            self.extra.setdefault(index, {}).setdefault("uses", []).append(Use(self.statements[-1], call.span.line))

    def hand_decoded(self, node: cst.Call) -> None:
        """`json.loads(base64.urlsafe_b64decode(payload))` of a token's middle segment: the claims,
        read without any signature check."""
        span = self.span(node)
        branch, guarded = self._branch(span.line)
        call = TokenCall(_HAND_DECODED, "", "unverified-claims", span, self.scope, self.words(), branch=branch, none_guard=guarded)
        self._record(node, call)

    def _decoded_segment(self, fn: _Function, node: cst.BaseExpression) -> bool:
        """A token's payload segment decoded from base64 (`.decode()`d or not)."""
        if isinstance(node, cst.Name):
            return node.value in fn.decoded
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "decode":
                return self._decoded_segment(fn, node.func.value)
            if (self.qualname(node.func) or "") in _B64 and node.args:
                return self._payload_segment(fn, node.args[0].value)
        return False

    def _payload_segment(self, fn: _Function, node: cst.BaseExpression) -> bool:
        """`parts[1]`, `token.split(".")[1]`, `payload` of `_, payload, _ = token.split(".")`, with padding added."""
        if isinstance(node, cst.BinaryOperation):
            return self._payload_segment(fn, node.left) or self._payload_segment(fn, node.right)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "encode":
            return self._payload_segment(fn, node.func.value)
        if isinstance(node, cst.Name):
            return node.value in fn.segments
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index = node.slice[0].slice.value
            if not (isinstance(index, cst.Integer) and index.value == "1"):
                return False
            base = node.value
            return (isinstance(base, cst.Name) and base.value in fn.split_parts) or (isinstance(base, cst.Call) and _is_dot_split(base))
        return False

    def _key_from(self, node: cst.BaseExpression | None) -> str | None:
        fn = self.fn
        if node is None or fn is None:
            return None
        inner = node.expression if isinstance(node, cst.Await) else node
        if isinstance(inner, cst.Name):
            return fn.keys_from.get(inner.value)
        if isinstance(inner, cst.Call):
            return _last_name(inner.func)
        return None

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

    def _read_key(self, base: cst.BaseExpression, key_node: cst.BaseExpression) -> None:
        """`claims["sub"]`, `claims.get("sub")`: a key read from a token call's result."""
        key = string_value(key_node)
        if not isinstance(key, str):
            return
        indices: list[int] = []
        fn = self.fn
        if isinstance(base, cst.Name) and fn is not None:
            indices = fn.bound.get(base.value, [])
        elif isinstance(base, cst.Call) and (self.qualname(base.func) or "") in self.calls:
            span = self.span(base)
            indices = [i for i, c in enumerate(self.out.calls) if c.span == span]
        for i in indices:
            used = self.extra.setdefault(i, {}).setdefault("used_keys", [])
            if key not in used:
                used.append(key)

    def leave_Subscript(self, original_node: cst.Subscript) -> None:
        node = original_node
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self._read_key(node.value, node.slice[0].slice.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        dropped: set[int] = set()
        for i, fields in self.extra.items():
            call = self.out.calls[i]
            if fields.get("drop"):
                dropped.add(i)
                continue
            changes: dict[str, Any] = {}
            if "uses" in fields:
                changes["uses"] = tuple(fields["uses"])
            if "used_keys" in fields:
                changes["used_keys"] = (*call.used_keys, *(k for k in fields["used_keys"] if k not in call.used_keys))
            if "validated" in fields and call.validated is not None:
                changes["validated"] = True
            self.out.calls[i] = _replace(call, **changes)
        if dropped:
            self.out.calls[:] = [c for i, c in enumerate(self.out.calls) if i not in dropped]

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
        for use in self.framework_uses:
            if text == use or text.startswith(use + "."):
                self.out.framework_uses.append((use, self.span(node)))


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


def _number(node: cst.BaseExpression, depth: int = 0) -> int | float | None:
    """The value of constant arithmetic (`10 ** 6`, `60 * 60 * 24`), bounded so hostile input
    cannot make it expensive."""
    if depth > 16:
        return None
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, (int, float)) and abs(value) <= _MAX_NUMBER else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _number(node.expression, depth + 1)
        return -inner if inner is not None else None
    if isinstance(node, cst.BinaryOperation):
        left, right = _number(node.left, depth + 1), _number(node.right, depth + 1)
        if left is None or right is None:
            return None
        op = node.operator
        try:
            if isinstance(op, cst.Add):
                result: int | float = left + right
            elif isinstance(op, cst.Subtract):
                result = left - right
            elif isinstance(op, cst.Multiply):
                result = left * right
            elif isinstance(op, (cst.Divide, cst.FloorDivide)) and right:
                result = left / right if isinstance(op, cst.Divide) else left // right
            elif isinstance(op, cst.Power) and 0 <= right <= 64 and abs(left) <= 1e6:
                result = left**right
            else:
                return None
        except (ArithmeticError, ValueError):
            return None
        return result if abs(result) <= _MAX_NUMBER else None
    return None


def _names_in(nodes: list[cst.CSTNode]) -> set[str]:
    found: set[str] = set()

    class _Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

    for node in nodes:
        if isinstance(node, cst.Name):
            found.add(node.value)
        else:
            walk(node, [_Collect()], TRIVIA)
    return found


def _last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _is_dot_split(node: cst.Call) -> bool:
    """`token.split(".")`, `token.rsplit(".", 2)`."""
    return isinstance(node.func, cst.Attribute) and node.func.attr.value in ("split", "rsplit") and bool(node.args) and string_value(node.args[0].value) == "."


def _is_log_call(node: cst.Call) -> bool:
    """`print(...)`, `logger.info(...)`, `logging.debug(...)`, `click.echo(...)`: output, not a decision."""
    func = node.func
    if isinstance(func, cst.Name):
        return func.value in ("print", "pprint", "pp")
    if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
        base = (dotted(func.value) or "").lower()
        return "log" in base or base in ("click", "console", "typer")
    return False


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides) and any(string_value(s) == "__main__" for s in sides)


def _replace(call: TokenCall, **changes: Any) -> TokenCall:
    from dataclasses import replace

    return replace(call, **changes)
