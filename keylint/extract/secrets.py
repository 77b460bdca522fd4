"""The secret scanner for every text file. The only module that imports detect-secrets.

detect-secrets is used as a library of detectors, never as a scanner: its plugins are instantiated
directly, with no settings that enable verification (so no plugin ever opens a socket), and each
plugin runs only on the lines where one of its own patterns matched. A pattern in turn runs only
where its gate, derived from the pattern, finds what every match of it holds (see Gates). Each
detect-secrets type maps to a keylint code (`TYPE_CODES`).
"""

from __future__ import annotations

import array
import base64
import binascii
import bisect
import datetime
import hashlib
import importlib
import itertools
import json
import operator
import os
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any, Iterable, Iterator, cast



def _regex_parser() -> tuple[ModuleType, ModuleType]:
    """The regular expression parser's modules (Python 3.11 renamed them; typeshed types neither)."""
    try:
        return importlib.import_module("re._constants"), importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module("sre_constants"), importlib.import_module("sre_parse")


sre_constants, sre_parse = _regex_parser()

from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

from keylint.extract.config_files import TRIVIAL_VALUES, is_data_document
from keylint.extract.facts import FileFinding, redact
from keylint.keymaterial import PrivateBlock, first_pem_id, private_block, secret_id
from keylint.model import Severity, Span

# detect-secrets type -> keylint code. Types mapped to None are not used: entropy and keyword
# detectors are replaced by keylint's own key-name heuristics (KL111), public IPs are not secrets.
TYPE_CODES: dict[str, str | None] = {
    "Private Key": "KL110",
    "Encrypted Private Key": "KL110",
    "Base64-Encoded Private Key": "KL110",
    "JSON Web Token": "KL112",
    "Base64 High Entropy String": None,
    "Hex High Entropy String": None,
    "Secret Keyword": None,
    "Public IP (ipv4)": None,
}
_DEFAULT_CODE = "KL113"  # every other detect-secrets type is a third-party service credential


class EncryptedPrivateKeyDetector(RegexBasedDetector):
    """PKCS#8 `BEGIN ENCRYPTED PRIVATE KEY`: detect-secrets' PrivateKeyDetector lists every other
    private-key armour, but not this one."""

    secret_type = "Encrypted Private Key"
    denylist = (re.compile(r"BEGIN ENCRYPTED PRIVATE KEY"),)


class Base64PrivateKeyDetector(RegexBasedDetector):
    """A PEM private key wrapped in base64 (`LS0tLS1CRUdJTi...` is `-----BEGIN `): Kubernetes
    Secrets (`tls.key`), CI variables, scanner reports. Which armour it is, and whether a key is in
    it, is read from the decoded text."""

    secret_type = "Base64-Encoded Private Key"
    denylist = (re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}"),)


def _decoded_pem(value: str) -> str:
    usable = value.rstrip("=")
    usable = usable[: len(usable) - len(usable) % 4]  # a window may have cut it short
    try:
        return base64.b64decode(usable, validate=False).decode("ascii", "replace")
    except (binascii.Error, ValueError):
        return ""


@lru_cache(maxsize=1)
def _plugins() -> tuple[tuple[Any, str, tuple[re.Pattern[str], ...], tuple[Gate | None, ...]], ...]:
    out: list[tuple[Any, str, tuple[re.Pattern[str], ...], tuple[Gate | None, ...]]] = []
    # keylint's own detectors beside detect-secrets' (their secret_type is a plain class attribute)
    own: dict[str, type[BasePlugin]] = {EncryptedPrivateKeyDetector.secret_type: EncryptedPrivateKeyDetector, Base64PrivateKeyDetector.secret_type: Base64PrivateKeyDetector}
    # detect-secrets types its result with a TypeVar bound by nothing (so: type[Never]); it holds plugin classes
    detectors = cast("dict[str, type[BasePlugin]]", get_mapping_from_secret_type_to_class()) | own
    for secret_type, cls in sorted(detectors.items()):
        code = TYPE_CODES.get(secret_type, _DEFAULT_CODE)
        if code is None or not issubclass(cls, RegexBasedDetector):
            continue
        plugin = cls()
        patterns = tuple(plugin.denylist)
        out.append((plugin, code, patterns, tuple(gate_for(p) for p in patterns)))
    return tuple(out)


class _Lines:
    """Line lookup by character offset, built once per file."""

    def __init__(self, text: str, ascii_copy: bytes | None = None) -> None:
        self.text = text
        # the ends of "\r\n", "\r" and "\n", found by C code in a one-byte-per-character copy
        # (bytes split lines only there; str also splits at other separators)
        data = text.encode("ascii", "replace") if ascii_copy is None else ascii_copy
        self.starts = [0, *itertools.accumulate(map(len, data.splitlines(keepends=True)))]
        if data and data[-1] not in b"\r\n":
            self.starts.pop()  # the last line ends the text, not a line break

    def number(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def end(self, number: int) -> int:
        """Where the next line starts (the end of the text after the last line)."""
        return self.starts[number] if number < len(self.starts) else len(self.text)

    def line(self, number: int) -> str:
        start = self.starts[number - 1]
        end = self.starts[number] if number < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")


_ASCENDING = "01234567890123456789"
# `postgres://postgres:---REDACTED---@db`, `sk_live_****`, a key id masked by hand (`AKIAIMNOJVGFDXXXE4UI`)
_MASK = re.compile(r"redacted|\*{3,}|XXX|xxx", re.IGNORECASE)
_FILLER_RUN = re.compile(r"(.)\1{7,}")


def _placeholder_credential(secret_type: str, value: str, line: str) -> bool:
    """Values that only have a credential's shape: a vendor's documented example (AWS's
    `AKIAIOSFODNN7EXAMPLE`), filler after the prefix (`ghp_xxxx...`, `AKIA0000...`), counting
    digits (`sk_live_1234567890...`); and for URLs with credentials, local defaults and templates
    (`postgres://postgres:postgres@db`, `mysql://shop:shop@db`, `{self.password}`)."""
    if "EXAMPLE" in value or any(_ASCENDING[i : i + 9] in value for i in range(10)) or _MASK.search(value):
        return True
    run = max((len(m.group()) for m in _FILLER_RUN.finditer(value)), default=0)
    if run * 2 >= len(value):
        return True
    if secret_type != "Basic Auth Credentials":
        return False
    if f"://{value}:{value}@" in line:  # the password repeats the user name
        return True
    # `admin:password123@` in a proof of concept: a default word with digits counted onto it
    word = re.fullmatch(r"([a-z]+)\d{0,4}", value.lower())
    return any(c in value for c in "{}$%<>") or (word is not None and word.group(1) in TRIVIAL_VALUES) or len(value) < 6


def _embedded(line: str, value: str) -> bool:
    """The match starts inside a longer run of its own kind: digits after digits (`...-315662572101:0799...`,
    a list of UUIDs read as a Telegram token), a key id after letters or digits (a base64 blob that
    spells `AKIA`). Part of another value, not a credential of its own; `.../bot7312458861:AAH...`
    (a Telegram API URL) still is one."""
    at = line.find(value)
    if at <= 0 or not value:
        return False
    before = line[at - 1]
    return before.isdigit() if value[0].isdigit() else before.isascii() and before.isalnum()


# Credentials that a pattern knows only by their shape, and identifiers that are no secret on
# their own (an AWS access key id without its secret key): in data under a test path, a recorded
# report or a saved page, they are what the tests read.
_SHAPE_ONLY = frozenset({"Basic Auth Credentials", "Telegram Bot Token"})
_AWS_KEY_ID = re.compile(r"^(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}$")


def _shape_only(secret_type: str, value: str) -> bool:
    return secret_type in _SHAPE_ONLY or (secret_type == "AWS Access Key" and _AWS_KEY_ID.match(value) is not None)


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


def _describe(secret_type: str, code: str, value: str, block: PrivateBlock | None = None) -> str:
    if code == "KL110":
        if block is not None and block.encrypted:
            return ("An encrypted private key is stored in the repository: it is as safe as its passphrase, "
                    "which is often kept next to it (a config file, a CI variable, the code that loads it).")
        if block is not None and block.label.startswith("PuTTY"):
            return f"A PuTTY private key ({block.label.removeprefix('PuTTY').strip() or 'unknown type'}) is stored in the repository."
        kind = re.search(r"BEGIN ([A-Z0-9 ]*)PRIVATE KEY", block.label if block is not None else value)
        label = (kind.group(1).strip() + " ") if kind and kind.group(1).strip() else ""
        wrapped = " wrapped in base64" if secret_type == Base64PrivateKeyDetector.secret_type else ""
        return f"A {label}private key (PEM{wrapped}) is stored in the repository."
    if code == "KL112":
        return f"A signed JSON Web Token {redact(value)} is hard-coded."
    return f"A {secret_type} {redact(value)} is hard-coded."


_DOCUMENTATION = (".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc")


def _jwt_expiry(value: str) -> int | None:
    """The `exp` claim of a JWT, read without verifying anything (None: absent or unreadable)."""
    parts = value.split(".")
    if len(parts) < 2:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return int(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) and abs(exp) < 1e11 else None


_PLACEHOLDER_SIGNATURE = re.compile(r"^(?:example|sample|signature|placeholder|your|fake|dummy|x{3,}|\.{3})", re.IGNORECASE)


def _placeholder_token(line: str, value: str) -> bool:
    """A JWT whose signature is a word (`<header>.<claims>.example-anon-key`): the shape of a
    token in documentation or a template, with nothing that could verify."""
    at = line.find(value)
    whole = line[at:] if at >= 0 else value
    parts = re.match(r"[\w-]+\.[\w-]+\.([\w.-]*)", whole)
    return parts is not None and bool(_PLACEHOLDER_SIGNATURE.match(parts.group(1)))


def _token_severity(path: str, value: str) -> tuple[Severity | None, str]:
    """A JWT that expired, or one shown in documentation, authenticates nobody: low, and why.
    (Expiry is judged when the file is read: a cached fact keeps the verdict of its first scan,
    which errs towards the higher severity for a token that expired since.)"""
    exp = _jwt_expiry(value)
    if exp is not None and exp < time.time():
        day = datetime.datetime.fromtimestamp(exp, datetime.timezone.utc).date().isoformat()
        return Severity.LOW, f" It expired on {day} (`exp`, read without verifying)."
    if path.lower().endswith(_DOCUMENTATION):
        return Severity.LOW, " It is shown in documentation."
    return None, ""


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
    """(start, end, line number of a window or None for a block of whole lines), in text order.

    A block runs over whole lines until the next would end more than _BLOCK past its start; a long
    line is cut into windows, ending the block before it. Found by bisection between long lines."""
    out: list[tuple[int, int, int | None]] = []
    starts, size = lines.starts, len(lines.text)
    ends = starts[1:] + [size]
    long = itertools.compress(range(len(starts)), map(_LONG_LINE.__lt__, map(operator.sub, ends, starts)))
    block_start, first = 0, 0  # `first`: index of the first line not yet placed
    for index in itertools.chain(long, (len(starts),)):
        # the short lines first..index-1: cut a block before each line ending past the limit
        while True:
            cut = bisect.bisect_right(ends, block_start + _BLOCK, first, index)
            if cut >= index:
                break
            if starts[cut] > block_start:
                out.append((block_start, starts[cut], None))
            block_start, first = starts[cut], cut + 1
        if index == len(starts):
            break
        begin, end = starts[index], ends[index]
        if begin > block_start:
            out.append((block_start, begin, None))
        step = _LONG_LINE - _OVERLAP
        for w in range(begin, end, step):
            out.append((w, min(w + _LONG_LINE, end), index + 1))
            if w + _LONG_LINE >= end:
                break
        block_start, first = end, index + 1
    if block_start < size:
        out.append((block_start, size, None))
    return out


def _shorten_spaces(text: str) -> str:
    """`text` with every run of more than _SPACES spaces cut to _SPACES (see above). Found with
    C-speed substring searches: the regex alone tries at every space of the text."""
    at = text.find(" " * (_SPACES + 1))
    if at < 0:
        return text
    parts: list[str] = []
    done = 0
    while at >= 0:
        stop = _SPACE_RUN.match(text, at).end()  # type: ignore[union-attr]
        parts += (text[done:at], " " * _SPACES)
        done = stop
        at = text.find(" " * (_SPACES + 1), stop)
    parts.append(text[done:])
    return "".join(parts)


# Gates. Running every detector's patterns over every piece of text was nearly all of the scan's
# time, although almost no piece can match: most patterns do not begin with a literal, so Python's
# `re` tries a match at every position. A pattern's gate says what every match of it holds: runs
# of characters of two classes (secrets are long runs of letters and digits) and one string of
# each set in `literals`. These are looked for with C-speed substring searches in byte copies of
# the text (`_Copies`), and the pattern runs only where they are all found, which changes nothing.
# Gates are derived from each pattern's own parse tree, so they follow detect-secrets when its
# patterns change; a pattern nothing can be said of has no gate and runs everywhere, as before.
_RUN_CLASSES = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
)
# per run class: 'a' for each byte of the class or '?' (any non-ASCII character), ' ' for the rest
_RUN_MAPS = tuple(bytes(ord("a") if chr(b) in chars or b == ord("?") else ord(" ") for b in range(256)) for chars in _RUN_CLASSES)
_ANCHOR_RUNS = (20, 24)  # per run class: lines holding a run this long are few enough to visit one by one
_EXACT_LIMIT = 24  # the most strings an exact set holds; past it, what is known becomes a requirement
_FAR = 1 << 20  # a lookaround reaching this far counts as unbounded


@lru_cache(maxsize=1)
def _case_twins() -> dict[str, int]:
    """Non-ASCII characters that `re` matches to an ASCII letter when ignoring case (the Kelvin
    sign K and 'k'), each with that letter in lower case. Asked of `re` itself, over every code
    point, once per process."""
    everything = array.array("I", range(128, 0x110000)).tobytes().decode("utf-32-le", "surrogatepass")
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {m.group(): next(ord(c) for c in letters if re.fullmatch(c, m.group(), re.IGNORECASE)) for m in re.finditer("[a-z]", everything, re.IGNORECASE)}


class _Copies:
    """Byte copies of a text, one byte per character so that offsets carry over: `plain` (ASCII as
    it is, any other character '?'), `folded` (`plain` in lower case, and each non-ASCII character
    that `re` matches to an ASCII letter when ignoring case made that letter: whatever its flags, a
    pattern's literal letters are found in it at the match, lowered) and `runs` (per run class,
    'a' for each character of the class, ' ' for any other: a run of n is b"a" * n)."""

    def __init__(self, text: str) -> None:
        self.plain = text.encode("ascii", "replace")
        folded = self.plain.lower()
        if not text.isascii():
            present = [(twin, letter) for twin, letter in _case_twins().items() if twin in text]
            if present:
                changed = bytearray(folded)
                for twin, letter in present:
                    at = text.find(twin)
                    while at >= 0:
                        changed[at] = letter
                        at = text.find(twin, at + 1)
                folded = bytes(changed)
        self.folded = folded
        self.runs = tuple(folded.translate(m) for m in _RUN_MAPS)


@dataclass(frozen=True, slots=True, eq=False)  # one object per set (`_one_of`): known by identity
class _OneOf:
    """A set of strings every match holds one of, looked for in `plain` or (not `cased`) `folded`."""

    strings: tuple[bytes, ...]
    cased: bool
    # strings that share a prefix are found in one search (`re` scans for the prefix at C speed)
    regex: re.Pattern[bytes] | None

    def find(self, copies: _Copies | _Pool, start: int, end: int) -> int:
        """Where one of the strings begins in [start, end) (the first, with `regex`), or -1."""
        haystack = copies.plain if self.cased else copies.folded
        if self.regex is not None:
            m = self.regex.search(haystack, start, end)
            return m.start() if m else -1
        for s in self.strings:
            at = haystack.find(s, start, end)
            if at >= 0:
                return at
        return -1


@lru_cache(maxsize=None)
def _one_of(strings: frozenset[str], cased: bool) -> _OneOf:
    encoded = tuple(sorted(s.encode("ascii") for s in strings))
    shared = len(os.path.commonprefix(list(encoded))) if len(encoded) > 1 else 0
    return _OneOf(encoded, cased, re.compile(b"|".join(map(re.escape, encoded))) if shared >= 2 else None)


class _Pool:
    """Copies of the lines of a piece that hold a long run, end to end (see `_Probe.pooled`)."""

    def __init__(self, copies: _Copies, lines: _Lines, numbers: list[int]) -> None:
        spans = [(lines.starts[number - 1], lines.end(number)) for number in sorted(numbers)]
        self.plain = b"\n".join(copies.plain[start:end] for start, end in spans)
        self.folded = b"\n".join(copies.folded[start:end] for start, end in spans)


class _Probe:
    """Searches in one piece [start, end) of a text, each made once and shared by every pattern."""

    def __init__(self, copies: _Copies, lines: _Lines, start: int, end: int) -> None:
        self.copies, self.lines, self.start, self.end = copies, lines, start, end
        self.run_found = [0] * len(_RUN_CLASSES)  # per class, the longest run known to be here
        self.run_missing = [end - start + 1] * len(_RUN_CLASSES)  # and the shortest known not to be
        self.found: dict[_OneOf, bool] = {}
        self.long: list[tuple[list[int], list[int]] | None] = [None] * len(_RUN_CLASSES)
        self.pools: list[_Pool | None] = [None] * len(_RUN_CLASSES)
        self.pool_found: dict[tuple[int, _OneOf], bool] = {}

    def has_run(self, kind: int, length: int) -> bool:
        listed = self.long[kind]
        if listed is not None and length >= _ANCHOR_RUNS[kind]:  # long runs are all listed
            return bool(listed[0]) and -listed[0][0] >= length
        if length <= self.run_found[kind]:
            return True
        if length >= self.run_missing[kind]:
            return False
        if self.copies.runs[kind].find(b"a" * length, self.start, self.end) >= 0:
            self.run_found[kind] = length
            return True
        self.run_missing[kind] = length
        return False

    def has(self, one_of: _OneOf) -> bool:
        found = self.found.get(one_of)
        if found is None:
            found = self.found[one_of] = one_of.find(self.copies, self.start, self.end) >= 0
        return found

    def long_lines(self, kind: int) -> tuple[list[int], list[int]]:
        """The lines here holding a run of `kind` at least as long as its anchor length: minus the
        longest run of each, ascending, and the line numbers in the same order."""
        found = self.long[kind]
        if found is None:
            runs, end, needle = self.copies.runs[kind], self.end, b"a" * _ANCHOR_RUNS[kind]
            longest: dict[int, int] = {}  # line number -> its longest run
            at = runs.find(needle, self.start, end)
            while at >= 0:
                stop = runs.find(b" ", at, end)
                stop = end if stop < 0 else stop
                number = self.lines.number(at)
                longest[number] = max(longest.get(number, 0), stop - at)
                at = runs.find(needle, stop, end)
            ranked = sorted((-n, number) for number, n in longest.items())
            found = self.long[kind] = ([n for n, _ in ranked], [number for _, number in ranked])
        return found

    def lines_with_run(self, kind: int, length: int) -> list[int]:
        minus_longest, numbers = self.long_lines(kind)
        return sorted(numbers[: bisect.bisect_right(minus_longest, -length)])

    def pooled(self, kind: int, one_of: _OneOf) -> bool:
        """Whether a line with a long run of `kind` holds one of the strings: one search over
        those lines laid end to end instead of one per line. (A string found across the seam of
        two lines is a false hope, never a miss.)"""
        key = (kind, one_of)
        found = self.pool_found.get(key)
        if found is None:
            pool = self.pools[kind]
            if pool is None:
                pool = self.pools[kind] = _Pool(self.copies, self.lines, self.long_lines(kind)[1])
            found = self.pool_found[key] = one_of.find(pool, 0, len(pool.plain)) >= 0
        return found

    def lines_with(self, one_of: _OneOf) -> list[int]:
        """The numbers of the lines here that hold one of the strings, in order."""
        numbers: set[int] = set()
        for searched in (one_of,) if one_of.regex is not None else (_one_of(frozenset({s.decode()}), one_of.cased) for s in one_of.strings):
            at = searched.find(self.copies, self.start, self.end)
            while at >= 0:
                number = self.lines.number(at)
                numbers.add(number)
                at = searched.find(self.copies, self.lines.end(number), self.end)
        return sorted(numbers)


@dataclass(frozen=True, slots=True)
class Gate:
    """What every match of one pattern holds (see Gates): for each run class, a run of `runs[k]`
    characters, and one string of each set in `literals` (the most selective first). With
    `line_bound`, a match takes no line-break character, and its lookarounds see no more than
    `reach` characters past the line it is in."""

    runs: tuple[int, ...]
    literals: tuple[_OneOf, ...]
    line_bound: bool
    reach: int
    # what finds the lines that may hold a match: a long run, (class, length), or a set of strings
    anchor: tuple[int, int] | _OneOf | None

    def admits(self, probe: _Probe) -> bool:
        """False only if no match of the pattern lies within the probe's piece."""
        for kind, length in enumerate(self.runs):
            if length > 1 and not probe.has_run(kind, length):
                return False
        for one_of in self.literals:
            if not probe.has(one_of):
                return False
        return True

    def admits_line(self, copies: _Copies, start: int, end: int) -> bool:
        """`admits` for one line [start, end): unshared searches, lines are short."""
        for kind, length in enumerate(self.runs):
            if length > 1 and copies.runs[kind].find(b"a" * length, start, end) < 0:
                return False
        for one_of in self.literals:
            if one_of.find(copies, start, end) < 0:
                return False
        return True


def _anchor(runs: tuple[int, ...], literals: tuple[_OneOf, ...]) -> tuple[int, int] | _OneOf | None:
    """The rarest of a gate's runs (the furthest past its class's anchor length), if one is long
    enough to find lines by; else its most selective strings, if they are three characters or more."""
    margin, kind = max((length - _ANCHOR_RUNS[kind], kind) for kind, length in enumerate(runs))
    if margin >= 0:
        return kind, runs[kind]
    if literals and min(map(len, literals[0].strings)) >= 3:
        return literals[0]
    return None


def _matches(pattern: re.Pattern[str], gate: Gate | None, text: str, probe: _Probe, whole_lines: bool) -> Iterable[re.Match[str]]:
    """The matches of `pattern.finditer(text, start, end)` over the probe's piece, in order, less
    the searches its gate shows to be fruitless. In a piece of whole lines, a line-bound pattern
    runs only on the lines its gate admits, found by its `anchor`: a match lies within one line,
    so a line the gate refuses holds none, and the search reaches each admitted line in the state
    a search over the whole piece would. It stops `reach` characters past that line (lookarounds
    see the same text, and nothing there looks like the end of the text), and takes no match
    beginning past it."""
    start, end = probe.start, probe.end
    if gate is None:
        return pattern.finditer(text, start, end)
    anchor = gate.anchor
    if anchor is None or not whole_lines or not gate.line_bound:
        return pattern.finditer(text, start, end) if gate.admits(probe) else ()
    if isinstance(anchor, tuple):
        numbers = probe.lines_with_run(*anchor)
        if numbers and not all(probe.pooled(anchor[0], one_of) for one_of in gate.literals):
            return ()
    else:
        numbers = probe.lines_with(anchor)
    found: list[re.Match[str]] = []
    lines, copies = probe.lines, probe.copies
    for number in numbers:
        line_start, line_end = lines.starts[number - 1], lines.end(number)
        if gate.admits_line(copies, line_start, line_end):
            for m in pattern.finditer(text, line_start, min(end, line_end + gate.reach)):
                if m.start() >= line_end:
                    break
                found.append(m)
    return found


@dataclass(frozen=True, slots=True)
class _Shape:
    """What is known of every match of one part of a pattern."""

    exact: frozenset[str] | None  # every string it can match, when few and all ASCII
    required: tuple[frozenset[str], ...]  # every match holds one string of each set
    in_class: bool  # it takes characters of the run class only
    width: int  # it takes at least this many characters
    run: int  # every match holds this many characters of the run class in a row
    breaks: bool  # it may take a line-break character
    reach: int  # its lookarounds look no further than this from where they stand


_ZERO_WIDTH = _Shape(frozenset({""}), (), True, 0, 0, False, 0)  # takes nothing, so says nothing either
_UNKNOWN = _Shape(None, (), False, 0, 0, True, _FAR)  # what is not understood says nothing


class _IgnoresCase(Exception):
    """Part of a pattern ignores case: its literals are looked for folded."""


# Whether a class item matches '\r' and '\n' (the two agree in each of these categories).
_CATEGORY_BREAKS = {
    sre_constants.CATEGORY_SPACE: True,
    sre_constants.CATEGORY_NOT_SPACE: False,
    sre_constants.CATEGORY_DIGIT: False,
    sre_constants.CATEGORY_NOT_DIGIT: True,
    sre_constants.CATEGORY_WORD: False,
    sre_constants.CATEGORY_NOT_WORD: True,
}


def _class_breaks(items: Any) -> bool:
    """Whether the character class may match '\\r' or '\\n'."""
    c = sre_constants
    negate = any(kind is c.NEGATE for kind, _ in items)
    for char in (10, 13):
        member = False
        for kind, value in items:
            if kind is c.LITERAL:
                member = member or value == char
            elif kind is c.RANGE:
                member = member or value[0] <= char <= value[1]
            elif kind is c.CATEGORY and value in _CATEGORY_BREAKS:
                member = member or _CATEGORY_BREAKS[value]
            elif kind is not c.NEGATE:
                return True
        if member != negate:
            return True
    return False


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """A string holding another of the set adds nothing to "holds one of them"."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


def _best_requirement(shape: _Shape) -> frozenset[str] | None:
    """The most selective set of strings (longest shortest string) every match of `shape` holds one of."""
    sets = list(shape.required)
    if shape.exact is not None and "" not in shape.exact:
        sets.append(_minimal(shape.exact))
    return max(sets, key=lambda s: (min(map(len, s)), -len(s)), default=None)


class _Walk:
    """What is known of the matches of a parsed pattern, for one run class (`run_chars`), with
    literals as written (`cased`) or in lower case."""

    def __init__(self, run_chars: str, cased: bool) -> None:
        self.run_chars, self.cased = run_chars, cased

    def in_class(self, char: str) -> bool:
        # every run map counts '?', which also stands for any non-ASCII character (one matched
        # ignoring case may instead be an ASCII letter in `folded`: in every class too)
        return char in self.run_chars or char == "?" or not char.isascii()

    def sequence(self, items: Any) -> _Shape:
        stretch: set[str] = {""}  # the exact strings of the latest stretch of exact items
        whole = True  # the sequence so far is one exact stretch
        required: list[frozenset[str]] = []
        in_class, width, run, longest, breaks, reach = True, 0, 0, 0, False, 0
        for op, av in items:
            item = self.item(op, av)
            if item.exact is not None and len(stretch) * len(item.exact) <= _EXACT_LIMIT:
                stretch = {a + b for a in stretch for b in item.exact}
            else:  # the stretch ends here: one of its strings is in every match, unless it can be empty
                whole = False
                if "" not in stretch:
                    required.append(_minimal(frozenset(stretch)))
                required.extend(item.required)
                stretch = set(item.exact) if item.exact is not None else {""}
            in_class = in_class and item.in_class
            width += item.width
            run = run + item.width if item.in_class else 0
            longest = max(longest, run, item.run)
            breaks = breaks or item.breaks
            reach = max(reach, item.reach)
        if whole:
            return _Shape(frozenset(stretch), (), in_class, width, longest, breaks, reach)
        if "" not in stretch:
            required.append(_minimal(frozenset(stretch)))
        return _Shape(None, tuple(required), in_class, width, longest, breaks, reach)

    def item(self, op: Any, av: Any) -> _Shape:
        c = sre_constants
        if op is c.LITERAL:
            char = chr(av)
            exact = frozenset({char if self.cased else char.lower()}) if char.isascii() else None
            return _Shape(exact, (), self.in_class(char), 1, int(self.in_class(char)), char in "\r\n", 0)
        if op is c.IN:
            chars: set[str] = set()
            exact_set, in_class = True, True
            for kind, value in av:
                if kind is c.LITERAL:
                    chars.add(chr(value))
                elif kind is c.RANGE and value[1] - value[0] < 256:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                elif kind is c.CATEGORY and value is c.CATEGORY_DIGIT:
                    chars.update("0123456789?")  # '?': a non-ASCII digit, as the copies show it
                elif kind is c.CATEGORY and value is c.CATEGORY_WORD:
                    exact_set = False  # letters and digits of any script, and '_'
                    in_class = in_class and "_" in self.run_chars
                else:  # NEGATE, a wide range, another category
                    exact_set = in_class = False
            members = frozenset(chars if self.cased else (ch.lower() for ch in chars))
            exact_set = exact_set and len(members) <= _EXACT_LIMIT and all(ch.isascii() for ch in chars)
            in_class = in_class and all(map(self.in_class, chars))
            return _Shape(members if exact_set else None, (), in_class, 1, int(in_class), _class_breaks(av), 0)
        if op is c.SUBPATTERN:
            if self.cased and av[1] & sre_constants.SRE_FLAG_IGNORECASE:
                raise _IgnoresCase
            return self.sequence(av[-1])
        if op is getattr(c, "ATOMIC_GROUP", None):
            return self.sequence(av)
        if op is c.BRANCH:
            alternatives = [self.sequence(alternative) for alternative in av[1]]
            exact = None
            if all(a.exact is not None for a in alternatives):
                union = frozenset().union(*(a.exact for a in alternatives))  # type: ignore[arg-type]
                exact = union if len(union) <= _EXACT_LIMIT else None
            required: tuple[frozenset[str], ...] = ()
            choices = [_best_requirement(a) for a in alternatives]
            if exact is None and all(choices):  # each alternative holds one of its own set
                required = (_minimal(frozenset().union(*choices)),)  # type: ignore[arg-type]
            return _Shape(
                exact,
                required,
                all(a.in_class for a in alternatives),
                min(a.width for a in alternatives),
                min(a.run for a in alternatives),
                any(a.breaks for a in alternatives),
                max(a.reach for a in alternatives),
            )
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            item = self.sequence(sub)
            if low == 0:  # may be absent: only an optional exact item says something
                optional = item.exact | {""} if high == 1 and item.exact is not None else None
                return _Shape(optional, (), item.in_class, 0, 0, item.breaks, item.reach)
            run = low * item.width if item.in_class else item.run
            if item.exact is not None and low == high and low <= 8 and len(item.exact) ** low <= _EXACT_LIMIT:
                strings = {""}
                for _ in range(low):
                    strings = {a + b for a in strings for b in item.exact}
                return _Shape(frozenset(strings), (), item.in_class, low * item.width, run, item.breaks, item.reach)
            requirement = _best_requirement(item)
            return _Shape(None, (requirement,) if requirement else (), item.in_class, low * item.width, run, item.breaks, item.reach)
        if op is c.AT:  # `^`, `$`, `\b`: look at the characters either side
            return _ZERO_WIDTH
        if op in (c.ASSERT, c.ASSERT_NOT):  # takes nothing; looks as far as its widest match and lookarounds
            inner = self.sequence(av[1])
            return _Shape(frozenset({""}), (), True, 0, 0, False, min(_FAR, av[1].getwidth()[1] + inner.reach))
        return _UNKNOWN  # ANY, NOT_LITERAL, back references, conditionals, anything newer


def gate_for(pattern: re.Pattern[str]) -> Gate | None:
    """The gate of `pattern`, or None when nothing can be said (then it runs everywhere)."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        cased = not pattern.flags & re.IGNORECASE
        try:
            shapes = [_Walk(chars, cased).sequence(tree) for chars in _RUN_CLASSES]
        except _IgnoresCase:
            cased = False
            shapes = [_Walk(chars, cased).sequence(tree) for chars in _RUN_CLASSES]
    except Exception:  # a parser that changed shape: no gate, the pattern just runs
        return None
    shape = shapes[0]  # literals, line breaks and reach do not depend on the run class
    sets = set(shape.required)
    if shape.exact is not None and "" not in shape.exact:
        sets.add(_minimal(shape.exact))
    literals = tuple(_one_of(s, cased) for s in sorted(sets, key=lambda s: (-min(map(len, s)), len(s), sorted(s))))
    runs = tuple(s.run for s in shapes)
    if max(runs) <= 1 and not literals:
        return None
    # `$` and `\b` look one character past where they stand: +2 keeps the end of the text out of sight
    return Gate(runs, literals, not shape.breaks and shape.reach < _FAR, shape.reach + 2, _anchor(runs, literals))


def scan_text(path: str, text: str, deadline: float | None = None) -> Iterator[FileFinding]:
    """detect-secrets' regex detectors over `text`, run only on lines their patterns match.

    `deadline` (a `time.monotonic()` value) bounds the time; past it `ScanDeadline` is raised."""
    shortened = _shorten_spaces(text)
    copies = _Copies(shortened)
    original = _Lines(text, copies.plain if shortened is text else None)
    text = shortened
    lines = _Lines(text, copies.plain) if len(text) != len(original.text) else original
    pieces = _pieces(lines) if text else []
    seen: set[tuple[str, int, str]] = set()
    data = is_data_document(path, original.text)

    def check(number: int) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ScanDeadline(number)

    # pieces outermost: the text is scanned front to back by every detector, so when time runs out
    # what was found covers a prefix of the file and the notification says where it stopped
    analysed: set[tuple[int, int, int, int]] = set()  # (detector, line number, start, end)
    for piece_start, piece_end, window_line in pieces:
        check(lines.number(piece_start))
        probe = _Probe(copies, lines, piece_start, piece_end)
        for k, (plugin, code, patterns, gates) in enumerate(_plugins()):
            # a candidate: (line number, start and end offsets of the text the plugin analyses)
            candidates: set[tuple[int, int, int]] = set()
            for pattern, gate in zip(patterns, gates):
                for m in _matches(pattern, gate, text, probe, window_line is None):
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
                    if code != "KL110" and _placeholder_credential(potential.type, value, line):
                        continue
                    if code == "KL113" and _embedded(line, value):
                        continue
                    if code == "KL112" and _placeholder_token(line, value):
                        continue
                    block = None
                    if code == "KL110":
                        # armour around a comment, a template or nothing is a placeholder, not a key
                        if potential.type == Base64PrivateKeyDetector.secret_type:
                            decoded = _decoded_pem(value)
                            block = private_block(decoded, 0, decoded.find("\n") if "\n" in decoded else len(decoded))
                        else:
                            block = private_block(original.text, original.starts[number - 1], original.end(number), value)
                        if block is None or not block.is_key:
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
                    if potential.type == Base64PrivateKeyDetector.secret_type:
                        unwrapped = first_pem_id(_decoded_pem(value))
                        identity = unwrapped.digest if unwrapped is not None else ""
                    severity = Severity.HIGH if block is not None and block.encrypted else None
                    message = _describe(potential.type, code, value, block)
                    if code == "KL112":
                        severity, why = _token_severity(path, value)
                        message += why
                    yield FileFinding(
                        code=code,
                        span=Span(number, start_col, number, end_col),
                        message=message,
                        # a private key's token is its fingerprint: two keys in one file stay two findings
                        token=f"{potential.type}:{identity or hashlib.sha256(value.encode()).hexdigest()}",
                        key=identity,
                        # an encrypted key is below a key anyone can use; an expired token is low
                        severity=severity,
                        # a PEM header says nothing secret, but a one-line PEM string carries the key after it
                        secret_columns=(start_col, full_length + 1) if code == "KL110" and col >= 0 else (start_col, end_col) if col >= 0 else None,
                        data_document=code == "KL113" and _shape_only(potential.type, value) and data,
                    )
