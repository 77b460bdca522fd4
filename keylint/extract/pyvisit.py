"""What every Python fact visitor shares: positions, the lexical scope chain and import resolution.

All visitors of a module run in ONE read-only traversal (`keylint.extract.walk`), with no LibCST
metadata: positions come from `keylint.extract.positions`, a cheap token pre-pass. `_Opener` runs first and `_Closer` last, so every family visitor sees
the scope stack and the import table already updated for the node it is visiting.
"""

from __future__ import annotations

import libcst as cst

from keylint.catalog import Catalog
from keylint.extract.facts import FileFinding, PythonFacts
from keylint.extract.positions import Positions
from keylint.model import Span


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    kind = type(node)  # not isinstance: see keylint.extract.walk.NODE_TYPES
    if kind is cst.Name:
        # mypy does not narrow on `type(node) is ...`; LibCST's BaseExpression has neither attribute
        return node.value  # type: ignore[attr-defined,no-any-return]
    if kind is cst.Attribute:
        base = dotted(node.value)  # type: ignore[attr-defined]  # narrowed by `type(node) is` above
        return f"{base}.{node.attr.value}" if base else None  # type: ignore[attr-defined]  # likewise
    return None


def _plain_literal(raw: str) -> str | bytes | None:
    """The value of a string literal that needs no evaluation: no escapes (or a raw string), no
    carriage returns. Most literals are such, and `evaluated_value` compiles each one. None:
    evaluate it."""
    i = 0
    while i < len(raw) and raw[i] in "rRbBuU":
        i += 1
    prefix, body = raw[:i].lower(), raw[i:]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if len(body) < 2 * len(quote) or not body.endswith(quote):
        return None
    inner = body[len(quote) : len(body) - len(quote)]
    if "\r" in inner or ("\\" in inner and "r" not in prefix):
        return None
    if "b" in prefix:
        return inner.encode("ascii") if inner.isascii() else None
    return inner


def string_value(node: cst.BaseExpression | None) -> str | bytes | None:
    """The value of a string literal (plain, implicitly concatenated, or an f-string without fields)."""
    if type(node) is cst.SimpleString:
        plain = _plain_literal(node.value)
        if plain is not None:
            return plain
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # malformed escapes: not a value we can reason about
            return None
        return value if isinstance(value, (str, bytes)) else None
    if isinstance(node, cst.FormattedString) and all(isinstance(p, cst.FormattedStringText) for p in node.parts):
        # LibCST types `parts` as BaseFormattedStringContent; the all() above checked each is a FormattedStringText
        return "".join(p.value for p in node.parts)  # type: ignore[attr-defined]
    return None


def int_value(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def argument(call: cst.Call, position: int | None, keyword: str | None) -> cst.BaseExpression | None:
    """The argument passed by `keyword`, else at 0-based `position` among the positional ones."""
    if keyword is not None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == keyword:
                return a.value
    if position is not None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if position < len(positional):
            return positional[position].value
    return None


class ModuleState:
    """Shared by the visitors of one module: its facts, the catalog, and the lexical stack."""

    def __init__(self, facts: PythonFacts, catalog: Catalog, findings: list[FileFinding], positions: Positions) -> None:
        self.facts = facts
        self.positions = positions
        self.catalog = catalog
        self.findings = findings
        # ("class" | "def", name, first parameter name for functions)
        self.stack: list[tuple[str, str, str | None]] = []


class FactVisitor(cst.BatchableCSTVisitor):

    def __init__(self, state: ModuleState) -> None:
        super().__init__()
        self.state = state
        self.facts = state.facts
        self.catalog = state.catalog

    def span(self, node: cst.CSTNode) -> Span:
        """1-based lines and columns, end column exclusive (see keylint.extract.positions)."""
        return self.state.positions.span(node)

    def code(self, node: cst.CSTNode) -> str:
        """The node's code: read from the source where positions allow, else generated."""
        found = self.state.positions.code(node)
        return found if found is not None else cst.Module([]).code_for_node(node)

    @property
    def stack(self) -> list[tuple[str, str, str | None]]:
        return self.state.stack

    @property
    def scope(self) -> str:
        """"" at module level, "C" in a class body, "f" or "C.m" in a function."""
        return ".".join(name for _, name, _ in self.state.stack)

    @property
    def at_definition_level(self) -> bool:
        """Module level or directly in a class body: where settings and constants live."""
        return not self.state.stack or self.state.stack[-1][0] == "class"

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """The fully qualified name of a dotted expression after import resolution."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        resolved = self.facts.imports.get(head)
        if resolved is None:
            return name
        return f"{resolved}.{rest}" if rest else resolved

    def enclosing_class(self) -> str | None:
        """The class whose method we are directly in, or None."""
        stack = self.state.stack
        if len(stack) >= 2 and stack[-1][0] == "def" and stack[-2][0] == "class":
            return ".".join(n for _, n, _ in stack[:-1])
        return None

    def self_name(self) -> str | None:
        """The first parameter of the method we are directly in (usually `self`)."""
        return self.state.stack[-1][2] if self.enclosing_class() is not None else None


class _Opener(FactVisitor):
    """First in every batch: pushes scopes and records imports, functions and classes."""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.facts.classes.add(".".join([*(n for _, n, _ in self.stack), node.name.value]))
        self.stack.append(("class", node.name.value, None))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qual = ".".join([*(n for _, n, _ in self.stack), node.name.value])
        self.facts.functions.add(qual)
        positional = [*node.params.posonly_params, *node.params.params]
        self.facts.params[qual] = tuple(p.name.value for p in positional)
        self.stack.append(("def", node.name.value, positional[0].name.value if positional else None))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.facts.imports[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.facts.imports[head] = head

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        base = dotted(node.module) if node.module is not None else ""
        if node.relative:
            package = self.facts.module if self.facts.is_package else self.facts.module.rpartition(".")[0]
            for _ in range(len(node.relative) - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}".strip(".") if base else package
        if isinstance(node.names, cst.ImportStar):
            if base:
                self.facts.star_imports.append(base)
            return
        for alias in node.names:
            name = dotted(alias.name)
            if name is None:
                continue
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
            self.facts.imports[local] = f"{base}.{name}" if base else name


class _Closer(FactVisitor):
    """Last in every batch: pops scopes after every family visitor has left the node."""

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()
