"""`string_value` reads plain literals without evaluating them, and agrees with LibCST's evaluation."""

from __future__ import annotations

import libcst as cst
import pytest

from keylint.extract.pyvisit import _plain_literal, string_value

LITERALS = [
    "'k'", '"k"', "''", '""', '""""""', "'''a'''", '"""multi\nline"""', "r'\\d+'", 'r"\\""', "R'x'", "b'bytes'",
    "rb'\\x00'", "Br'\\n'", "u'unicode é'", "'é'", "'tab\\t'", "'\\x41'", "'\\N{BULLET}'", "b'\\xff'", "'quote\\''",
    '"""a\r\nb"""', "'a' 'b'", "f'no fields'", "f'{x}'",
]


@pytest.mark.parametrize("source", LITERALS)
def test_agrees_with_libcst(source: str) -> None:
    node = cst.parse_expression(source)
    if isinstance(node, cst.FormattedString):
        expected = "no fields" if source == "f'no fields'" else None
    else:
        expected = node.evaluated_value
    assert string_value(node) == expected


def test_escapes_and_carriage_returns_are_evaluated() -> None:
    assert _plain_literal("'tab\\t'") is None
    assert _plain_literal('"""a\r\nb"""') is None
    assert _plain_literal("b'\\xff'") is None
    assert _plain_literal("r'\\d'") == "\\d"
