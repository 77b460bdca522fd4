"""A read-only traversal of a LibCST tree that calls visitors the way `libcst.visit_batched` does.

LibCST's own traversal rebuilds every node it passes, even for visitors that change nothing (each
node's `_visit_and_replace_children` constructs and validates a new node), and looks visitor
methods up with `inspect.getmembers` per visitor instance. On a parsed module that costs more
than the parse. This walk visits the same children in the same order (read from each class's
`_visit_and_replace_children`), calls every visitor's `visit_<Node>` before the children and
`leave_<Node>` after them, in visitor order, and rebuilds nothing. It can also skip the
punctuation and whitespace nodes that no visitor looks at.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Sequence

import libcst as cst

_Handlers = tuple[Callable[[cst.CSTNode], object], ...]
_Entry = tuple[_Handlers, _Handlers, tuple[str, ...]]


def concrete(*bases: type) -> frozenset[type]:
    """The classes and all their subclasses (LibCST's node classes are all defined on import)."""
    found: set[type] = set()
    todo = list(bases)
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return frozenset(found)


# Nodes that hold only whitespace, comments and punctuation, and nodes below them: a visitor that
# handles none of these needs none of them walked.
TRIVIA = concrete(
    cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline, cst.Comment,
    cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.ImportStar, cst.Asynchronous,
    cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace,
)  # fmt: skip
# Every node class, for `type(x) in NODE_TYPES`: isinstance against LibCST's classes goes through
# ABCMeta.__instancecheck__, which costs several times a set lookup on hot paths.
NODE_TYPES = concrete(cst.CSTNode)
# Whitespace that cannot hold a comment: never worth walking.
BLANK = frozenset({cst.SimpleWhitespace, cst.Newline})

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that hold children, in LibCST's visiting (source) order: the
    field names its `_visit_and_replace_children` passes to `visit_*`, which are string constants
    of that method in the order of their first use."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        names = {f.name for f in dataclasses.fields(cls)}
        consts = cls._visit_and_replace_children.__code__.co_consts  # type: ignore[attr-defined]
        fields = _CHILD_FIELDS[cls] = tuple(c for c in dict.fromkeys(consts) if isinstance(c, str) and c in names)
    return fields


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children` without LibCST's rebuilding of the node: what `walk` visits below it."""
    out: list[cst.CSTNode] = []
    for field in child_fields(type(node)):
        value = getattr(node, field)
        kind = type(value)
        if kind is tuple or kind is list:
            out.extend(value)
        elif kind in NODE_TYPES:
            out.append(value)
    return out


def _handlers(visitors: Sequence[object], name: str) -> _Handlers:
    found = []
    for v in visitors:
        method = getattr(v, name, None)
        if method is not None and not getattr(method, "_is_no_op", False):  # LibCST's typed stubs
            found.append(method)
    return tuple(found)


def walk(root: cst.CSTNode, visitors: Sequence[object], skip: Iterable[type] = BLANK) -> None:
    """Visit `root` and its descendants with `visitors` (`visit_X(node)` / `leave_X(node)`
    methods, as on a `libcst.BatchableCSTVisitor`); nodes of a class in `skip` are not entered."""
    skipped = frozenset(skip)
    table: dict[type, _Entry | None] = {}

    def entry(cls: type) -> _Entry | None:
        made: _Entry | None = None
        if isinstance(cls, type) and issubclass(cls, cst.CSTNode) and cls not in skipped:
            name = cls.__name__
            made = (_handlers(visitors, "visit_" + name), _handlers(visitors, "leave_" + name), child_fields(cls))
        table[cls] = made
        return made

    def go(node: cst.CSTNode, e: _Entry) -> None:
        visits, leaves, fields = e
        for method in visits:
            method(node)
        for field in fields:
            child = getattr(node, field)
            kind = type(child)
            if kind is tuple or kind is list:
                for item in child:
                    sub = table[type(item)] if type(item) in table else entry(type(item))
                    if sub is not None:
                        go(item, sub)
            else:
                sub = table[kind] if kind in table else entry(kind)
                if sub is not None:
                    go(child, sub)
        for method in leaves:
            method(node)

    top = entry(type(root))
    if top is not None:
        go(root, top)


def trivia_skip(visitors: Sequence[object]) -> frozenset[type]:
    """What `walk` may skip for these visitors: all trivia, unless one of them handles some."""
    handles_trivia = any(_handlers(visitors, f"{verb}_{cls.__name__}") for cls in TRIVIA for verb in ("visit", "leave"))
    return BLANK if handles_trivia else TRIVIA | BLANK
