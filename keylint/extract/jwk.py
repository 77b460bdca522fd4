"""JWK / JWKS documents with private members (KL110) in JSON files."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from keylint.extract.facts import FileFinding
from keylint.keymaterial import jwk_id
from keylint.model import Span

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
# JSON's structural tokens and strings: enough to know where each object's members are written
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')
_BASE64URL = re.compile(r"[A-Za-z0-9_=+/-]+")


def placeholder_member(value: str) -> bool:
    """A private member that holds no key: filler (`xxxx`, `0000`), a documented `...EXAMPLE`, or
    text that is not base64url at all (`<private exponent>`, `...`)."""
    return len(set(value)) < 6 or "EXAMPLE" in value or not _BASE64URL.fullmatch(value)


def private_members(obj: dict[str, Any]) -> list[str]:
    """The private members of a JWK that hold key material (empty: a public key, or a placeholder)."""
    present = [m for m in PRIVATE_MEMBERS if isinstance(obj.get(m), str) and obj[m]]
    return present if any(not placeholder_member(obj[m]) for m in present) else []


def _jwks(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict with a "kty" member, in document order."""
    if isinstance(node, dict):
        if "kty" in node:
            yield node
        for value in node.values():
            yield from _jwks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _jwks(value)


@dataclass(slots=True)
class _Object:
    members: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> (name offset, value start, value end)


def _objects(text: str) -> list[_Object]:
    """The objects of a JSON text in the order they open (the order `_jwks` meets them), each with
    where its members' names and string values are written."""
    opened: list[_Object] = []
    stack: list[_Object | None] = []  # None: an array
    pending: tuple[str, int] | None = None  # a member name read, its value not yet
    last_string: tuple[str, int, int] | None = None
    for m in _TOKEN.finditer(text):
        token = m.group()
        top = stack[-1] if stack else None
        if token == "{":
            obj = _Object()
            opened.append(obj)
            stack.append(obj)
        elif token == "[":
            stack.append(None)
        elif token in "]}":
            if stack:
                stack.pop()
        elif token == ",":
            pass  # after a number, true, false or null: nothing is pending any more
        elif token == ":":
            if top is not None and last_string is not None:
                pending = (last_string[0], last_string[1])
            last_string = None
            continue
        else:  # a string
            if pending is not None and top is not None:
                name, at = pending
                top.members.setdefault(name, (at, m.start() + 1, m.end() - 1))
                pending = None
            else:
                try:
                    last_string = (json.loads(token), m.start(), m.end())
                except ValueError:
                    last_string = None
            continue
        if pending is not None and top is not None and token in "{[":
            top.members.setdefault(pending[0], (pending[1], -1, -1))  # a member whose value is not a string
        pending, last_string = None, None
    return opened


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_json(path: str, text: str) -> Iterator[FileFinding]:
    if '"kty"' not in text:
        return
    try:
        document = json.loads(text)
        jwks = list(_jwks(document))
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json/_jwks recurse (found by fuzzing)
        return
    written = [o for o in _objects(text) if "kty" in o.members]
    for index, jwk in enumerate(jwks):
        private = private_members(jwk)
        if not private or index >= len(written):
            continue
        # reported on the private member written first: the line a reviewer must delete
        name_at, value_start, value_end = min(written[index].members.get(m, (len(text), -1, -1)) for m in private)
        if name_at >= len(text):
            continue
        line, column = _position(text, name_at)
        secret_columns = None
        if value_start >= 0 and text.count("\n", name_at, value_end) == 0:
            secret_columns = (column + value_start - name_at, column + value_end - name_at)
        digest = hashlib.sha256(str(jwk[private[0]]).encode()).hexdigest()
        identity = jwk_id(jwk)
        yield FileFinding(
            code="KL110",
            span=Span(line, column, line, secret_columns[1] if secret_columns else column + 3),
            message=f"A JWK ({jwk.get('kty')}{', kid ' + repr(jwk['kid']) if isinstance(jwk.get('kid'), str) else ''}) "
            f"with private member{'s' if len(private) > 1 else ''} {', '.join(repr(p) for p in private)} is stored in the repository.",
            token=f"jwk:{jwk.get('kty')}:{digest}",
            secret_columns=secret_columns,
            key=identity.digest if identity is not None else "",
        )
