"""Key inventory: every key found, once, with every place it occurs.

Findings of the key-material rules (KL1xx) carry `Finding.key`, the SHA-256 of the normalized key
material (`keylint.keymaterial`). The inventory groups findings by it, across projects, so one key
found in three repositories and a laptop is one row. A known-keys file (fingerprints a security team
hands out without revealing any key) marks the rows that are production keys: critical.

Every place names its repository (`repository_name`), so the JSON inventories of many repositories,
made by one CI job each, merge into one (`merge_inventories`): one key found in N repositories is
one row listing all of them.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

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
SCHEMA_VERSION = 2  # 2: every place names its repository; rows list their repositories
_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
_CODE = re.compile(r"^KL\d{3}$")


class KnownKeysError(Exception):
    """A known-keys file that cannot be read or has a malformed line."""


class InventoryError(Exception):
    """An inventory to merge that cannot be read or is not a keylint inventory of this version."""


@dataclass(frozen=True, slots=True)
class Place:
    path: str  # as the user should read it: relative to where they ran keylint, else absolute
    line: int
    code: str
    repository: str = ""  # the repository the path is in (`repository_name`)


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: str  # sha256 hex of the normalized key material; "" when it could not be derived
    kinds: tuple[str, ...]
    places: tuple[Place, ...]
    known_as: str | None = None  # the label of the matching known-keys entry: a production key

    @property
    def critical(self) -> bool:
        return self.known_as is not None

    @property
    def repositories(self) -> tuple[str, ...]:
        return tuple(sorted({p.repository for p in self.places}))


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


def repository_name(root: Path) -> str:
    """The repository a project root is in: its git remote `origin` as host/owner/name (credentials
    and `.git` dropped), else the folder's name. Read from the local git configuration only."""
    try:
        done = subprocess.run(["git", "-C", str(root), "config", "--get", "remote.origin.url"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        done = None
    url = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    if "://" in url:  # https://user:token@host:port/owner/name.git, ssh://git@host:port/owner/name
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    else:  # scp-like: git@host:owner/name.git
        m = re.match(r"^(?:[^@/]*@)?(?P<host>[^/:]+):(?P<path>.+)$", url)
        host, path = (m.group("host"), m.group("path")) if m else ("", "")
    path = path.strip("/").removesuffix(".git")
    if not host or not path:
        return root.resolve().name or str(root)
    return f"{host}/{path}"


def build_inventory(found: Iterable[tuple[Path, str, Finding]], known: dict[str, str], cwd: Path) -> tuple[KeyRow, ...]:
    """Rows for findings of key material, each given with the absolute root of the project it came
    from and the name of that project's repository."""
    items = []
    for root, repository, finding in found:
        if finding.code in KINDS:
            place = Place(display_path(root / finding.location.path, cwd), finding.location.span.line, finding.code, repository)
            items.append((finding.key, place, KINDS[finding.code], None))
    return _rows(items, known)


def _rows(items: Iterable[tuple[str, Place, str, str | None]], known: dict[str, str]) -> tuple[KeyRow, ...]:
    """(key, place, kind, label it was known as) -> one row per key; a key that could not be
    derived ("") is a row of its own place."""
    grouped: dict[str, list[tuple[Place, str, str | None]]] = {}
    for key, place, kind, label in items:
        group = key or f"\0{place.repository}\0{place.path}:{place.line}:{place.code}"
        grouped.setdefault(group, []).append((place, kind, label))
    rows = []
    for group, members in grouped.items():
        key = "" if group.startswith("\0") else group
        places = tuple(sorted({p for p, _, _ in members}, key=lambda p: (p.path, p.line, p.code, p.repository)))
        kinds = tuple(sorted({k for _, k, _ in members}))
        carried = sorted({label for _, _, label in members if label})
        rows.append(KeyRow(key, kinds, places, (known.get(key) or (carried[0] if carried else None)) if key else None))
    rows.sort(key=lambda r: (not r.critical, -len(r.repositories), -len(r.places), r.places[0].path, r.places[0].line, r.key))
    return tuple(rows)


def _read_inventory(path: Path) -> tuple[list[tuple[str, Place, str, str | None]], list[str]]:
    """The rows of one `keylint inventory --format json` output, checked strictly: a malformed
    inventory would silently drop keys from the merged one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InventoryError(f"{path}: cannot read an inventory: {exc}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        version = data.get("schema_version") if isinstance(data, dict) else None
        raise InventoryError(f"{path}: not a keylint inventory of schema_version {SCHEMA_VERSION} (found {version!r}); make it with `keylint inventory --format json` of this version")
    keys, repositories = data.get("keys"), data.get("repositories")
    if not isinstance(keys, list):
        raise InventoryError(f"{path}: 'keys' must be a list")
    if not isinstance(repositories, list) or not all(isinstance(r, str) and r for r in repositories):
        raise InventoryError(f"{path}: 'repositories' must be a list of repository names")
    items: list[tuple[str, Place, str, str | None]] = []
    for i, row in enumerate(keys):
        where = f"{path}: keys[{i}]"
        if not isinstance(row, dict):
            raise InventoryError(f"{where}: expected an object")
        fingerprint, kinds, places, label = row.get("fingerprint"), row.get("kinds"), row.get("places"), row.get("known_as")
        if fingerprint is not None and not (isinstance(fingerprint, str) and _FINGERPRINT.match(fingerprint)):
            raise InventoryError(f"{where}: 'fingerprint' must be sha256:<64 hex digits> or null")
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds) or not kinds:
            raise InventoryError(f"{where}: 'kinds' must be a non-empty list of strings")
        if label is not None and not isinstance(label, str):
            raise InventoryError(f"{where}: 'known_as' must be a string or null")
        if not isinstance(places, list) or not places:
            raise InventoryError(f"{where}: 'places' must be a non-empty list")
        for j, p in enumerate(places):
            ok = isinstance(p, dict) and isinstance(p.get("repository"), str) and p["repository"] and isinstance(p.get("path"), str)
            ok = ok and isinstance(p.get("line"), int) and not isinstance(p.get("line"), bool) and isinstance(p.get("code"), str) and bool(_CODE.match(p["code"]))
            if not ok:
                raise InventoryError(f"{where}: places[{j}] needs repository, path, line and code")
            place = Place(p["path"], p["line"], p["code"], p["repository"])
            for kind in kinds:  # a row's kinds belong to the row, not to one place: kept on each
                items.append((fingerprint[len("sha256:"):] if fingerprint else "", place, kind, label))
    return items, repositories


def merge_inventories(paths: Iterable[Path], known: dict[str, str]) -> tuple[tuple[KeyRow, ...], list[str]]:
    """One inventory from the JSON inventories of many repositories: one row per key, and every
    repository the inputs scanned (those without keys too)."""
    items: list[tuple[str, Place, str, str | None]] = []
    repositories: set[str] = set()
    for path in paths:
        found, scanned = _read_inventory(path)
        items += found
        repositories.update(scanned)
    return _rows(items, known), sorted(repositories)


def render_text(rows: tuple[KeyRow, ...], merged_from: Sequence[str] | None = None) -> str:
    """One block per key; in an inventory merged from several repositories (`merged_from`) every
    place says which repository it is in (a local inventory's paths already say where they are)."""
    merged = merged_from is not None
    out = []
    for row in rows:
        head = f"sha256:{row.key}" if row.key else "(fingerprint unknown)"
        spread = f"  in {len(row.repositories)} repositories" if merged and len(row.repositories) > 1 else ""
        if row.critical:
            out.append(f"CRITICAL {head}  known key {row.known_as!r}: {', '.join(row.kinds)}{spread}")
        else:
            out.append(f"{head}  {', '.join(row.kinds)}{spread}")
        shown = sorted(row.places, key=lambda p: (p.repository, p.path, p.line)) if merged else row.places
        out.extend(f"    {p.repository + ': ' if merged else ''}{p.path}:{p.line}  {p.code}" for p in shown)
    keys = len(rows)
    places = sum(len(r.places) for r in rows)
    critical = sum(1 for r in rows if r.critical)
    repositories = len({r for row in rows for r in row.repositories})
    out.append(
        f"{keys} key{'s' if keys != 1 else ''} in {places} place{'s' if places != 1 else ''}"
        + (f" in {repositories} of {len(merged_from)} repositor{'ies' if len(merged_from) != 1 else 'y'}" if merged_from is not None else "")
        + (f"; {critical} known production key{'s' if critical != 1 else ''}" if critical else "")
    )
    return "\n".join(out) + "\n"


def render_json(rows: tuple[KeyRow, ...], repositories: Iterable[str] = ()) -> dict[str, Any]:
    """The versioned inventory document; `repositories` names those scanned (with or without keys)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "repositories": sorted({*repositories, *(r for row in rows for r in row.repositories)}),
        "keys": [
            {
                "fingerprint": f"sha256:{r.key}" if r.key else None,
                "kinds": list(r.kinds),
                "severity": "critical" if r.critical else None,
                "known_as": r.known_as,
                "repositories": list(r.repositories),
                "places": [{"repository": p.repository, "path": p.path, "line": p.line, "code": p.code} for p in r.places],
            }
            for r in rows
        ],
    }
