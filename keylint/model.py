"""Values that flow from the engine to the reporters: findings, errors, the report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """Ordered severities; `score` is SARIF's `security-severity`, `level` its result level."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def score(self) -> str:
        return {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}[self.value]

    @property
    def level(self) -> str:
        return {"low": "note", "medium": "warning", "high": "error", "critical": "error"}[self.value]

    @property
    def rank(self) -> int:
        return ("low", "medium", "high", "critical").index(self.value)


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region in one file: 1-based lines, 1-based columns in code points, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True, order=True)
class Location:
    path: str  # repository-relative POSIX path
    span: Span


@dataclass(frozen=True, slots=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, final when created. `message` and `snippet` never carry a secret in full."""

    code: str
    message: str
    severity: Severity
    location: Location
    snippet: str
    fingerprint: str  # keylint's own: survives line moves (code, path, flagged source, occurrence)
    line_hash: str  # GitHub's primaryLocationLineHash
    related: tuple[Related, ...] = ()
    key: str = ""  # KL1xx: SHA-256 of the normalized key material (keylint.keymaterial), never the key
    steps: tuple[Related, ...] = ()  # KL001: the attack path's links in order, each with its own message
    precision: str = ""  # when lower than the rule's (SARIF `precision`): this finding rests on weaker evidence

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.path, self.location.span.line, self.location.span.column, self.code)


@dataclass(frozen=True, slots=True)
class FileError:
    """A file that could not be read, decoded or parsed, or a malformed suppression comment."""

    path: str
    message: str
    line: int | None = None
    kind: str = "parse"  # read | decode | parse | suppression | timeout | crash | skipped


@dataclass(frozen=True, slots=True)
class Stats:
    files_scanned: int = 0
    python_files: int = 0
    skipped_binary: int = 0
    skipped_too_large: int = 0
    cached_files: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    stats: Stats = field(default_factory=Stats)
    root: str = "."
    # the project root's path inside its git work tree ("backend/" in a monorepo, else ""): SARIF and
    # GitHub annotations are read relative to the repository, not to the project keylint linked
    uri_prefix: str = ""


@dataclass(frozen=True, slots=True)
class Draft:
    """What a check reports, before the engine finalizes it into a `Finding` (keylint.checks)."""

    code: str
    path: str
    span: Span
    message: str  # never a secret: use Secret.hint
    token: str  # normalized flagged source for the fingerprint; a digest where that would be a secret
    secret_columns: tuple[int, int] | None = None  # columns on span.line to redact in snippets
    related: tuple[tuple[str, Span, str], ...] = ()  # (path, span, message)
    severity: Severity | None = None  # None: the rule's default
    key: str = ""  # SHA-256 of the normalized key material the finding is about (keylint.keymaterial)
    steps: tuple[tuple[str, Span, str], ...] = ()  # KL001: the path's links in order (path, span, message)
    # KL001: the findings the path is made of (code, path, span); keylint.supersede.join_paths marks them
    parts: tuple[tuple[str, str, Span], ...] = ()
    precision: str = ""  # "" the rule's; else lower (a minter known by its name alone): SARIF result precision
