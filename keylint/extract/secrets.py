"""The secret scanner for every text file. The only module that imports detect-secrets.

detect-secrets is used as a library of detectors, never as a scanner: its plugins are instantiated
directly, with no settings that enable verification (so no plugin ever opens a socket), and each
plugin runs only on the lines where one of its own patterns already matched the whole text in one
C-level regex search. Each detect-secrets type maps to a keylint code (`TYPE_CODES`).
"""

from __future__ import annotations

import bisect
import hashlib
import re
import time
from functools import lru_cache
from typing import Any, Iterator

from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

from keylint.extract.config_files import TRIVIAL_VALUES
from keylint.extract.facts import FileFinding, redact
from keylint.keymaterial import first_pem_id, secret_id
from keylint.model import Span

# detect-secrets type -> keylint code. Types mapped to None are not used: entropy and keyword
# detectors are replaced by keylint's own key-name heuristics (KL111), public IPs are not secrets.
TYPE_CODES: dict[str, str | None] = {
    "Private Key": "KL110",
    "JSON Web Token": "KL112",
    "Base64 High Entropy String": None,
    "Hex High Entropy String": None,
    "Secret Keyword": None,
    "Public IP (ipv4)": None,
}
_DEFAULT_CODE = "KL113"  # every other detect-secrets type is a third-party service credential


@lru_cache(maxsize=1)
def _plugins() -> tuple[tuple[Any, str, tuple[re.Pattern[str], ...]], ...]:
    out = []
    for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items()):
        code = TYPE_CODES.get(secret_type, _DEFAULT_CODE)
        if code is None or not issubclass(cls, RegexBasedDetector):
            continue
        plugin = cls()
        out.append((plugin, code, tuple(plugin.denylist)))
    return tuple(out)


class _Lines:
    """Line lookup by character offset, built once per file."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def number(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def line(self, number: int) -> str:
        start = self.starts[number - 1]
        end = self.starts[number] if number < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")


def _placeholder_credential(secret_type: str, value: str) -> bool:
    """`postgres://postgres:postgres@db`, `{self.password}`: local defaults and templates, not leaks."""
    if secret_type != "Basic Auth Credentials":
        return False
    return any(c in value for c in "{}$%<>") or value.lower() in TRIVIAL_VALUES or len(value) < 6


def _whole_token(patterns: tuple[re.Pattern[str], ...], line: str, value: str) -> str:
    """detect-secrets reports a pattern's first group when it has one. In the GitHub and GitLab
    detectors that group is only the type prefix (`ghp`), so the rest of the token would be neither
    in the finding nor redacted from the snippet. A group that opens its match is such a prefix:
    then the whole match is the secret."""
    for pattern in patterns:
        if not pattern.groups:
            continue
        for m in pattern.finditer(line):
            if m.group(1) == value and m.start(1) == m.start() and m.end(1) < m.end():
                return m.group(0)
    return value


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=")


def _describe(secret_type: str, code: str, value: str) -> str:
    if code == "KL110":
        kind = re.search(r"BEGIN ([A-Z0-9 ]*)PRIVATE KEY", value)
        label = (kind.group(1).strip() + " ") if kind and kind.group(1).strip() else ""
        return f"A {label}private key (PEM) is stored in the repository."
    if code == "KL112":
        return f"A signed JSON Web Token {redact(value)} is hard-coded."
    return f"A {secret_type} {redact(value)} is hard-coded."


def _identity(code: str, value: str, lines: _Lines, number: int) -> str:
    """The key fingerprint (keylint.keymaterial) of what was found on line `number`; "" if unknown."""
    if code != "KL110":
        return secret_id(value).digest
    start = lines.starts[number - 1]
    end = lines.starts[number] if number < len(lines.starts) else len(lines.text)
    found = first_pem_id(lines.text, start, begins_before=end)
    return found.digest if found is not None else ""


# Regex guard. Several detect-secrets patterns backtrack (`//.+/:_authToken`, `eyJ[...]+\.`, ` +`
# followed by ` *`), so one regex call costs up to the square of the text it runs on: a 1 MB line
# of minified code or base64 could take hours. So no pattern ever runs on more than _BLOCK
# characters at once: short lines are searched in blocks of whole lines, and a line longer than
# _LONG_LINE in windows of _LONG_LINE characters that overlap by _OVERLAP (any secret up to
# _OVERLAP characters lies wholly inside one window). A deadline checked between calls bounds
# the whole file; running out of time raises `ScanDeadline` after the findings so far.
_LONG_LINE = 4096
_OVERLAP = 1024
_BLOCK = 32 * 1024
# Some patterns are cubic in a run of spaces (`(?: *)(?:=| +|...)(?: *)` in the IBM, Cloudant and
# Softlayer detectors: 4,000 spaces after "pwd" cost minutes even inside one window). The detectors
# see each run of more than _SPACES spaces shortened to _SPACES (newlines untouched, so line
# numbers hold); columns are then taken from the original line. No secret holds such a run.
_SPACES = 16
_SPACE_RUN = re.compile(" {%d,}" % (_SPACES + 1))


class ScanDeadline(Exception):
    """The secret scan ran out of time; `line` is where it had got to."""

    def __init__(self, line: int) -> None:
        super().__init__(f"secret scan stopped at line {line}: time limit reached")
        self.line = line


def _pieces(lines: _Lines) -> list[tuple[int, int, int | None]]:
    """(start, end, line number of a window or None for a block of whole lines), in text order."""
    out: list[tuple[int, int, int | None]] = []
    block_start = 0
    starts, size = lines.starts, len(lines.text)
    for number in range(1, len(starts) + 1):
        begin = starts[number - 1]
        end = starts[number] if number < len(starts) else size
        if end - begin <= _LONG_LINE:
            if end - block_start > _BLOCK:
                if begin > block_start:
                    out.append((block_start, begin, None))
                block_start = begin
            continue
        if begin > block_start:
            out.append((block_start, begin, None))
        step = _LONG_LINE - _OVERLAP
        for w in range(begin, end, step):
            out.append((w, min(w + _LONG_LINE, end), number))
            if w + _LONG_LINE >= end:
                break
        block_start = end
    if block_start < size:
        out.append((block_start, size, None))
    return out


def scan_text(path: str, text: str, deadline: float | None = None) -> Iterator[FileFinding]:
    """detect-secrets' regex detectors over `text`, run only on lines their patterns match.

    `deadline` (a `time.monotonic()` value) bounds the time; past it `ScanDeadline` is raised."""
    original = _Lines(text)
    text = _SPACE_RUN.sub(" " * _SPACES, text)
    lines = _Lines(text) if len(text) != len(original.text) else original
    pieces = _pieces(lines) if text else []
    seen: set[tuple[str, int, str]] = set()

    def check(number: int) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ScanDeadline(number)

    # pieces outermost: the text is scanned front to back by every detector, so when time runs out
    # what was found covers a prefix of the file and the notification says where it stopped
    analysed: set[tuple[int, int, int, int]] = set()  # (detector, line number, start, end)
    for piece_start, piece_end, window_line in pieces:
        check(lines.number(piece_start))
        for k, (plugin, code, patterns) in enumerate(_plugins()):
            # a candidate: (line number, start and end offsets of the text the plugin analyses)
            candidates: set[tuple[int, int, int]] = set()
            for pattern in patterns:
                for m in pattern.finditer(text, piece_start, piece_end):
                    if window_line is not None:
                        candidates.add((window_line, piece_start, piece_end))
                        break  # the plugin analyses the whole window
                    # a match may begin on the newline before its line (`\s` prefixes): take both ends
                    for number in {lines.number(m.start()), lines.number(max(m.start(), m.end() - 1))}:
                        candidates.add((number, lines.starts[number - 1], lines.starts[number - 1] + len(lines.line(number))))
            for number, start, end in sorted(candidates):
                if (k, number, start, end) in analysed:
                    continue
                analysed.add((k, number, start, end))
                check(number)
                line = text[start:end]
                column0 = start - lines.starts[number - 1]  # where `line` begins within its line
                for potential in plugin.analyze_line(filename=path, line=line, line_number=number):
                    value = _whole_token(patterns, line, potential.secret_value or "")
                    if _placeholder_credential(potential.type, value):
                        continue
                    key = (code, number, value)
                    if key in seen:
                        continue
                    seen.add(key)
                    col = line.find(value) if value else -1
                    if col >= 0 and lines is not original:  # runs of spaces were shortened: columns from the real line
                        real = original.line(number).find(value)
                        column0, col = (0, real) if real >= 0 else (column0, col)
                    full_line = original.line(number)
                    full_length = len(full_line)
                    start_col = column0 + col + 1 if col >= 0 else 1
                    end_col = start_col + len(value) if col >= 0 else full_length + 1
                    # a detector may match less than the whole token (the JWT pattern stops early in
                    # the signature): the span, and so the redaction, runs to the token's end
                    while col >= 0 and end_col <= full_length and full_line[end_col - 1] in _TOKEN_CHARS:
                        end_col += 1
                    identity = _identity(code, value, original, number)
                    yield FileFinding(
                        code=code,
                        span=Span(number, start_col, number, end_col),
                        message=_describe(potential.type, code, value),
                        # a private key's token is its fingerprint: two keys in one file stay two findings
                        token=f"{potential.type}:{identity or hashlib.sha256(value.encode()).hexdigest()}",
                        key=identity,
                        # a PEM header says nothing secret, but a one-line PEM string carries the key after it
                        secret_columns=(start_col, full_length + 1) if code == "KL110" and col >= 0 else (start_col, end_col) if col >= 0 else None,
                    )
