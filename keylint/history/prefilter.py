"""Which changes of history can hold a key: decided on the raw bytes of what a commit changed.

A tree scan reads every file; history would read every version of every file, so most of
history must be turned away before anything is decoded or parsed. A file version gets the real
analysis (the tree scan's, for that path and those bytes) when the change that made it could have
added a key. What counts is derived from the rule catalog and the detectors, never from any
repository:

- the secret detectors (PEM, JWT, cloud and service credentials) find keys on one line: a
  version is analysed when they find something on a line the change added (`added_lines`, run
  through `keylint.extract.secrets.scan_text` in batches by the caller);
- configuration entries (KL111) are read line by line, a k8s `name:`/`value:` pair at most three
  lines apart: a version is analysed when `scan_config` finds an entry in the lines around what
  changed (the hunks, with their three lines of context);
- Python rules need a word in the hunks: a key-like name (catalog `key_names`: a secret word, or
  "key" with a qualifier in one name), a framework key setting or its container, the module a
  signer is called through (as a whole identifier), a JWK member name;
- a key that spans lines (a PEM block, whose fingerprint comes from its body; a JWK, whose
  members sit on their own lines) can change where no word is: once a version may hold a
  `MARKERS` string, every later change to it is analysed.

Words are looked for in a lowered copy of the bytes with everything but letters, digits and line
breaks removed, so `SECRET_KEY`, `secretKey` and `secret-key` all read `secretkey` (as
`keylint.catalog.split_words` joins them). Looking for more than needed costs time, never a key.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from keylint.catalog import Catalog
from keylint.config import Config
from keylint.discover import BINARY_SUFFIXES, SKIPPED_DIRS, is_excluded
from keylint.extract import PYTHON_SUFFIXES, decode
from keylint.extract.config_files import is_config_file, scan_config

# lower-cased bytes -> letters, digits and "\n" only
_DROP = bytes(b for b in range(256) if not (48 <= b <= 57 or 97 <= b <= 122 or b == 10))
_ADDED = re.compile(rb"^\+(.*)$", re.MULTILINE)
_JSON_SUFFIXES = (".json", ".jwk", ".jwks")
# what a name can be: an identifier or a quoted string
_NAME = re.compile(rb"\w+|\"[^\"\n]*\"|'[^'\n]*'")

# What makes every later change of a file worth analysing, as the detectors and rules spell it:
# a private key's header (its identity comes from the lines below it) and a JWK's member name
# (a JWK's members are read from the whole document or dict).
MARKERS: dict[str, re.Pattern[bytes]] = {
    "pem": re.compile(rb"PRIVATE KEY|PuTTY-User-Key-File"),
    "jwk": re.compile(rb"[\"']kty[\"']"),
}


_MARKER_HINTS = {"pem": b"K", "jwk": b"kty"}  # in every match: a substring search first, the pattern after


def squeeze(data: bytes) -> bytes:
    return data.lower().translate(None, _DROP)


def against_first_parent(hunks: bytes, columns: int, context: int = 3) -> bytes:
    """A merge's combined patch as a patch against its first parent, as far as the prefilter needs
    it: the lines that differ from that parent and `context` lines of the new version around
    them, each with one prefix column. (The combined patch also shows every difference from the
    other parents: for a merged branch, everything the main line did meanwhile.)"""
    lines: list[bytes] = []
    for line in hunks.split(b"\n"):
        prefix, body = line[:columns], line[columns:]
        if line.startswith(b"@@") or len(prefix) < columns:
            continue
        if b"-" in prefix:
            if prefix[:1] == b"-":
                lines.append(b"-" + body)  # in the first parent, not in the merge
        else:
            lines.append((b"+" if prefix[:1] == b"+" else b" ") + body)
    keep = bytearray(len(lines))
    for i, line in enumerate(lines):
        if line[:1] != b" ":
            keep[max(0, i - context) : i + context + 1] = b"\1" * len(keep[max(0, i - context) : i + context + 1])
    return b"\n".join(line for line, k in zip(lines, keep) if k)


def new_side(hunks: bytes) -> bytes:
    """The lines of the new version a patch shows (context and added lines), in order."""
    return b"\n".join(line[1:] for line in hunks.split(b"\n") if line[:1] in (b" ", b"+"))


def added_lines(hunks: bytes) -> list[bytes]:
    """The lines a patch adds, without their "+"."""
    return _ADDED.findall(hunks)


@dataclass(frozen=True, slots=True)
class Kind:
    """What the analysis of a path runs, as far as the prefilter needs to know."""

    python: bool
    config: bool
    json: bool

    @property
    def markers(self) -> tuple[str, ...]:
        return ("pem", "jwk") if self.python or self.json else ("pem",)


def wanted(path: str, config: Config) -> bool:
    """A path a tree scan would read (not in a skipped folder, not excluded, not a binary name)."""
    parts = path.split("/")
    if any(p in SKIPPED_DIRS for p in parts[:-1]) or is_excluded(path, config):
        return False
    name = parts[-1]
    return "." + name.rsplit(".", 1)[-1].lower() not in BINARY_SUFFIXES if "." in name else True


@lru_cache(maxsize=4096)
def kind_of(path: str) -> Kind:
    name = posixpath.basename(path).lower()
    return Kind(path.endswith(PYTHON_SUFFIXES), is_config_file(path), name.endswith(_JSON_SUFFIXES))


class Prefilter:
    """The words of one catalog, per kind of file."""

    def __init__(self, catalog: Catalog) -> None:
        names = catalog.key_names

        def squeezed(words: Iterable[str]) -> set[bytes]:
            return {squeeze(w.encode("utf-8")) for w in words} - {b""}

        key_like = squeezed(names.secret_words)
        settings = squeezed({s.name for s in catalog.settings} | {s.container for s in catalog.settings if s.container} | {"secret_key"})
        self.python_words = tuple(sorted(key_like | settings))
        self.qualifiers = tuple(sorted(squeezed(names.key_qualifiers)))
        self.key_names = names
        # a signer is reached through code that names its module: an import (which names the
        # top package) or an attribute of the module it lives in (`jwt.encode`, `signing.dumps`)
        calls = [s.call.lower().encode() for s in catalog.signers if "." in s.call]
        tops = sorted({c.split(b".")[0] for c in calls})
        parents = sorted({c.split(b".")[-2] for c in calls})
        self.signer_words = tuple(sorted(set(tops) | set(parents)))  # one of them is in every match
        self.signer_code = re.compile(
            rb"^[ \t+\-]*(?:from|import)\s[^\n]*\b(?:%s)\b|\b(?:%s)\s*\." % (b"|".join(map(re.escape, tops)), b"|".join(map(re.escape, parents))),
            re.MULTILINE,
        ) if calls else None

    def selects(self, kind: Kind, path: str, text: bytes, patch: bool) -> str | None:
        """What in `text` (with `patch`, a patch's hunks; else a whole file) a rule needs:
        "config" (a configuration entry), "python" (a Python rule's word), or None. In a patch, a
        Python word counts on a changed line, or on a line of context in the same statement as a
        changed line (open brackets or a backslash join them)."""
        if kind.config and self._config_entry(path, new_side(text) if patch else text):
            return "config"
        if kind.python and self._python(text) and (not patch or self._python(_statements_changed(text))):
            return "python"
        return None

    def _python(self, text: bytes) -> bool:
        text = _without_comments(text)
        flat = squeeze(text)
        if any(w in flat for w in self.python_words):
            return True
        lowered = text.lower()
        if b"kty" in text and MARKERS["jwk"].search(text):
            return True
        if self.signer_code is not None and any(m in lowered for m in self.signer_words) and self.signer_code.search(lowered):
            return True
        # "key" names a signing key only with a qualifier word in the same name (an identifier
        # or a quoted string): the catalog decides, on each such name
        at = lowered.find(b"key")
        while at >= 0:
            start, end = lowered.rfind(b"\n", 0, at) + 1, lowered.find(b"\n", at)
            end = len(lowered) if end < 0 else end
            for name in _NAME.findall(text, start, end):
                if b"key" in name.lower() and self.key_names.matches(name.strip(b"\"'").decode("utf-8", "replace")):
                    return True
            at = lowered.find(b"key", end)
        return False

    def _config_entry(self, path: str, text: bytes) -> bool:
        """Whether the configuration reader finds an entry in `text`."""
        return next(iter(scan_config(path, decode(text)[0], self.key_names)), None) is not None


_OPEN, _CLOSE = frozenset(b"([{"), frozenset(b")]}")


def _statements_changed(hunks: bytes) -> bytes:
    """The lines of Python hunks that belong to a statement a changed line belongs to. Brackets
    are counted outside quotes on each line; a hunk that starts inside a statement sees only its
    part of it (a statement longer than the context around a change is not joined to its head)."""
    out: list[bytes] = []
    statement: list[bytes] = []
    changed = False
    depth = 0
    for line in hunks.split(b"\n"):
        if line.startswith(b"@@"):
            line, depth = b"", 0
        starts = depth <= 0 and not (statement and statement[-1].rstrip().endswith(b"\\"))
        if starts:
            if changed:
                out.extend(statement)
            statement, changed = [], False
            depth = 0
        statement.append(line)
        changed = changed or line[:1] in (b"+", b"-")
        if line[:1] != b"-":  # brackets of the new version only
            depth = max(0, depth + _bracket_balance(line[1:]))
    if changed:
        out.extend(statement)
    return b"\n".join(out)


def _without_comments(text: bytes) -> bytes:
    """Python lines without their comments (a `#` outside quotes on its line)."""
    if b"#" not in text:
        return text
    return b"\n".join(line[: _comment_start(line)] if b"#" in line else line for line in text.split(b"\n"))


def _comment_start(line: bytes) -> int:
    quote, i = 0, 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == 92:
                i += 1
            elif c == quote:
                quote = 0
        elif c in (34, 39):
            quote = c
        elif c == 35:
            return i
        i += 1
    return len(line)


_BRACKETS = bytes(range(256)).translate(None, b"()[]{}\"'#\\")  # everything else, to delete


def _bracket_balance(line: bytes) -> int:
    marks = line.translate(None, _BRACKETS)  # brackets, quotes, comment signs, backslashes
    if not marks.strip(b"()[]{}"):  # brackets only, or nothing: count them at C speed
        return marks.count(b"(") + marks.count(b"[") + marks.count(b"{") - marks.count(b")") - marks.count(b"]") - marks.count(b"}")
    balance, quote, i = 0, 0, 0
    while i < len(marks):
        c = marks[i]
        if quote:
            if c == 92:  # backslash: skip what it escapes
                i += 1
            elif c == quote:
                quote = 0
        elif c in (34, 39):
            quote = c
        elif c == 35:  # a comment
            break
        elif c in _OPEN:
            balance += 1
        elif c in _CLOSE:
            balance -= 1
        i += 1
    return balance


def markers_in(text: bytes) -> frozenset[str]:
    """What `text` holds of `MARKERS`."""
    return frozenset(name for name, pattern in MARKERS.items() if _MARKER_HINTS[name] in text and pattern.search(text))
