"""Draft -> Finding: source line, redacted snippet, fingerprint, GitHub line hash, test-path severity.

One implementation for the scan and for history, so that the same blob gives the same snippet and
fingerprint whichever way it was read.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from typing import Callable, Iterable

from keylint.catalog import Catalog
from keylint.config import Config
from keylint.fingerprint import content_fingerprint, line_hashes
from keylint.model import Draft, Finding, Location, Related, Severity

# Long runs of key-alphabet characters with letters and digits mixed: redacted from every snippet
# even when no rule marked them, so an unmarked secret on a flagged line never reaches output.
_TOKENISH = re.compile(r"[A-Za-z0-9+/=_\-]{24,}")
_MAX_SNIPPET = 200

# Line breaks as the parsers count them (LibCST, the secret scanner, GitHub's line hash). Not
# str.splitlines, which also breaks at form feeds and U+2028: with it a snippet would show another
# line than the one flagged, a line whose secret the redaction does not know about.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

LineHashes = Callable[[str, str, int], list[str]]  # (text, digest, lines needed) -> GitHub's hashes


def source_lines(text: str) -> list[str]:
    """The lines of `text` numbered as findings number them."""
    return _LINE_BREAK.split(text)


def redact_line(line: str, columns: tuple[int, int] | None) -> str:
    if columns is not None:
        start, end = columns[0] - 1, columns[1] - 1
        secret = line[start:end]
        quote = secret[:1] if secret[:1] in "\"'" and secret.endswith(secret[:1]) and len(secret) > 1 else ""
        line = line[:start] + (f"{quote}<redacted>{quote}" if quote else "<redacted>") + line[end:]
    line = _TOKENISH.sub(lambda m: m.group(0) if m.group(0) == "<redacted>" or not (re.search(r"\d", m.group(0)) and re.search(r"[A-Za-z]", m.group(0))) else "<redacted>", line)
    return line if len(line) <= _MAX_SNIPPET else line[: _MAX_SNIPPET - 1] + "…"


def is_test_path(path: str, config: Config) -> bool:
    name = path.rsplit("/", 1)[-1]
    for pattern in config.test_paths:
        if pattern.endswith("/"):
            folder = pattern.rstrip("/")
            if fnmatch.fnmatchcase(path, f"{folder}/*") or ("/" not in folder and f"/{folder}/" in f"/{path}"):
                return True
        elif fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def _hashes(text: str, digest: str, needed: int) -> list[str]:
    return line_hashes(text, stop_after_line=needed)


def finalize_file(path: str, text: str, digest: str, drafts: Iterable[Draft], config: Config, catalog: Catalog,
                  hashes: LineHashes = _hashes) -> list[Finding]:
    """The findings of one file's drafts, `text` being the file's decoded content (empty when its
    lines are not to be shown) and `digest` the SHA-256 of its bytes."""
    group = sorted(drafts, key=lambda d: (d.span, d.code))
    if not group:
        return []
    lines = source_lines(text)
    line_hash = hashes(text, digest, max(d.span.line for d in group))
    test_file = config.test_severity == "low" and is_test_path(path, config)
    occurrences: dict[tuple[str, str], int] = {}
    findings: list[Finding] = []
    for d in group:
        line = lines[d.span.line - 1] if 0 < d.span.line <= len(lines) else ""
        occurrence = occurrences.get((d.code, d.token), 0)
        occurrences[(d.code, d.token)] = occurrence + 1
        findings.append(
            Finding(
                code=d.code,
                message=d.message,
                severity=Severity.LOW if test_file and catalog.rule(d.code).test_severity == "low" else d.severity or catalog.rule(d.code).severity,
                location=Location(path, d.span),
                snippet=redact_line(line.strip("\r\n"), d.secret_columns) if line else "",
                fingerprint=content_fingerprint(d.code, path, d.token, occurrence),
                line_hash=line_hash[d.span.line - 1] if d.span.line <= len(line_hash) else "",
                related=tuple(Related(Location(p, s), m) for p, s, m in d.related),
                key=d.key,
                steps=tuple(Related(Location(p, s), m) for p, s, m in d.steps),
                precision=d.precision,
            )
        )
    return findings


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
