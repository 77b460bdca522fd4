"""Key inventory: every key found, once, with every place it occurs.

Findings of the key-material rules (KL1xx) carry `Finding.key`, the SHA-256 of the normalized key
material (`keylint.keymaterial`). The inventory groups findings by it, across projects, so one key
found in three repositories and a laptop is one row. A known-keys file (fingerprints a security team
hands out without revealing any key) marks the rows that are production keys: critical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from keylint.model import Finding

# What each key-material rule says about the key it found, for the inventory's "kind" column.
KINDS = {
    "KL101": "signing key (code)",
    "KL102": "signing key (environment default)",
    "KL103": "weak signing key",
    "KL110": "private key",
    "KL111": "secret (configuration)",
    "KL112": "signed token",
    "KL113": "service credential",
    "KL115": "signing key (proven by a token)",
    "KL116": "known production key",
}

_KNOWN = re.compile(r"^(?:sha256:)?(?P<digest>[0-9a-fA-F]{64})(?:\s+(?P<label>.*))?$")


class KnownKeysError(Exception):
    """A known-keys file that cannot be read or has a malformed line."""


@dataclass(frozen=True, slots=True)
class Place:
    path: str  # as the user should read it: relative to where they ran keylint, else absolute
    line: int
    code: str


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: str  # sha256 hex of the normalized key material; "" when it could not be derived
    kinds: tuple[str, ...]
    places: tuple[Place, ...]
    known_as: str | None = None  # the label of the matching known-keys entry: a production key

    @property
    def critical(self) -> bool:
        return self.known_as is not None


def load_known_keys(path: Path) -> dict[str, str]:
    """digest -> label from a file of `sha256:<hex> label` lines (`#` comments, blank lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownKeysError(f"{path}: cannot read: {exc}") from None
    known: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _KNOWN.match(line)
        if m is None:
            # a typo here would silently miss a production key: refuse the file
            raise KnownKeysError(f"{path}:{number}: expected `sha256:<64 hex digits> [label]`")
        known[m.group("digest").lower()] = (m.group("label") or "").strip() or f"line {number}"
    return known


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def build_inventory(found: Iterable[tuple[Path, Finding]], known: dict[str, str], cwd: Path) -> tuple[KeyRow, ...]:
    """Rows for findings of key material, given with the absolute root of the project they came from."""
    grouped: dict[str, list[tuple[Place, str]]] = {}
    for root, finding in found:
        if finding.code not in KINDS:
            continue
        place = Place(display_path(root / finding.location.path, cwd), finding.location.span.line, finding.code)
        # a finding whose key could not be derived is its own row, keyed by its place
        group = finding.key or f"\0{place.path}:{place.line}:{place.code}"
        grouped.setdefault(group, []).append((place, KINDS[finding.code]))
    rows = []
    for group, items in grouped.items():
        key = "" if group.startswith("\0") else group
        places = tuple(sorted({p for p, _ in items}, key=lambda p: (p.path, p.line, p.code)))
        kinds = tuple(sorted({k for _, k in items}))
        rows.append(KeyRow(key, kinds, places, known.get(key) if key else None))
    rows.sort(key=lambda r: (not r.critical, -len(r.places), r.places[0].path, r.places[0].line, r.key))
    return tuple(rows)


def render_text(rows: tuple[KeyRow, ...]) -> str:
    out = []
    for row in rows:
        head = f"sha256:{row.key}" if row.key else "(fingerprint unknown)"
        if row.critical:
            out.append(f"CRITICAL {head}  known key {row.known_as!r}: {', '.join(row.kinds)}")
        else:
            out.append(f"{head}  {', '.join(row.kinds)}")
        out.extend(f"    {p.path}:{p.line}  {p.code}" for p in row.places)
    keys = len(rows)
    places = sum(len(r.places) for r in rows)
    critical = sum(1 for r in rows if r.critical)
    out.append(f"{keys} key{'s' if keys != 1 else ''} in {places} place{'s' if places != 1 else ''}" + (f"; {critical} known production key{'s' if critical != 1 else ''}" if critical else ""))
    return "\n".join(out) + "\n"


def render_json(rows: tuple[KeyRow, ...]) -> dict[str, object]:
    return {
        "schema_version": 1,
        "keys": [
            {
                "fingerprint": f"sha256:{r.key}" if r.key else None,
                "kinds": list(r.kinds),
                "severity": "critical" if r.critical else None,
                "known_as": r.known_as,
                "places": [{"path": p.path, "line": p.line, "code": p.code} for p in r.places],
            }
            for r in rows
        ],
    }
