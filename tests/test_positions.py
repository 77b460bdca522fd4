"""keylint's cheap positions agree with LibCST's PositionProvider on real and tricky code."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from conftest import FIXTURES
from keylint.extract.positions import Positions

# Node kinds facts are recorded on; Param and block statements are compared by line only (keylint's
# Param span includes its default, and a block ends at its last text token).
EXACT = (cst.Call, cst.Assign, cst.AnnAssign, cst.Dict, cst.DictElement, cst.Arg, cst.SimpleString, cst.ConcatenatedString,
         cst.FormattedString, cst.Name, cst.Attribute, cst.Subscript, cst.Return, cst.List, cst.Tuple, cst.BinaryOperation, cst.Decorator,
         cst.Integer, cst.Comparison, cst.BooleanOperation, cst.IfExp, cst.Element, cst.Expr, cst.ImportFrom, cst.Import)
LINES = (cst.Param, cst.FunctionDef, cst.ClassDef, cst.Annotation)

TRICKY = '''\
import jwt  # jwt, "key" and name in a comment
from flask_jwt_extended import (
    create_access_token,  # parentheses of the statement, not of an expression
    decode_token,
)
x = f"{name!r} {x}" + 'r'
r = (
    jwt.encode(
        {"sub": "1"},  # key
        "k",
    )
)
def f(a: int = 1, *, key: "str" = "k") -> dict:
    if a:
        return {
            "a": [1, 2,
                  3],
        }
    return ((a))
@decorator(
    arg="x",
)
class C(Base):
    value: int = (1 +
                  2)
timeout = (
    300  # seconds: the comment is inside the parentheses, not part of the number
)
rows = (
    session.query(User)
    .filter(User.id == 1, a < b and c,)
    .all(x if y else z)
)
'''


def _compare(source: str) -> list[str]:
    module = cst.parse_module(source)
    ours = Positions(module, source)
    problems = []
    for node, r in MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider).items():
        if not isinstance(node, EXACT + LINES):
            continue
        want = (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)
        s = ours.span(node)
        got = (s.line, s.column, s.end_line, s.end_column)
        if (got != want) if isinstance(node, EXACT) else (got[0] != want[0]):
            problems.append(f"{type(node).__name__}: want {want}, got {got}")
    return problems


def test_tricky_source() -> None:
    assert _compare(TRICKY) == []


def test_crlf_source() -> None:
    assert _compare(TRICKY.replace("\n", "\r\n")) == []


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.py")), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_files(path) -> None:
    assert _compare(path.read_text(encoding="utf-8")) == []


def test_spans_without_codegen_agree_with_codegen() -> None:
    """`Positions._direct` (most spans, read off the source) gives the span that generated code
    (or, where that cannot be had, PositionProvider) gives, wherever it applies."""

    class CodegenOnly(Positions):
        def _direct(self, head, tail):  # type: ignore[no-untyped-def]
            return None

    sources = [TRICKY] + [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))]
    compared = 0
    for source in sources:
        module = cst.parse_module(source)
        direct, codegen = Positions(module, source), CodegenOnly(module, source)
        for node in MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider):
            head, tail = direct._edge(node, last=False), direct._edge(node, last=True)
            fast = direct._direct(head, tail) if head is not None and tail is not None else None
            if fast is not None:
                compared += 1
                assert direct._span(*fast) == codegen._compute(node), f"{type(node).__name__} in {source[:40]!r}"
    assert compared > 1000


def test_code_read_from_source_matches_generated_code() -> None:
    """`Positions.code` (the source slice) equals LibCST's generated code for every expression it
    answers for, up to whitespace (messages show code on one line)."""
    compared = 0
    for source in [TRICKY] + [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))]:
        module = cst.parse_module(source)
        positions = Positions(module, source)
        for node in MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider):
            code = positions.code(node) if isinstance(node, cst.BaseExpression) else None
            if code is not None:
                compared += 1
                assert code.split() == cst.Module([]).code_for_node(node).split()
    assert compared > 1000
