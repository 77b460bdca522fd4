"""Source positions for LibCST nodes without LibCST's PositionProvider.

PositionProvider regenerates the whole module while tracking every node, which costs about as much
as parsing it. Facts need positions for few nodes, so instead one cheap pre-pass walks the tokens
that carry text (names, numbers, strings, f-string text, comments) in source order and finds each
in the source from a moving cursor. An expression's code is verbatim in the source, so its span is
its code placed around its first text token; a block statement starts at its line's indentation. Nodes without any text token
(`{}`, `pass`) fall back to PositionProvider for that module, computed once and only if needed.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from keylint.extract.walk import children, concrete, walk
from keylint.model import Span

_WORDS = (cst.Name, cst.Integer, cst.Float, cst.Imaginary)  # matched on word boundaries
_TEXTS = (cst.SimpleString, cst.Comment, cst.FormattedStringText)  # matched exactly
_LEAVES = _WORDS + _TEXTS
_SKIP = (cst.EmptyLine, cst.TrailingWhitespace, cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.Newline)
_BLOCKS = (cst.BaseCompoundStatement, cst.SimpleStatementLine, cst.Decorator)
_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)
# the same as sets of classes, for `type(x) in ...` on hot paths (see keylint.extract.walk.NODE_TYPES)
_LEAF_TYPES, _SKIP_TYPES, _BLOCK_TYPES = concrete(*_LEAVES), concrete(*_SKIP), concrete(*_BLOCKS)
_NEWLINES = re.compile(r"\r\n|\r|\n")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _find(code: str, leaf: cst.CSTNode, last: bool) -> int:
    """Where a text token stands in a node's code: its first (or last) occurrence as a token."""
    text = leaf.value  # type: ignore[attr-defined]
    word = isinstance(leaf, _WORDS)
    k = code.rfind(text) if last else code.find(text)
    while k >= 0 and word and ((k > 0 and _is_word_char(code[k - 1])) or (k + len(text) < len(code) and _is_word_char(code[k + len(text)]))):
        k = code.rfind(text, 0, k) if last else code.find(text, k + 1)
    return k


def _parens(node: cst.CSTNode, field: str) -> int:
    """How many parentheses of its own an expression has on one side (0 for other nodes)."""
    value = getattr(node, field, None)
    return len(value) if isinstance(value, (list, tuple)) else 0


def _never(node: cst.CSTNode) -> None:
    return None


# For `Positions._direct`: per node class, the child its code begins with ...
_FIRST: dict[type, Callable[[Any], object]] = {
    cst.Attribute: lambda n: n.value,
    cst.Call: lambda n: n.func,
    cst.Subscript: lambda n: n.value,
    cst.BinaryOperation: lambda n: n.left,
    cst.BooleanOperation: lambda n: n.left,
    cst.Comparison: lambda n: n.left,
    cst.ConcatenatedString: lambda n: n.left,
    cst.Assign: lambda n: n.targets[0],
    cst.AssignTarget: lambda n: n.target,
    cst.AnnAssign: lambda n: n.target,
    cst.AugAssign: lambda n: n.target,
    cst.Expr: lambda n: n.value,
    cst.Arg: lambda n: None if n.star else (n.keyword or n.value),
    cst.Element: lambda n: n.value,
    cst.DictElement: lambda n: n.key,
    cst.IfExp: lambda n: n.body,
    cst.Tuple: lambda n: n.elements[0] if n.elements else None,
}
# ... the containers whose code begins with an opening bracket and then their first element ...
_OPENER = {cst.List: "[", cst.Set: "{", cst.Dict: "{"}
# ... and, for a child its code may end with, the closing brackets that follow that child within
# the node ("" for none; None: something else may follow).
_AFTER: dict[type, Callable[[Any, cst.CSTNode], str | None]] = {
    cst.Attribute: lambda n, c: "" if c is n.attr else None,
    cst.Call: lambda n, c: ")" if n.args and c is n.args[-1] else "()" if not n.args and c is n.func else None,
    cst.Subscript: lambda n, c: "]" if n.slice and c is n.slice[-1] else None,
    cst.SubscriptElement: lambda n, c: "" if c is n.slice else None,
    cst.Index: lambda n, c: "" if c is n.value else None,
    cst.BinaryOperation: lambda n, c: "" if c is n.right else None,
    cst.BooleanOperation: lambda n, c: "" if c is n.right else None,
    cst.Comparison: lambda n, c: "" if c is n.comparisons[-1] else None,
    cst.ComparisonTarget: lambda n, c: "" if c is n.comparator else None,
    cst.ConcatenatedString: lambda n, c: "" if c is n.right else None,
    cst.Assign: lambda n, c: "" if c is n.value else None,
    cst.AnnAssign: lambda n, c: "" if c is (n.value if n.value is not None else n.annotation) else None,
    cst.Annotation: lambda n, c: "" if c is n.annotation else None,
    cst.AugAssign: lambda n, c: "" if c is n.value else None,
    cst.Expr: lambda n, c: "" if c is n.value else None,
    cst.Arg: lambda n, c: "" if c is n.value else None,
    cst.Element: lambda n, c: "" if c is n.value else None,
    cst.DictElement: lambda n, c: "" if c is n.value else None,
    cst.List: lambda n, c: "]" if n.elements and c is n.elements[-1] else None,
    cst.Set: lambda n, c: "}" if n.elements and c is n.elements[-1] else None,
    cst.Dict: lambda n, c: "}" if n.elements and c is n.elements[-1] else None,
    # a tuple's trailing comma is part of it, and no closing bracket of its own follows
    cst.Tuple: lambda n, c: "" if n.elements and c is n.elements[-1] and not isinstance(c.comma, cst.Comma) else None,
    cst.IfExp: lambda n, c: "" if c is n.orelse else None,
}
_BLANKS = " \t\f\r\n\\"  # and a backslash, which can only stand before a line break here


class _Cursor(cst.BatchableCSTVisitor):
    """Records the source offset of every text-carrying token, in source order."""

    def __init__(self, positions: Positions) -> None:
        super().__init__()
        self.p = positions

    def visit_Name(self, node: cst.Name) -> None:
        self.p.find(node, node.value, word=True)

    visit_Integer = visit_Float = visit_Imaginary = visit_Name  # type: ignore[assignment]

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.p.find(node, node.value, word=False)

    def visit_Comment(self, node: cst.Comment) -> None:
        self.p.find(node, node.value, word=False)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self.p.find(node, node.value, word=False)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.p.skip(node.start)

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self.p.skip(original_node.end)

    def leave_FormattedStringExpression(self, original_node: cst.FormattedStringExpression) -> None:
        if original_node.conversion:  # `!r` must not be taken for a later name `r`
            self.p.skip("!" + original_node.conversion)


class Positions:
    def __init__(self, module: cst.Module, source: str) -> None:
        self.module = module
        self.source = source
        self.cursor = 0
        self.offsets: dict[int, int] = {}  # id(token node) -> start offset
        self._spans: dict[int, Span] = {}  # id(node) -> span, as several families ask for the same nodes
        self.line_starts = [0] + [m.end() for m in _NEWLINES.finditer(source)]
        self._fallback: dict[cst.CSTNode, object] | None = None
        walk(module, [_Cursor(self)])

    # ---- the pre-pass ----
    def find(self, node: cst.CSTNode, text: str, word: bool) -> None:
        src, i = self.source, self.source.find(text, self.cursor)
        if word:
            while i >= 0 and ((i > 0 and _is_word_char(src[i - 1])) or (i + len(text) < len(src) and _is_word_char(src[i + len(text)]))):
                i = src.find(text, i + 1)
        if i < 0:
            return  # not found (should not happen): the node falls back to PositionProvider
        self.offsets[id(node)] = i
        self.cursor = i + len(text)

    def skip(self, text: str) -> None:
        i = self.source.find(text, self.cursor)
        if i >= 0:
            self.cursor = i + len(text)

    # ---- spans ----
    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def _edge(self, node: cst.CSTNode, last: bool) -> list[cst.CSTNode] | None:
        """The chain of nodes from `node` down to its first (or last) text token."""
        if type(node) in _LEAF_TYPES:
            return [node] if id(node) in self.offsets else None
        kids = children(node)
        for child in reversed(kids) if last else kids:
            if type(child) in _SKIP_TYPES:
                continue
            chain = self._edge(child, last)
            if chain is not None:
                return [node, *chain]
        return None

    def span(self, node: cst.CSTNode) -> Span:
        known = self._spans.get(id(node))
        if known is None:
            known = self._spans[id(node)] = self._compute(node)
        return known

    def _compute(self, node: cst.CSTNode) -> Span:
        if type(node) in _BLOCK_TYPES:
            # `def`, `class`, `@`, `if`, ... open their line; the block ends where its last
            # expression or small statement ends (block code is re-indented, so not measured whole)
            head = self._edge(node.name if isinstance(node, _DEFINITIONS) else node, last=False)
            tail = self._edge(node, last=True)
            inner = next((n for n in tail or () if not isinstance(n, (*_BLOCKS, cst.IndentedBlock, cst.BaseSuite))), None)
            end = self._exact(inner) if inner is not None else None
            if head is None or end is None:
                return self._provider_span(node)
            return self._span(self._indent_end(self.offsets[id(head[-1])]), end[1])
        exact = self._exact(node)
        return self._provider_span(node) if exact is None else self._span(*exact)

    def _exact(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """(start, end) offsets of an expression or small statement.

        The node's code is verbatim in the source except that lines after the first lose the
        enclosing block's indentation. So the start is found from the first text token and the
        code before it, the end from the last text token and the code after it, each counted on
        its own line of the source."""
        head, tail = self._edge(node, last=False), self._edge(node, last=True)
        if head is None or tail is None:
            return None
        direct = self._direct(head, tail)
        if direct is not None:
            return direct
        if isinstance(node, cst.Annotation):  # its code depends on its parent (`:` or `->`)
            node = node.annotation
        # an element's own separator and the whitespace (and comments) after it are not part of
        # it; nor, like LibCST, are its own parentheses and what stands inside them around it
        changes: dict[str, object] = {f: cst.MaybeSentinel.DEFAULT for f in ("comma", "semicolon") if isinstance(getattr(node, f, None), cst.CSTNode)}
        changes.update({f: cst.SimpleWhitespace("") for f in ("whitespace_after_arg", "whitespace_after_param") if hasattr(node, f)})
        changes.update({f: () for f in ("lpar", "rpar") if isinstance(parens := getattr(node, f, None), (list, tuple)) and parens})
        try:
            code = self.module.code_for_node(node.with_changes(**changes) if changes else node).rstrip()
        except SyntaxError:  # LibCST's codegen and validation errors: context-dependent nodes, measured the slow, exact way
            return None
        k = _find(code, head[-1], last=False)
        j = _find(code, tail[-1], last=True)
        if k < 0 or j < 0:
            return None
        head_offset = self.offsets[id(head[-1])]
        tail_end = self.offsets[id(tail[-1])] + len(tail[-1].value)  # type: ignore[attr-defined]
        prefix, suffix = code[:k], code[j + len(tail[-1].value) :]  # type: ignore[attr-defined]
        prefix_lines = _NEWLINES.split(prefix)
        if len(prefix_lines) == 1:
            start = head_offset - k
        else:  # the code's first line ends the source line that many lines above the first token
            line = bisect.bisect_right(self.line_starts, head_offset) - (len(prefix_lines) - 1)
            start = self._line_end(line) - len(prefix_lines[0])
        suffix_lines = _NEWLINES.split(suffix)
        if len(suffix_lines) == 1:
            end = tail_end + len(suffix)
        else:  # the code's last line, re-indented, is the source line that many lines below
            line = bisect.bisect_right(self.line_starts, tail_end) + len(suffix_lines) - 1
            i = self.line_starts[min(line, len(self.line_starts)) - 1]
            while i < len(self.source) and self.source[i] in " \t\f":
                i += 1
            end = i + len(suffix_lines[-1].lstrip())
        return start, end

    def code(self, node: cst.CSTNode) -> str | None:
        """The node's source code as written (continuation lines keep their indentation), for the
        shapes `_direct` measures and a node without parentheses of its own; else None."""
        if _parens(node, "lpar") or _parens(node, "rpar"):
            return None
        head, tail = self._edge(node, last=False), self._edge(node, last=True)
        found = self._direct(head, tail) if head is not None and tail is not None else None
        return None if found is None else self.source[found[0] : found[1]]

    def _direct(self, head: list[cst.CSTNode], tail: list[cst.CSTNode]) -> tuple[int, int] | None:
        """(start, end) without generating code, for the common shapes: along the chain from the
        node down to its first text token nothing but opening brackets comes first (`name`, `a.b`,
        `[x, y]`, `x = f(y)`), and along the chain to its last one nothing but closing brackets
        comes last. The node's own parentheses are not part of its span. None for any other
        shape, which `_exact` then measures from generated code."""
        opening = ""  # brackets before the first text token, in source order
        for i in range(len(head) - 1):
            parent, child = head[i], head[i + 1]
            if i == 0 and type(parent) in _OPENER and parent.elements and child is parent.elements[0]:  # type: ignore[attr-defined]
                opening += _OPENER[type(parent)]
            elif _FIRST.get(type(parent), _never)(parent) is not child:
                return None
            opening += "(" * _parens(child, "lpar")
        closing = ""  # brackets after the last text token, in source order
        for i in range(len(tail) - 1, 0, -1):
            parent, child = tail[i - 1], tail[i]
            after = _AFTER.get(type(parent))
            brackets = after(parent, child) if after is not None else None
            if brackets is None:
                return None
            closing += ")" * _parens(child, "rpar") + brackets
        leaf = tail[-1]
        start = self._before(self.offsets[id(head[-1])], opening)
        end = self._after(self.offsets[id(leaf)] + len(leaf.value), closing)  # type: ignore[attr-defined]
        return None if start is None or end is None else (start, end)

    def _before(self, i: int, brackets: str) -> int | None:
        """Where `brackets` begin, reading back from offset `i` over blanks only; else None."""
        src = self.source
        for bracket in reversed(brackets):
            while i > 0 and src[i - 1] in _BLANKS:
                i -= 1
            if i == 0 or src[i - 1] != bracket:
                return None
            i -= 1
        return i

    def _after(self, i: int, brackets: str) -> int | None:
        """Just past `brackets`, reading on from offset `i` over blanks, comments and trailing
        commas only; else None."""
        src, size = self.source, len(self.source)
        for bracket in brackets:
            while i < size and src[i] != bracket:
                c = src[i]
                if c == "#":
                    while i < size and src[i] not in "\r\n":
                        i += 1
                elif c in _BLANKS or c == ",":
                    i += 1
                else:
                    return None
            if i == size:
                return None
            i += 1
        return i

    def _line_end(self, line: int) -> int:
        """Offset just past the last character of 1-based `line`, before its line break."""
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.source)
        while end > self.line_starts[line - 1] and self.source[end - 1] in "\r\n":
            end -= 1
        return end

    def _span(self, start: int, end: int) -> Span:
        line, col = self._line_col(start)
        end_line, end_col = self._line_col(end)
        return Span(line, col, end_line, end_col)

    def _indent_end(self, offset: int) -> int:
        line_start = self.line_starts[bisect.bisect_right(self.line_starts, offset) - 1]
        i = line_start
        while i < offset and self.source[i] in " \t\f":
            i += 1
        return i

    def _provider_span(self, node: cst.CSTNode) -> Span:
        if self._fallback is None:
            self._fallback = dict(MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider))
        r = self._fallback.get(node)
        if r is None:
            return Span(1, 1, 1, 1)
        return Span(r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)  # type: ignore[attr-defined]
