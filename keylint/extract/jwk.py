"""JWK / JWKS documents with private members (KL110) in JSON files."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterator

from keylint.extract.facts import FileFinding
from keylint.keymaterial import jwk_id
from keylint.model import Span

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
_KTY = re.compile(r'"kty"\s*:')


def private_members(obj: dict[str, Any]) -> list[str]:
    return [m for m in PRIVATE_MEMBERS if isinstance(obj.get(m), str) and obj[m]]


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


def scan_json(path: str, text: str) -> Iterator[FileFinding]:
    if '"kty"' not in text:
        return
    try:
        document = json.loads(text)
        jwks = list(_jwks(document))
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json/_jwks recurse (found by fuzzing)
        return
    positions = [m.start() for m in _KTY.finditer(text)]
    for index, jwk in enumerate(jwks):
        private = private_members(jwk)
        if not private or index >= len(positions):
            continue
        offset = positions[index]
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        digest = hashlib.sha256(str(jwk[private[0]]).encode()).hexdigest()
        identity = jwk_id(jwk)
        yield FileFinding(
            code="KL110",
            span=Span(line, column, line, column + len('"kty"')),
            message=f"A JWK ({jwk.get('kty')}{', kid ' + repr(jwk['kid']) if isinstance(jwk.get('kid'), str) else ''}) "
            f"with private member{'s' if len(private) > 1 else ''} {', '.join(repr(p) for p in private)} is stored in the repository.",
            token=f"jwk:{jwk.get('kty')}:{digest}",
            key=identity.digest if identity is not None else "",
        )
