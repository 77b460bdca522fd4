"""KL115 proven-signing-key: a JWT in the repository verifies under a key keylint found there.

Not a check over the linked project: facts and the cache never hold secret values, so the proof
reads the candidate keys and the tokens from the files, at the spans their findings name, in the
main process after the checks (as finalizing re-reads lines for snippets). Values live only in
this function's locals and are dropped when it returns; nothing here touches the network. Only
HMAC tokens (HS256/384/512) are tried, only against keys keylint already reported (KL101, KL102,
KL111), and each signature is compared in constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import ast
import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from keylint.checks.base import Draft, where
from keylint.finalize import redact_line, source_lines
from keylint.model import Severity, Span

CODE = "KL115"
KEY_CODES = frozenset({"KL101", "KL102", "KL111"})
TOKEN_CODE = "KL112"
_HASHES: dict[str, Callable[..., Any]] = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_MAX_TOKEN = 16 * 1024  # characters: longer "tokens" are not worth decoding
_MAX_LITERAL = 64 * 1024  # characters of a Python literal read back as a key
_MAX_RELATED = 10
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

Source = Callable[[str], "str | None"]  # path -> the file's decoded text, None when it cannot be read


@dataclass(frozen=True, slots=True)
class _Token:
    """A signed HMAC token and what it says, never its signature or key outside this module."""

    path: str
    span: Span
    alg: str
    signing_input: bytes
    signature: bytes
    claims: str  # summary without secrets
    valid: bool  # not expired (or without any expiry)


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _text(text: str, span: Span) -> str:
    lines = source_lines(text)
    if not 0 < span.line <= span.end_line <= len(lines):
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1 :], *lines[span.line : span.end_line - 1], lines[span.end_line - 1][: span.end_column - 1]]
    return "\n".join(parts)


def _shown(value: object) -> str:
    """A claim value fit for a message: printable, short, key-like runs redacted."""
    text = value if isinstance(value, str) else json.dumps(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    text = redact_line(text, None)
    return repr(text if len(text) <= 48 else text[:47] + "…")


def _subject(sub: object) -> str:
    if sub is None:
        return "no sub"
    if isinstance(sub, int) and not isinstance(sub, bool) or isinstance(sub, str) and sub.isdigit():
        return "sub a numeric id"
    if isinstance(sub, str) and _UUID.match(sub):
        return "sub a UUID"
    if isinstance(sub, str) and _EMAIL.match(sub):
        return "sub an email address"
    return "sub a name" if isinstance(sub, str) else f"sub a {type(sub).__name__}"


def _summary(claims: dict[str, Any], now: float) -> tuple[str, bool]:
    parts = []
    if "iss" in claims:
        parts.append(f"iss {_shown(claims['iss'])}")
    if "aud" in claims:
        parts.append(f"aud {_shown(claims['aud'])}")
    parts.append(_subject(claims.get("sub")))
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        try:
            day = time.strftime("%Y-%m-%d", time.gmtime(exp))
        except (OverflowError, OSError, ValueError):
            day = "far away"
        valid = exp > now
        parts.append(f"exp {day}, {'still valid' if valid else 'expired'}")
    else:
        valid = True
        parts.append("no exp: valid for ever")
    return ", ".join(parts), valid


def _token(path: str, text: str, span: Span, now: float) -> _Token | None:
    raw = _text(text, span).strip().rstrip(".")
    if len(raw) > _MAX_TOKEN or raw.count(".") != 2:
        return None
    head, body, signature = raw.split(".")
    try:
        header = json.loads(_b64url(head))
        claims = json.loads(_b64url(body))
        sig = _b64url(signature)
    except (ValueError, binascii.Error, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") not in _HASHES:
        return None
    summary, valid = _summary(claims, now)
    return _Token(path, span, str(header["alg"]), f"{head}.{body}".encode("ascii", "replace"), sig, summary, valid)


def _literal(source: str) -> str | bytes | None:
    """The value of a Python string literal as written (implicit or `+` concatenation of literals
    included), read with the parser alone: nothing is evaluated."""
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        try:
            node = ast.parse(f"({source.strip()})", mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    def value(n: ast.AST) -> str | bytes | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)):
            return n.value
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            left, right = value(n.left), value(n.right)
            if isinstance(left, str) and isinstance(right, str) or isinstance(left, bytes) and isinstance(right, bytes):
                return left + right  # type: ignore[operator]
        return None

    try:
        return value(node)
    except RecursionError:
        return None


def _key(draft: Draft, text: str) -> bytes | None:
    """The key a finding names, read at its span; None unless its digest is the finding's."""
    source = _text(text, draft.span)
    if not source or len(source) > _MAX_LITERAL:
        return None
    if draft.code == "KL111":
        value: str | bytes | None = source
    else:
        value = _literal(source)
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return raw if hashlib.sha256(raw).hexdigest() == draft.key else None


def prove(drafts: Iterable[Draft], source: Source, now: float) -> list[Draft]:
    """A KL115 draft at every place of a key under which a token of the repository verifies."""
    drafts = list(drafts)
    texts: dict[str, str | None] = {}

    def text_of(path: str) -> str | None:
        if path not in texts:
            texts[path] = source(path)
        return texts[path]

    tokens: list[_Token] = []
    for d in drafts:
        if d.code == TOKEN_CODE and (text := text_of(d.path)) is not None:
            token = _token(d.path, text, d.span, now)
            if token is not None:
                tokens.append(token)
    if not tokens:
        return []
    places: dict[str, list[Draft]] = {}
    for d in drafts:
        if d.code in KEY_CODES and d.key:
            places.setdefault(d.key, []).append(d)
    out: list[Draft] = []
    for digest, found in sorted(places.items()):
        key = next((k for d in found if (text := text_of(d.path)) is not None and (k := _key(d, text)) is not None), None)
        if key is None:
            continue
        signed = [t for t in tokens if hmac.compare_digest(hmac.new(key, t.signing_input, _HASHES[t.alg]).digest(), t.signature)]
        del key  # the value is not needed past the comparison
        if not signed:
            continue
        signed.sort(key=lambda t: (not t.valid, t.path, t.span))
        first = signed[0]
        more = f" and {len(signed) - 1} more token{'s' if len(signed) > 2 else ''}" if len(signed) > 1 else ""
        for d in found:
            message = (
                f"The key at {where(d.path, d.span)} (sha256:{digest[:12]}…) signs real tokens: the {first.alg} token at "
                f"{where(first.path, first.span)} ({first.claims}){more} {'verify' if more else 'verifies'} under it. Anyone with the repository "
                "can mint tokens this service accepts; rotate the key now and load the new one from a secret manager."
            )
            related = tuple((t.path, t.span, f"{t.alg} token signed with this key: {t.claims}") for t in signed[:_MAX_RELATED])
            out.append(
                Draft(
                    code=CODE, path=d.path, span=d.span, message=message, token=f"proven:{digest}",
                    secret_columns=d.secret_columns, related=related,
                    severity=Severity.CRITICAL if any(t.valid for t in signed) else Severity.HIGH, key=digest,
                )
            )
    return out
