"""What every check gets (`Context`) and gives back (`Draft`, finalized into a `Finding` by the engine)."""

from __future__ import annotations

from dataclasses import dataclass

from keylint.catalog import Catalog
from keylint.link import Project
from keylint.model import Severity, Span


@dataclass(frozen=True, slots=True)
class Context:
    project: Project
    catalog: Catalog


@dataclass(frozen=True, slots=True)
class Draft:
    code: str
    path: str
    span: Span
    message: str  # never a secret: use Secret.hint
    token: str  # normalized flagged source for the fingerprint; a digest where that would be a secret
    secret_columns: tuple[int, int] | None = None  # columns on span.line to redact in snippets
    related: tuple[tuple[str, Span, str], ...] = ()  # (path, span, message)
    severity: Severity | None = None  # None: the rule's default
    key: str = ""  # SHA-256 of the normalized key material the finding is about (keylint.keymaterial)


def where(path: str, span: Span) -> str:
    return f"{path}:{span.line}"
