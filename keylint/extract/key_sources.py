"""KL505-KL507 visitor: where a module's verifying keys come from (facts in `key_source_facts`).

Within each function (and the module body) a value carries *labels* saying what it holds: the token's
unverified header, a key member read from it (`header["jku"]`), the response of fetch N, the
content of file read N, an HTTP client or SSL context that checks no certificate, a key generated
or serialized here. Labels flow through assignments, `with ... as`, `for` targets, attributes,
item reads of a labelled value, calls (`json.dumps(x)`, `r.json()`) and string building, in source
order. Where a labelled value reaches a key constructor, a key client or a fetch, the visitor records
what it learned. Selecting among keys (`keys[header["kid"]]`, `keys.get(kid)`) is not building one:
an item read of an unlabelled value carries no label. A header member compared against an
allow-list (`if jku not in TRUSTED_JKUS`) in the same function is not reported.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Union

import libcst as cst

from keylint.catalog import split_words
from keylint.extract.key_source_facts import (
    FAMILY, KEY_MEMBERS, KEY_SOURCE_WORDS, UNKNOWN, EnvRead, Fetch, Fetched, FileRead, FileWrite, HeaderRead, Joined, KeyFromHeader,
    KeySourceFacts, NameRef, Place, PlaceBinding, Qual, SelfAttr, Text, TlsOff, Unknown, shown,
)
from keylint.extract.pyvisit import FactVisitor, ModuleState, argument, dotted, string_value
from keylint.model import Span

_HEADER = ("header",)  # the label of a token header read without verification
# Parameters that a library fills with a token's header (authlib's and jwcrypto's key callbacks).
_HEADER_PARAMETERS = frozenset({"header", "headers", "jose_header", "protected", "protected_header", "unverified_header"})
_B64_DECODERS = frozenset({"b64decode", "urlsafe_b64decode", "base64url_decode", "b64url_decode", "base64_url_decode"})
_ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get"})
_JOINERS = frozenset({"urllib.parse.urljoin", "os.path.join", "posixpath.join", "str", "pathlib.Path", "Path"})
_WRITE_METHODS = frozenset({"write_text", "write_bytes"})
_READ_METHODS = frozenset({"read_text", "read_bytes"})
_COPIERS = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "os.rename", "os.replace"})
_SAVE_METHODS = frozenset({"save"})  # werkzeug's FileStorage.save(dst), Django's storage.save(name, content)

Label = tuple[Any, ...]
Labels = frozenset[Label]
EMPTY: Labels = frozenset()
Node = Union[cst.BaseExpression, cst.CSTNode]


class KeySourceVisitor(FactVisitor):
    WORDS = KEY_SOURCE_WORDS

    def __init__(self, state: ModuleState) -> None:
        super().__init__(state)
        self.out = KeySourceFacts()
        self.facts.families[FAMILY] = self.out
        self.header_calls, self.header_methods = self._split("header_source")
        self.constructors, self.constructor_methods = self._split("key_constructor")
        self.clients = {e["call"]: e for e in self.catalog.table("key_client")}
        self.fetch_calls = {e["call"]: e for e in self.catalog.table("fetch_call") if "call" in e}
        self.fetch_methods = {e["method"]: e for e in self.catalog.table("fetch_call") if "method" in e}
        self.http_clients = {e["call"] for e in self.catalog.table("http_client")}
        self.insecure_contexts = {e["call"] for e in self.catalog.table("insecure_context")}
        self.provision_calls, self.provision_methods = self._split("key_provisioning")
        self.verifiers = {s.call: s for s in self.catalog.signers if s.operation == "verify"}
        self.taint: dict[tuple[str, str], Labels] = {}  # (scope, name) -> labels
        self.of_call: dict[int, Labels] = {}  # id(call node) -> labels of its result, set on leaving it
        self.allowed: set[tuple[str, str]] = set()  # (scope, header member) checked against an allow-list
        self.loops: list[cst.For] = []

    def _split(self, table: str) -> tuple[set[str], set[str]]:
        entries = self.catalog.table(table)
        return {e["call"] for e in entries if "call" in e}, {e["method"] for e in entries if "method" in e}

    # ---- labels ----
    def name_labels(self, name: str) -> Labels:
        scope = self.scope
        while True:
            found = self.taint.get((scope, name))
            if found is not None:
                return found
            if not scope:
                return EMPTY
            scope = scope.rpartition(".")[0]

    def labels(self, node: Node | None) -> Labels:
        if node is None:
            return EMPTY
        if isinstance(node, cst.Name):
            return self.name_labels(node.value)
        if isinstance(node, cst.Attribute):
            if node.attr.value == "jose_header":  # jwcrypto's JWS/JWT: the header, read before verification
                return frozenset({_HEADER})
            if isinstance(node.value, cst.Name) and node.value.value == self.self_name():
                cls = self.enclosing_class() or ""
                return self.taint.get((cls, node.attr.value), EMPTY)
            return self.labels(node.value)
        if isinstance(node, cst.Subscript):
            return self._item(node)
        if isinstance(node, cst.Call):
            return self.result(node)
        if isinstance(node, cst.Await):
            return self.labels(node.expression)
        if isinstance(node, cst.BinaryOperation):
            return self.labels(node.left) | self.labels(node.right)
        if isinstance(node, cst.BooleanOperation):
            return self.labels(node.left) | self.labels(node.right)
        if isinstance(node, cst.IfExp):
            return self.labels(node.body) | self.labels(node.orelse)
        if isinstance(node, cst.FormattedString):
            return _union(self.labels(p.expression) for p in node.parts if isinstance(p, cst.FormattedStringExpression))
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return _union(self.labels(e.value) for e in node.elements)
        if isinstance(node, cst.Dict):
            return _union(self.labels(e.value) for e in node.elements if isinstance(e, (cst.DictElement, cst.StarredDictElement)))
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            self._bind_comprehension(node.for_in)
            return self.labels(node.elt)
        if isinstance(node, cst.DictComp):
            self._bind_comprehension(node.for_in)
            return self.labels(node.value)
        return EMPTY

    def _item(self, node: cst.Subscript) -> Labels:
        base = self.labels(node.value)
        if not base:
            return EMPTY  # `keys[kid]`: choosing among keys the code already has
        key = _index(node)
        if _HEADER in base:
            return self._member(key, node) if key is not None else EMPTY
        return base

    def _member(self, key: str | None, node: cst.CSTNode) -> Labels:
        if key not in KEY_MEMBERS:
            return EMPTY  # `kid`, `alg`, `typ`: not where the key is
        return frozenset({("member", HeaderRead(key, self.span(node)))})

    def _call_labels(self, node: cst.Call) -> Labels:
        qual = self.qualname(node.func) or ""
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if qual in self.header_calls or (method is not None and method in self.header_methods):
            return frozenset({_HEADER})
        if self._hand_decoded(node, qual):
            return frozenset({_HEADER})
        if qual in self.provision_calls or (method is not None and method in self.provision_methods):
            return frozenset({("provisioned",)})
        base = self.labels(node.func.value) if isinstance(node.func, cst.Attribute) else EMPTY
        if method == "get" and _HEADER in base and node.args:
            return self._member(_as_str(string_value(node.args[0].value)), node)
        if method in ("get", "pop") and not base:
            return EMPTY  # `keys.get(kid)`: choosing among keys the code already has
        return (base - {_HEADER}) | _union(self.labels(a.value) for a in node.args)

    def _hand_decoded(self, node: cst.Call, qual: str) -> bool:
        """`base64.urlsafe_b64decode(token.split(".")[0] + "==")`: the header, decoded by hand."""
        if qual.rpartition(".")[2] not in _B64_DECODERS or not node.args:
            return False
        return _splits_on_dot(node.args[0].value)

    # ---- scopes, assignments ----
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # the opener has pushed this function: its parameters are read in its own scope
        for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            if p.name.value in _HEADER_PARAMETERS:
                self.taint[(self.scope, p.name.value)] = frozenset({_HEADER})

    def leave_Assign(self, original_node: cst.Assign) -> None:
        for t in original_node.targets:
            self._assign(t.target, original_node.value, original_node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._assign(original_node.target, original_node.value, original_node)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        if isinstance(original_node.target, cst.Name):
            key = (self.scope, original_node.target.value)
            self.taint[key] = self.taint.get(key, EMPTY) | self.labels(original_node.value)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression, whole: cst.CSTNode) -> None:
        labels = self.labels(value)
        if isinstance(target, cst.Name):
            self.taint[(self.scope, target.value)] = labels
            self._bind(self.scope, target.value, value, whole)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            if target.value.value == self.self_name():
                cls = self.enclosing_class() or ""
                self.taint[(cls, target.attr.value)] = self.taint.get((cls, target.attr.value), EMPTY) | labels
                self._bind(cls, target.attr.value, value, whole)
            elif self._turns_tls_off(target, value):
                # `session.verify = False`, `ctx.verify_mode = ssl.CERT_NONE`, `ctx.check_hostname = False`
                key = next(((s, target.value.value) for s in _chain(self.scope) if (s, target.value.value) in self.taint), (self.scope, target.value.value))
                self.taint[key] = self.taint.get(key, EMPTY) | {("tls-off", TlsOff(self.code(whole).strip(), self.span(whole)))}
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                if isinstance(el.value, cst.Name):
                    self.taint[(self.scope, el.value.value)] = labels

    @staticmethod
    def _turns_tls_off(target: cst.Attribute, value: cst.BaseExpression) -> bool:
        attr = target.attr.value
        if attr in ("verify", "check_hostname"):
            return isinstance(value, cst.Name) and value.value == "False"
        return attr == "verify_mode" and (dotted(value) or "").endswith("CERT_NONE")

    def _bind(self, scope: str, name: str, value: cst.BaseExpression, whole: cst.CSTNode) -> None:
        place = self.place(value)
        if not isinstance(place, Unknown):
            self.out.bindings.append(PlaceBinding(scope, name, place, self.span(whole)))

    def leave_WithItem(self, original_node: cst.WithItem) -> None:
        if original_node.asname is not None and isinstance(original_node.asname.name, cst.Name):
            self.taint[(self.scope, original_node.asname.name.value)] = self.labels(original_node.item)

    def visit_For(self, node: cst.For) -> None:
        self.loops.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self.loops.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_body(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_body(node)

    def _enter_body(self, body: cst.BaseSuite) -> None:
        """`for key in jwks["keys"]:` the target carries the iterable's labels, bound when the body
        starts (after the iterable's calls were left)."""
        if not self.loops or self.loops[-1].body is not body:
            return
        loop = self.loops[-1]
        labels = self.labels(loop.iter)
        targets = [loop.target] if isinstance(loop.target, cst.Name) else [e.value for e in loop.target.elements] if isinstance(loop.target, cst.Tuple) else []
        for t in targets:
            if isinstance(t, cst.Name):
                self.taint[(self.scope, t.value)] = labels

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._bind_comprehension(node.for_in)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._bind_comprehension(node.for_in)

    def _bind_comprehension(self, comp: cst.CompFor | None) -> None:
        """`{k["kid"]: from_jwk(k) for k in jwks["keys"]}`: the element is visited before the `for`,
        so its targets are bound first (in the enclosing scope: comprehensions have no scope here)."""
        while comp is not None:
            labels = self.labels(comp.iter)
            targets = [comp.target] if isinstance(comp.target, cst.Name) else [e.value for e in comp.target.elements] if isinstance(comp.target, cst.Tuple) else []
            for t in targets:
                if isinstance(t, cst.Name):
                    self.taint[(self.scope, t.value)] = labels
            comp = comp.inner_for_in

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`if jku not in TRUSTED_JKUS` / `if header["x5u"] != ISSUER_X5U`: an allow-list check."""
        if not any(isinstance(c.operator, (cst.In, cst.NotIn, cst.Equal, cst.NotEqual)) for c in node.comparisons):
            return
        for label in self.labels(node.left):
            if label[0] == "member":
                self.allowed.add((self.scope, label[1].member))

    # ---- places ----
    def place(self, node: cst.BaseExpression | None) -> Place:
        if node is None:
            return UNKNOWN
        text = string_value(node)
        if isinstance(text, str):
            return Text(shown(text), self.span(node)) if _place_like(text) else UNKNOWN
        for label in self.labels(node):
            if label[0] == "fetched":  # a URL read from another fetch's response
                return Fetched(label[1])
        if isinstance(node, cst.Name):
            return NameRef(node.value, self.scope)
        if isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name) and node.value.value == self.self_name():
                return SelfAttr(self.enclosing_class() or "", node.attr.value)
            qual = self.qualname(node)
            return Qual(qual) if qual else UNKNOWN
        if isinstance(node, cst.Subscript):
            key = _index(node)
            if key is not None:
                base = self.qualname(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else None
                if base == "os.environ":
                    return EnvRead(key, None, self.span(node))
                if base is not None:  # `app.config["JWKS_URL"]`, `settings["JWKS_URL"]`
                    return Qual(f"{base}.{key}")
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide)):
            return Joined((self.place(node.left), self.place(node.right)))
        if isinstance(node, cst.FormattedString):
            parts: list[Place] = []
            for p in node.parts:
                if isinstance(p, cst.FormattedStringText):
                    parts.append(Text(shown(p.value), self.span(p)) if _place_like(p.value) else UNKNOWN)
                elif isinstance(p, cst.FormattedStringExpression):
                    parts.append(self.place(p.expression))
            return Joined(tuple(parts)) if parts else UNKNOWN
        if isinstance(node, cst.Call):
            return self._call_place(node)
        return UNKNOWN

    def _call_place(self, node: cst.Call) -> Place:
        qual = self.qualname(node.func) or ""
        if qual in _ENV_GETTERS:
            var = _as_str(string_value(node.args[0].value)) if node.args else None
            default = self.place(node.args[1].value) if len(node.args) > 1 else None
            return EnvRead(var, default, self.span(node))
        if qual in _JOINERS or qual.rpartition(".")[2] == "urljoin":
            return Joined(tuple(self.place(a.value) for a in node.args if a.keyword is None)) if node.args else UNKNOWN
        if qual.rpartition(".")[2] == "Field":  # pydantic `Field(default="https://...")`
            given = argument(node, 0, "default")
            return self.place(given) if given is not None else UNKNOWN
        return UNKNOWN

    # ---- calls: where labels turn into facts ----
    def leave_Call(self, original_node: cst.Call) -> None:
        self.result(original_node)

    def result(self, node: cst.Call) -> Labels:
        """The labels of a call's result, recording what the call tells (once per call: on leaving
        it, or earlier where a label is needed before the walk reaches it, as in a comprehension)."""
        found = self.of_call.get(id(node))
        if found is not None:
            return found
        self.of_call[id(node)] = EMPTY  # a call that reads its own result (it cannot) stops here
        qual = self.qualname(node.func) or ""
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        labels = self._call_labels(node)
        if qual in self.insecure_contexts:
            labels = labels | {("tls-off", TlsOff(f"{qual}()", self.span(node)))}
        elif qual in self.clients:
            labels = self._fetch(node, qual, self.clients[qual], client=True)
        elif qual in self.http_clients:
            labels = labels | self._tls_arguments(node)
        elif qual in self.fetch_calls:
            labels = self._fetch(node, qual, self.fetch_calls[qual], client=False)
        elif method in self.fetch_methods and isinstance(node.func, cst.Attribute) and self._is_http_client(node.func.value):
            labels = self._fetch(node, f"{self.code(node.func.value)}.{method}", self.fetch_methods[method], client=False)
        elif qual in self.constructors or (method is not None and method in self.constructor_methods):
            self._builds_key(node, qual if qual in self.constructors else f"{method}", _union(self.labels(a.value) for a in node.args))
        elif qual in self.verifiers:
            signer = self.verifiers[qual]
            self._builds_key(node, qual, self.labels(argument(node, signer.position, signer.keyword)), report=False)
        if qual in ("open", "io.open", "builtins.open", "codecs.open"):
            labels = labels | self._open(node, qual)
        elif method in _READ_METHODS | _WRITE_METHODS and isinstance(node.func, cst.Attribute):
            labels = labels | self._path_method(node, node.func, method)
        elif qual in _COPIERS and len(node.args) >= 2:
            self._write(node, qual, node.args[1].value, provisioning=False)
        elif method in _SAVE_METHODS and isinstance(node.func, cst.Attribute) and argument(node, 0, "dst") is not None:
            content = argument(node, 1, "content")
            self._write(node, f"{method}", argument(node, 0, "dst"), provisioning="provisioned" in _kinds(self.labels(content)))
        self.of_call[id(node)] = labels
        return labels

    def _is_http_client(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return (self.qualname(node.func) or "") in self.http_clients
        return any(label[0] == "http-client" for label in self.labels(node))

    def _tls_arguments(self, node: cst.Call) -> Labels:
        """An HTTP client's or fetch's own TLS settings: `verify=False`, `ssl=False`, an unverified context."""
        out: set[Label] = {("http-client",)} if (self.qualname(node.func) or "") in self.http_clients else set()
        for a in node.args:
            if a.keyword is None:
                continue
            name = a.keyword.value
            if name in ("verify", "ssl") and isinstance(a.value, cst.Name) and a.value.value == "False":
                out.add(("tls-off", TlsOff(f"{name}=False", self.span(a))))
            elif name in ("context", "ssl_context", "ssl", "verify", "connector"):
                out |= {label for label in self.labels(a.value) if label[0] == "tls-off"}
        return frozenset(out)

    def _fetch(self, node: cst.Call, api: str, entry: dict[str, Any], client: bool) -> Labels:
        url_node = argument(node, entry.get("url_position"), entry.get("url_keyword"))
        url_labels = self.labels(url_node)
        reads = self._header_reads(url_labels)
        if reads:
            self.out.from_header.append(KeyFromHeader(api, self.span(node), self.scope, reads))
            return frozenset({("from-header",)})
        tls = self._tls_arguments(node)
        if isinstance(node.func, cst.Attribute):
            tls = tls | {label for label in self.labels(node.func.value) if label[0] == "tls-off"}
        if client and entry.get("context_keyword"):
            tls = tls | {label for label in self.labels(argument(node, None, entry["context_keyword"])) if label[0] == "tls-off"}
        offs = tuple(sorted({label[1] for label in tls if label[0] == "tls-off"}, key=lambda t: (t.span, t.what)))
        index = len(self.out.fetches)
        self.out.fetches.append(Fetch(api, self.span(node), self.scope, self.place(url_node), offs, client, words=self._words()))
        return frozenset({("fetched", index)})

    def _header_reads(self, labels: Labels) -> tuple[HeaderRead, ...]:
        reads = {label[1] for label in labels if label[0] == "member"}
        return tuple(sorted((r for r in reads if (self.scope, r.member) not in self.allowed), key=lambda r: r.span))

    def _builds_key(self, node: cst.Call, api: str, labels: Labels, report: bool = True) -> None:
        reads = self._header_reads(labels)
        if reads and report:
            self.out.from_header.append(KeyFromHeader(api, self.span(node), self.scope, reads))
        span = self.span(node)
        for label in labels:
            if label[0] == "fetched":
                f = self.out.fetches[label[1]]
                if f.keys_at is None:
                    self.out.fetches[label[1]] = replace(f, keys_at=span)
            elif label[0] == "read":
                r = self.out.reads[label[1]]
                if r.keys_at is None:
                    self.out.reads[label[1]] = replace(r, keys_at=span)

    def _words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for _, name, _ in self.stack for w in split_words(name)))

    # ---- files ----
    def _open(self, node: cst.Call, api: str) -> Labels:
        path = argument(node, 0, "file")
        mode = _as_str(string_value(argument(node, 1, "mode"))) or "r"
        if any(c in mode for c in "wax+"):
            self._write(node, api, path, provisioning=False)
            return frozenset({("writer", len(self.out.writes) - 1)})
        return self._read(node, api, path)

    def _path_method(self, node: cst.Call, func: cst.Attribute, method: str) -> Labels:
        base = func.value
        if isinstance(base, cst.Call) and (self.qualname(base.func) or "") in ("pathlib.Path", "Path") and base.args:
            path: cst.BaseExpression = base.args[0].value
        else:
            path = base
        if method in _READ_METHODS:
            return self._read(node, f"{method}", path)
        content = node.args[0].value if node.args else None
        self._write(node, method, path, provisioning="provisioned" in _kinds(self.labels(content)))
        return EMPTY

    def _read(self, node: cst.Call, api: str, path: cst.BaseExpression | None) -> Labels:
        place = self.place(path)
        if isinstance(place, Unknown):
            return EMPTY
        self.out.reads.append(FileRead(api, self.span(node), self.scope, place))
        return frozenset({("read", len(self.out.reads) - 1)})

    def _write(self, node: cst.Call, api: str, path: cst.BaseExpression | None, provisioning: bool) -> None:
        place = self.place(path)
        if not isinstance(place, Unknown):
            self.out.writes.append(FileWrite(api, self.span(node), self.scope, place, provisioning))

    def leave_Expr(self, original_node: cst.Expr) -> None:
        """`f.write(pem)` where `f` was opened for writing: a write of generated key material is provisioning."""
        call = original_node.value
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "write" and call.args):
            return
        if "provisioned" not in _kinds(self.labels(call.args[0].value)):
            return
        for label in self.labels(call.func.value):
            if label[0] == "writer":
                w = self.out.writes[label[1]]
                self.out.writes[label[1]] = replace(w, provisioning=True)


def _union(parts: Any) -> Labels:
    out: set[Label] = set()
    for p in parts:
        out |= p
    return frozenset(out)


def _kinds(labels: Labels) -> set[str]:
    return {label[0] for label in labels}


def _chain(scope: str) -> list[str]:
    out = []
    while scope:
        out.append(scope)
        scope = scope.rpartition(".")[0]
    return [*out, ""]


def _as_str(value: str | bytes | None) -> str | None:
    return value if isinstance(value, str) else None


def _index(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _as_str(string_value(node.slice[0].slice.value))


def _place_like(text: str) -> bool:
    """A URL or a path: what a place may be written as. Other strings are not kept, and neither is
    anything that could be key material written inline (a PEM block, a base64 run that holds a "/"),
    since these facts are cached on disk."""
    if len(text) > 2048 or any(c in "\n\r\t" for c in text) or "-----" in text:
        return False
    if "://" in text:
        return True  # shown() keeps scheme, host and path only
    if not ("/" in text or "\\" in text or text.lower().endswith(_KEY_FILE_SUFFIXES)):
        return False
    return not any(c in "+=" for c in text) and not any(_random_run(seg) for seg in re.split(r"[/\\]", text))


_KEY_FILE_SUFFIXES = (".pem", ".jwk", ".jwks", ".json", ".key", ".crt", ".pub", ".der")


def _random_run(segment: str) -> bool:
    """A long mixed-case run with digits: encoded bytes, not a file or directory name."""
    word = segment.rsplit(".", 1)[0]
    return len(word) >= 20 and any(c.isupper() for c in word) and any(c.islower() for c in word) and any(c.isdigit() for c in word)


def _splits_on_dot(node: cst.BaseExpression) -> bool:
    """`token.split(".")[0]`, `token.partition(".")[0]` somewhere in the expression."""
    todo: list[cst.CSTNode] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in ("split", "partition", "rsplit"):
            if n.args and string_value(n.args[0].value) == ".":
                return True
        if isinstance(n, (cst.Call, cst.Subscript, cst.BinaryOperation, cst.Attribute)):
            todo.extend(c for c in n.children if isinstance(c, cst.BaseExpression) or isinstance(c, (cst.Arg, cst.SubscriptElement, cst.Index)))
        elif isinstance(n, (cst.Arg, cst.SubscriptElement, cst.Index)):
            todo.extend(n.children)
    return False
