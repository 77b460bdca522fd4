"""Which key literals a Python file version could give, bounded from above with CPython's `ast`.

Most Python versions the prefilter passes mention a key word (`app.secret_key`, `SECRET_KEY`),
and most of them hold no key, or only keys an earlier commit already brought in (a test file
that sets `app.secret_key = "testkey"` in every version). LibCST costs about 20 times what
CPython's parser costs, so before a version goes to LibCST its *candidate keys* are worked out
here: every literal that could reach a key sink, in the terms of `keylint.extract.keys` and
`keylint.link` but with every doubt resolved towards "could":

- sinks: calls to a catalog signer (every argument), assignments and keyword arguments to
  key-like names and settings, `x.secret_key`, config subscripts and updates, key-like dict
  items, and any call given a key-like string (an environment read with a default);
- values: a literal (its SHA-256, which is the finding's key), names and attributes through
  every binding of that name anywhere in the module (scopes ignored), dict items, function
  returns and parameters, environment defaults, pass-through calls, `or`/`if` alternatives and
  concatenations; a weak generator, an f-string with braces or anything not understood is
  "unknown".

A version whose candidates are all keys already found at earlier commits cannot change any
key's first commit, so its LibCST analysis is skipped; one with an unknown candidate, a JWK, or
source CPython cannot parse is analysed (unless it is Python 2 that LibCST does not parse either;
Python 2's `except E, e:`, which LibCST reads, is read here as `except E as e:`). Only the
skipping depends on this module, never a finding.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import deque
from typing import Iterable

from keylint.catalog import Catalog

UNKNOWN = "?"  # a candidate that cannot be known here: analyse

_ENV_CALLS = frozenset({"getenv", "get", "setdefault", "config", "env", "Env", "str", "bytes", "Field"})
_PASS_THROUGH_METHODS = frozenset({"encode", "decode", "strip", "rstrip", "lstrip", "get_secret_value"})
_PASS_THROUGH_CALLS = frozenset({
    "str", "bytes", "bytearray", "b64decode", "urlsafe_b64decode", "b64encode", "urlsafe_b64encode", "b32decode",
    "fromhex", "unhexlify", "a2b_hex", "SecretStr", "SecretBytes", "Secret", "encode", "decode", "Field",
})  # fmt: skip
_WEAK_PREFIXES = ("random.", "secrets.", "os.urandom", "uuid.", "time.", "datetime.", "Crypto.Random.")
# CPython's messages for Python 2 statements that LibCST refuses too: `print x`, `exec code`
_PYTHON2 = ("Missing parentheses in call to 'print'", "Missing parentheses in call to 'exec'")
_CONFIG_METHODS = frozenset({"update", "from_mapping", "setdefault"})
_ENV_FACTORIES = frozenset({"Env", "Config", "AutoConfig"})


def _digest(value: str | bytes) -> str:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Gate:
    """The candidate keys of Python sources, for one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.names = catalog.key_names
        self.signers = {s.call: (s.position, s.keyword) for s in catalog.signers}
        self.settings = catalog.setting_names
        self.containers = catalog.container_items
        self.container_keys = frozenset(k for keys in catalog.container_items.values() for k in keys)
        self._key_like: dict[str, bool] = {}  # the same names recur in every version of a file
        # blob id -> its candidates: a blob met again (a copy, a rename, a branch tip) is read once
        self._by_blob: dict[str, frozenset[str]] = {}

    def key_like(self, name: str) -> bool:
        known = self._key_like.get(name)
        if known is None:
            known = self._key_like[name] = name in self.settings or self.names.matches(name)
        return known

    def candidates(self, source: str, blob: str | None = None) -> frozenset[str]:
        """SHA-256 digests of the literals that could be keys of this module, with UNKNOWN among
        them when some could not be bounded. `blob`: the git object the source was read from
        (its id names its bytes, so the answer is kept for it)."""
        if blob is not None:
            known = self._by_blob.get(blob)
            if known is None:
                known = self._by_blob[blob] = self.candidates(source)
            return known
        parsed = _parse(source)
        if isinstance(parsed, frozenset):
            return parsed
        tree, rewritten = parsed
        try:
            return _Module(self, tree, rewritten).candidates()
        except RecursionError:
            return frozenset({UNKNOWN})


_OLD_EXCEPT = re.compile(r"^([ \t]*except\b[ \t]*)(.+?),[ \t]*([A-Za-z_]\w*)[ \t]*:", re.MULTILINE)


def _parse(source: str) -> tuple[ast.Module, frozenset[int]] | frozenset[str]:
    """The module's tree and the lines rewritten to read it, or the candidates when there is
    none to read: Python 2 `print x` or `exec code`, which LibCST does not parse either (no
    Python rule can find anything there; the secret detectors, which read it as text, are run
    apart), or UNKNOWN. Python 2's `except E, e:`, which LibCST does read, is read as
    `except E as e:`; `_Module` checks that every line so rewritten is an except clause of the
    result (not text in a string), on the walk it makes anyway."""
    rewritten: frozenset[int] = frozenset()
    for attempt in (0, 1):
        try:
            return ast.parse(source), rewritten
        except SyntaxError as exc:
            if any(m in str(exc.msg) for m in _PYTHON2):
                return frozenset()
            if attempt == 0 and "multiple exception types must be parenthesized" in str(exc.msg):
                rewritten = frozenset(source.count("\n", 0, m.start()) + 1 for m in _OLD_EXCEPT.finditer(source))
                source = _OLD_EXCEPT.sub(r"\1\2 as \3:", source)
                continue
            return frozenset({UNKNOWN})
        except (ValueError, RecursionError, MemoryError, OverflowError):
            return frozenset({UNKNOWN})
    return frozenset({UNKNOWN})


_Function = ast.FunctionDef | ast.AsyncFunctionDef
_NOT_OWN = (ast.ClassDef, ast.Lambda)  # a `return` below these is not the enclosing function's
# nodes that hold nothing the walk reads (about half of all nodes): not visited. The walk tests
# exact types (`type(x) in`), several times cheaper than `isinstance` over a tuple on every node
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop, ast.alias)


def _concrete(bases: tuple[type, ...]) -> frozenset[type]:
    found: set[type] = set()
    stack = list(bases)
    while stack:
        cls = stack.pop()
        found.add(cls)
        stack.extend(cls.__subclasses__())
    return frozenset(found)


_LEAF_TYPES = _concrete(_LEAVES)
_FUNCTION_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_NOT_OWN_TYPES = frozenset(_NOT_OWN)


def _children(node: ast.AST) -> Iterable[ast.AST]:
    """As `ast.iter_child_nodes`, less the leaves."""
    for name in node._fields:
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST) and type(item) not in _LEAF_TYPES:
                    yield item
        elif isinstance(value, ast.AST) and type(value) not in _LEAF_TYPES:
            yield value


class _Module:
    def __init__(self, gate: Gate, tree: ast.Module, rewritten: frozenset[int] = frozenset()) -> None:
        self.gate = gate
        self.imports: dict[str, str] = {}
        self.bindings: dict[str, list[ast.expr]] = {}
        self.functions: dict[str, list[_Function]] = {}
        self.sinks: list[ast.expr] = []
        self.env_objects: set[str] = set()  # names bound to an environment reader (`env = environ.Env()`)
        self.unknown = False
        self.weak: dict[int, bool] = {}  # id of a call -> it or a call inside it is a weak generator
        # one walk, in ast.walk's order: imports and functions are read first (sinks and calls are
        # read through them), each `return` with the function it returns from
        nodes: list[ast.AST] = []
        handlers: set[int] = set()  # lines of except clauses, when some were rewritten
        queue: deque[tuple[ast.AST, _Function | None]] = deque([(tree, None)])
        while queue:
            node, function = queue.popleft()
            nodes.append(node)
            kind = type(node)
            if kind is ast.Import:
                for alias in node.names:  # type: ignore[attr-defined]
                    self.imports[(alias.asname or alias.name).split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif kind is ast.ImportFrom:
                base = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
                for alias in node.names:  # type: ignore[attr-defined]
                    self.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
            elif kind is ast.Return and function is not None:
                self.bind(f"<return>{function.name}", node.value)  # type: ignore[attr-defined]
            elif rewritten and kind is ast.ExceptHandler:
                handlers.add(node.lineno)  # type: ignore[attr-defined]
            if kind in _FUNCTION_TYPES:
                self.functions.setdefault(node.name, []).append(node)  # type: ignore[attr-defined, arg-type]
                inner: _Function | None = node  # type: ignore[assignment]
            else:
                inner = None if kind in _NOT_OWN_TYPES else function
            queue.extend((child, inner) for child in _children(node))
        if not rewritten <= handlers:
            self.unknown = True  # `except E, e:` rewritten inside a string, not a clause: not read right
            return
        for node in nodes:
            self._read(node)

    def qualname(self, node: ast.expr) -> str | None:
        name = _dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        resolved = self.imports.get(head)
        return name if resolved is None else f"{resolved}.{rest}" if rest else resolved

    def bind(self, name: str, value: ast.expr | None) -> None:
        if value is not None:
            self.bindings.setdefault(name, []).append(value)

    # ---- what the module binds and where keys go ----
    def _read(self, node: ast.AST) -> None:
        gate = self.gate
        if isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._assign(target, node.value)
        elif isinstance(node, ast.AnnAssign):
            self._assign(node.target, node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self.bind(key.value, value)
                    if gate.key_like(key.value) or key.value in gate.container_keys:
                        self.sinks.append(value)
                    if key.value == "kty":
                        self.unknown = True  # a JWK: its key is its members, not a literal
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            for arg, default in zip(positional[len(positional) - len(args.defaults) :], args.defaults):
                self._assign(ast.Name(arg.arg), default)
            for arg, keyword_default in zip(args.kwonlyargs, args.kw_defaults):
                if keyword_default is not None:
                    self._assign(ast.Name(arg.arg), keyword_default)

    def _assign(self, target: ast.expr, value: ast.expr | None) -> None:
        gate = self.gate
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) else [value] * len(target.elts)
            for t, v in zip(target.elts, values):
                self._assign(t, v)
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, value)
            return
        if value is None:
            return
        name = None
        if isinstance(target, ast.Name):
            name = target.id
        elif isinstance(target, ast.Attribute):
            name = target.attr
        elif isinstance(target, ast.Subscript):
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                name = key.value
                base = _dotted(target.value)
                if base is not None:
                    self.bind(f"{base}[{key.value}]", value)
                    items = gate.containers.get(base.split(".")[-1], frozenset())
                    if key.value in items:
                        self.sinks.append(value)
        if name is None:
            return
        if isinstance(value, ast.Call) and (self.qualname(value.func) or "").rsplit(".", 1)[-1] in _ENV_FACTORIES:
            self.env_objects.add(name)
        self.bind(name, value)
        if gate.key_like(name) or name == "secret_key":
            self.sinks.append(value)
        if isinstance(value, ast.Dict) and isinstance(target, ast.Name):
            for item_key, item in zip(value.keys, value.values):
                if isinstance(item_key, ast.Constant) and isinstance(item_key.value, str):
                    self.bind(f"{name}[{item_key.value}]", item)

    def _call(self, node: ast.Call) -> None:
        gate = self.gate
        qual = self.qualname(node.func)
        everything = [*node.args, *(k.value for k in node.keywords)]
        if qual in gate.signers:
            position, keyword = gate.signers[qual]
            self.sinks.extend(a for a in [_argument(node, position, keyword)] if a is not None)
        for k in node.keywords:
            if k.arg is not None and gate.key_like(k.arg):
                self.sinks.append(k.value)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        last = method or (node.func.id if isinstance(node.func, ast.Name) else "")
        if (last in _ENV_CALLS or last in self.env_objects) and any(
            isinstance(a, ast.Constant) and isinstance(a.value, str) and gate.key_like(a.value) for a in node.args
        ):
            self.sinks.extend(everything)  # an environment read or a config entry named like a key
        if method in _CONFIG_METHODS:
            for a in node.args:
                if isinstance(a, ast.Dict):
                    for key, value in zip(a.keys, a.values):
                        if isinstance(key, ast.Constant) and isinstance(key.value, str) and gate.key_like(key.value):
                            self.sinks.append(value)
        called = node.func.id if isinstance(node.func, ast.Name) else method
        for function in self.functions.get(called or "", ()):
            for arg in function.args.posonlyargs + function.args.args + function.args.kwonlyargs:
                for value in everything:
                    self.bind(arg.arg, value)  # a parameter takes any argument of any call

    # ---- what values can be ----
    def candidates(self) -> frozenset[str]:
        """Every value each sink can have: the least fixed point of the bindings, worked out only
        for the names the sinks reach (a name is evaluated again when a name it reads grows)."""
        if self.unknown:
            return frozenset({UNKNOWN})
        if not self.sinks:
            return frozenset()
        self.values: dict[str, frozenset[str]] = {}
        self.readers: dict[str, set[str]] = {}  # name -> the names whose bindings read it
        self.reader: str | None = None  # the name being evaluated (None: the sinks)
        self.work: deque[str] = deque()
        for sink in self.sinks:
            self.value(sink)  # the names the sinks read, queued
        queued = set(self.work)
        while self.work:
            name = self.work.popleft()
            queued.discard(name)
            self.reader = name
            new = frozenset().union(*(self.value(e) for e in self.bindings[name]))
            if not new <= self.values[name]:
                self.values[name] = new | self.values[name]
                for reader in self.readers.get(name, ()):
                    if reader not in queued:
                        queued.add(reader)
                        self.work.append(reader)
        self.reader = None
        return frozenset().union(*(self.value(s) for s in self.sinks))

    def lookup(self, name: str) -> frozenset[str]:
        if self.reader is not None:
            self.readers.setdefault(name, set()).add(self.reader)
        found = self.values.get(name)
        if found is None:
            found = self.values[name] = frozenset()
            if name in self.bindings:
                self.work.append(name)
        return found

    def value(self, node: ast.expr | None) -> frozenset[str]:
        if node is None:
            return frozenset()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (str, bytes)):
                return frozenset({_digest(node.value)})  # "" too: an empty key given to a signer is a finding
            return frozenset()
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):  # key settings that hold several keys
            return frozenset().union(*(self.value(e) for e in node.elts))
        if isinstance(node, ast.Dict):
            return frozenset().union(*(self.value(v) for v in node.values))
        if isinstance(node, ast.JoinedStr):
            if any(isinstance(v, ast.FormattedValue) for v in node.values):
                return frozenset()  # a formatted string: not a literal to keylint either
            return frozenset({UNKNOWN})  # f"..." without fields: literal, but spelled otherwise
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            return self.lookup(node.attr)
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                base = _dotted(node.value)
                found = self.lookup(key.value)
                return found | self.lookup(f"{base}[{key.value}]") if base is not None else found
            return frozenset()
        if isinstance(node, ast.Call):
            return self._called(node)
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add):
                return frozenset()
            joined = _joined(node)
            if joined is not None:  # "prefix-" + "rest": one literal, as keylint joins it
                return frozenset({UNKNOWN}) if joined is _UNJOINABLE else frozenset({_digest(joined)}) if joined else frozenset()
            return self.value(node.left) | self.value(node.right)
        if isinstance(node, ast.BoolOp):
            return frozenset().union(*(self.value(v) for v in node.values))
        if isinstance(node, ast.IfExp):
            return self.value(node.body) | self.value(node.orelse)
        if isinstance(node, ast.Await):
            return self.value(node.value)
        if isinstance(node, ast.NamedExpr):
            return self.value(node.value)
        return frozenset()

    def _called(self, node: ast.Call) -> frozenset[str]:
        if self._weak(node):
            return frozenset({UNKNOWN})  # a weak generator: its finding has no literal to know it by
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        out: frozenset[str] = frozenset()
        if isinstance(func, ast.Attribute) and func.attr in _PASS_THROUGH_METHODS:
            out |= self.value(func.value)
        if last in _PASS_THROUGH_CALLS or last in _ENV_CALLS or last in self.env_objects:
            out |= frozenset().union(*(self.value(a) for a in [*node.args, *(k.value for k in node.keywords)]))
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out |= self.lookup(first.value)  # `config.get("KEY")` reads the setting KEY
        if last in self.functions:
            out |= self.lookup(f"<return>{last}")
        return out

    def _weak(self, node: ast.Call) -> bool:
        """Whether this call, or a call inside it, is a weak generator (remembered per call)."""
        known = self.weak.get(id(node))
        if known is None:
            qual = self.qualname(node.func) or ""
            known = qual.startswith(_WEAK_PREFIXES) or any(self._weak(inner) for inner in _calls_within(node))
            self.weak[id(node)] = known
        return known


_UNJOINABLE = b"\0unjoinable"  # literals keylint would join but that are spelled otherwise here (f-strings)


def _joined(node: ast.expr) -> str | bytes | None:
    """The value of a `+` of literals only (as `keylint.extract.keys._joined_literal`), else None."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _joined(node.left), _joined(node.right)
        if left is _UNJOINABLE or right is _UNJOINABLE:
            return _UNJOINABLE if left is not None and right is not None else None
        if isinstance(left, str) and isinstance(right, str) or isinstance(left, bytes) and isinstance(right, bytes):
            return left + right  # type: ignore[operator]
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value
    if isinstance(node, ast.JoinedStr) and not any(isinstance(v, ast.FormattedValue) for v in node.values):
        return _UNJOINABLE
    return None


def _argument(call: ast.Call, position: int | None, keyword: str | None) -> ast.expr | None:
    """As `keylint.extract.pyvisit.argument`: by keyword, else at `position` among the positional ones."""
    if keyword is not None:
        for k in call.keywords:
            if k.arg == keyword:
                return k.value
    if position is not None:
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        if position < len(positional):
            return positional[position]
    return None


def _calls_within(call: ast.Call) -> Iterable[ast.Call]:
    """The calls inside a call that no other call inside it encloses (each answers for its own)."""
    stack = list(ast.iter_child_nodes(call))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            yield node
        else:
            stack.extend(ast.iter_child_nodes(node))
