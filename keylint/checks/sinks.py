"""Shared wording for the places keys are used, so every KL1xx message names its sink the same way."""

from __future__ import annotations

from keylint.checks.base import where
from keylint.extract.facts import Sink
from keylint.model import Span


def describe(path: str, sink: Sink) -> str:
    if sink.kind == "call":
        verb = "verify" if sink.operation == "verify" else "sign"
        return f"the key of {sink.label}() ({verb}, {where(path, sink.span)})"
    return f"the value of {sink.label} ({where(path, sink.span)})"


def contains(outer: Span, inner: Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def order(item: tuple[str, Sink]) -> tuple[int, str, Span]:
    """Known APIs before settings before name-based guesses, then by place: the first is the one named."""
    path, sink = item
    rank = 0 if sink.kind == "call" else 2 if name_based(sink) else 1
    return (rank, path, sink.span)


def name_based(sink: Sink) -> bool:
    """Sinks found by a key-like name rather than by a known API: values there may be names or paths."""
    return sink.kind == "name"
