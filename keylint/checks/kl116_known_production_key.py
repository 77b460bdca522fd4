"""KL116 known-production-key: a key listed in the known-keys file is stored in the repository.

Run by the engine after the checks (the known-keys file may change while the tree does not, so the
match is not part of the cached analysis). A known-keys file holds `sha256:<hex> label` lines
(keylint.inventory.load_known_keys), the fingerprints `keylint fingerprint` prints; every finding
carries the fingerprint of its key (`Draft.key`), so matching compares digests only. One KL116 per
place: it replaces the other findings of that key there (keylint.supersede), which it names.
"""

from __future__ import annotations

from typing import Iterable

from keylint.model import Draft

CODE = "KL116"


def _label(text: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= 80 else shown[:79] + "…"


def match(drafts: Iterable[Draft], known: dict[str, str]) -> list[Draft]:
    """A KL116 draft at every place a finding names a key of `known` (digest -> label)."""
    out: list[Draft] = []
    seen: set[tuple[str, object, str]] = set()
    for d in sorted(drafts, key=lambda d: (d.path, d.span, d.code)):
        place = (d.path, d.span, d.key)
        if not d.key or d.key not in known or place in seen:
            continue
        seen.add(place)
        out.append(
            Draft(
                code=CODE,
                path=d.path,
                span=d.span,
                message=(
                    f"Known production key {_label(known[d.key])!r} (sha256:{d.key[:12]}…) is stored here. Every clone "
                    "of the repository holds it: revoke and rotate it now, then load its successor from a secret manager."
                ),
                token=f"known:{d.key}",
                secret_columns=d.secret_columns,
                key=d.key,
            )
        )
    return out
