"""Per-file extraction: bytes in, `FileFacts` out. Runs in worker processes; never raises.

Every text file goes through the secret scanner; Python files are also parsed once with LibCST;
configuration files also go through the key-name heuristics. Nothing here is imported or executed
from the scanned tree: files are read as bytes and parsed, nothing more.
"""

from __future__ import annotations

import ast
import hashlib
import re

from typing import TYPE_CHECKING

from keylint.catalog import Catalog
from keylint.extract.config_files import is_config_file, scan_config
from keylint.extract.dependencies import is_dependency_file, scan_dependencies
from keylint.extract.facts import FileFacts, Suppression
from keylint.extract.jwk import scan_json
from keylint.extract.openapi import scan_openapi
from keylint.environments import is_environment_settings
from keylint.extract.prefilter import worth_parsing
from keylint.model import FileError

if TYPE_CHECKING:
    import libcst as cst

# LibCST, the family visitors and detect-secrets are imported where they are first used: a warm
# scan whose changed files need no parsing (or no extraction at all) never loads them.

_SUPPRESSION = re.compile(r"keylint:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?")
_CODE = re.compile(r"^KL\d{3}$")
PYTHON_SUFFIXES = (".py", ".pyw", ".pyi")


def decode(data: bytes) -> tuple[str, str | None]:
    """Text and, when the bytes are not clean UTF-8, a note saying so (the text is still scanned)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", "replace"), f"not valid UTF-8 (byte {exc.start}); scanned with replacement characters"


_PROSE = (".md", ".rst", ".txt", ".adoc")


def read_suppressions(path: str, text: str) -> tuple[list[Suppression], list[FileError]]:
    found: list[Suppression] = []
    errors: list[FileError] = []
    if "keylint:" not in text or path.lower().endswith(_PROSE):
        return found, errors  # prose (a README explaining the syntax) carries no suppressions
    for number, line in enumerate(text.splitlines(), start=1):
        m = _SUPPRESSION.search(line)
        if m is None:
            continue
        codes = [c.strip() for c in (m.group("codes") or "").split(",") if c.strip()]
        bad = [c for c in codes if not _CODE.match(c)]
        if not codes or bad:
            what = "names no rule code" if not codes else f"has malformed codes {', '.join(bad)}"
            errors.append(FileError(path, f"suppression comment {what}; write `# keylint: ignore[KL101] reason`", number, "suppression"))
            continue
        found.append(Suppression(number, frozenset(codes)))
    return found, errors


def extract_file(path: str, data: bytes, catalog: Catalog, deadline: float | None = None, prefilter: bool = False, accepted: bool = False, keys_only: bool = False) -> FileFacts:
    """Facts for one file. `path` is repository-relative; `data` its bytes; `deadline` (a
    `time.monotonic()` value) bounds the secret scan, which stops there and says so. With
    `prefilter`, a Python module whose bytes no family could use is not parsed (`deferred`).
    `accepted`: CPython's parser has already accepted these bytes (a deferred module, extracted
    in full because a parsed one imports it), so the nesting guard need not parse them again.
    `keys_only`: record only what the key rules (KL1xx) read (history checks nothing else)."""
    facts, text = _secrets(path, data, deadline)
    if is_dependency_file(path):
        facts.dependencies = scan_dependencies(text)
    if is_config_file(path):
        facts.findings.extend(scan_config(path, text, catalog.key_names))
    if path.endswith((".json", ".jwk", ".jwks")):
        facts.findings.extend(scan_json(path, text))
    found, facts.operations = scan_openapi(path, text)
    facts.findings.extend(found)
    if path.endswith(PYTHON_SUFFIXES):
        # an environment's settings module may hold no key words and still inherit keys (KL404)
        if prefilter and not worth_parsing(data) and not is_environment_settings(path) and _parses(text):
            facts.deferred = True  # still checked with CPython's parser (fast), so bad files are reported
        elif "\x00" in text:
            facts.errors.append(FileError(path, "contains NUL bytes; not parsed as Python", kind="parse"))
        else:
            _python(facts, text, catalog, accepted, keys_only)
    return facts


def _secrets(path: str, data: bytes, deadline: float | None) -> tuple[FileFacts, str]:
    facts = FileFacts(path=path, digest=hashlib.sha256(data).hexdigest())
    text, decode_note = decode(data)
    if decode_note is not None:
        facts.errors.append(FileError(path, decode_note, kind="decode"))
    facts.suppressions, errors = read_suppressions(path, text)
    facts.errors.extend(errors)
    from keylint.extract.secrets import ScanDeadline, scan_text

    try:
        for finding in scan_text(path, text, deadline):
            facts.findings.append(finding)
    except ScanDeadline as stop:  # keep what was found; the notification says the rest was not read
        facts.errors.append(FileError(path, str(stop), stop.line, "timeout"))
    return facts, text


def extract_secrets_only(path: str, data: bytes, deadline: float | None = None) -> FileFacts:
    """The secret scan alone: the fallback for a file whose full extraction crashed or overran."""
    return _secrets(path, data, deadline)[0]


# CPython's own parser refuses nesting it cannot handle (more than 200 open brackets, 100
# indentation levels, chains that overflow its recursion limit) in milliseconds and with a clean
# exception, while LibCST's native parser overflows its stack (a segfault) or goes quadratic on
# the same input. So such a file is turned away before LibCST sees it. Only these refusals count:
# any other SyntaxError falls through to LibCST, which accepts syntax newer than this interpreter.
_TOO_NESTED = ("too many nested parentheses", "too many levels of indentation", "too complex", "too many statically nested blocks")


def _parses(text: str) -> bool:
    """CPython's parser accepts it. (A file it rejects goes to LibCST, which has the last word:
    it accepts syntax newer than this interpreter, and reports what it cannot parse.)"""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _refused_nesting(text: str) -> str | None:
    try:
        ast.parse(text)
    except RecursionError:
        return "too deeply nested for Python's own parser"
    except MemoryError:  # CPython's parser also says this for deep nesting, not only when memory is short
        return "too deeply nested or too large for Python's own parser (out of memory)"
    except SyntaxError as exc:
        if any(reason in str(exc.msg) for reason in _TOO_NESTED):
            return f"Python refuses it: {exc.msg}"
    except ValueError:
        return None
    return None


def _no_validation(node: cst.CSTNode) -> None:
    return None


def _parse_module(text: str) -> cst.Module:
    """`cst.parse_module` without per-node validation. Every node LibCST constructs is validated
    in `CSTNode.__post_init__`; that guards trees built by hand, while the parser's output is
    valid by construction (LibCST's own comment there says validation could be skipped when
    parsing). Skipping it takes about an eighth off each parse. Extraction is single-threaded
    in its process, so the swap is seen by this parse only."""
    import libcst as cst

    validate = cst.CSTNode.__post_init__
    # LibCST types the hook as a method of CSTNode; a plain function stands in for it while parsing
    cst.CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign,assignment]
    try:
        return cst.parse_module(text)
    finally:
        cst.CSTNode.__post_init__ = validate  # type: ignore[method-assign]  # putting LibCST's hook back


def _python(facts: FileFacts, text: str, catalog: Catalog, accepted: bool = False, keys_only: bool = False) -> None:
    import libcst as cst

    from keylint.extract.python import KEY_VISITORS, VISITORS, extract_python

    refused = None if accepted else _refused_nesting(text)
    if refused is not None:
        facts.errors.append(FileError(facts.path, f"cannot parse as Python 3: {refused}", kind="parse"))
        return
    try:
        module = _parse_module(text)
    except cst.ParserSyntaxError as exc:
        facts.errors.append(FileError(facts.path, f"cannot parse as Python 3: {exc.message}", exc.raw_line, "parse"))
        return
    except RecursionError:
        facts.errors.append(FileError(facts.path, "too deeply nested to parse", kind="parse"))
        return
    try:
        facts.python, findings = extract_python(facts.path, module, text, catalog, KEY_VISITORS if keys_only else VISITORS)
    except RecursionError:
        facts.errors.append(FileError(facts.path, "too deeply nested to analyse", kind="parse"))
        return
    facts.findings.extend(findings)
