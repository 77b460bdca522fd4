"""What every check gets (`Context`) and gives back (`Draft`, finalized into a `Finding` by the engine)."""

from __future__ import annotations

from dataclasses import dataclass

from keylint.catalog import Catalog
from keylint.link import Project
from keylint.model import Draft, Span

__all__ = ["Context", "Draft", "where"]  # Draft lives in keylint.model (the cache rebuilds it without importing the checks)


@dataclass(frozen=True, slots=True)
class Context:
    project: Project
    catalog: Catalog


def where(path: str, span: Span) -> str:
    return f"{path}:{span.line}"
