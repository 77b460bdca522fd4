"""One finding per root cause: a finding that says more about a key replaces the plainer findings of
the same key at the same place.

A known production key (KL116) replaces every other finding of its key there; a key proven to sign
a token in the repository (KL115) replaces the hard-coded-key findings of that
key; so does production's key shared with other environments (KL404), where production takes it
from. The replacing finding names what it replaces and takes over
its related locations. Findings are matched by path, span and key digest, never by value.
"""

from __future__ import annotations

from typing import Iterable

from keylint.catalog import Catalog
from keylint.model import Draft

# code -> the codes it replaces at its own place, strongest first
REPLACES: dict[str, frozenset[str]] = {
    "KL116": frozenset({"KL101", "KL102", "KL110", "KL111", "KL112", "KL113", "KL115", "KL404"}),
    "KL115": frozenset({"KL101", "KL102", "KL111"}),
    "KL404": frozenset({"KL101", "KL102", "KL110", "KL111"}),
}
_MAX_RELATED = 20


def supersede(drafts: Iterable[Draft], catalog: Catalog) -> list[Draft]:
    """`drafts` with every replaced draft dropped and its replacement saying so."""
    drafts = list(drafts)
    places: dict[tuple[str, object, str], list[int]] = {}
    for i, d in enumerate(drafts):
        if d.key:
            places.setdefault((d.path, d.span, d.key), []).append(i)
    dropped: set[int] = set()
    changed: dict[int, Draft] = {}
    for indexes in places.values():
        if len(indexes) < 2:
            continue
        for code, replaced_codes in REPLACES.items():
            winner = next((i for i in indexes if drafts[i].code == code and i not in dropped), None)
            if winner is None:
                continue
            replaced = [i for i in indexes if i != winner and i not in dropped and drafts[i].code in replaced_codes]
            if not replaced:
                continue
            dropped.update(replaced)
            base = changed.get(winner, drafts[winner])
            related = list(base.related)
            for i in replaced:
                related += [r for r in drafts[i].related if r not in related]
            named = sorted({f"{drafts[i].code} {catalog.rule(drafts[i].code).name}" for i in replaced})
            changed[winner] = Draft(
                code=base.code, path=base.path, span=base.span,
                message=f"{base.message} (Replaces {', '.join(named)} here.)",
                token=base.token, secret_columns=base.secret_columns, related=tuple(related[:_MAX_RELATED]),
                severity=base.severity, key=base.key,
            )
    return [changed.get(i, d) for i, d in enumerate(drafts) if i not in dropped]
