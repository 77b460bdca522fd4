"""One finding per root cause: a finding that says more about a key replaces the plainer findings of
the same key at the same place.

A known production key (KL116) replaces every other finding of its key there; a key proven to sign
a token in the repository (KL115) replaces the hard-coded-key findings of that
key; so does production's key shared with other environments (KL404), where production takes it
from. The replacing finding names what it replaces and takes over
its related locations. Findings are matched by path, span and key digest, never by value.

The steps live here: `same_literal_once` runs with the checks (its result is cached with the
analysis), `supersede` after the rules decided outside the cache (KL115, KL116), and `join_paths`
last: the master-key paths (KL001) told to the findings they are made of.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from keylint.catalog import Catalog
from keylint.model import Draft, Severity

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


def same_literal_once(drafts: list[Draft], catalog: Catalog) -> list[Draft]:
    """A private key used as a signing key is reported by KL110 (from the file) and KL101 (from
    the code that uses it) on the same literal: one root cause, one finding. The stronger code is
    kept (by severity; KL110 on a tie) and the other's fact is added to its message and related
    locations."""
    keys = [d for d in drafts if d.code == "KL110"]
    if not keys:
        return drafts
    merged: dict[int, Draft] = {}  # id of a KL110 draft -> its merged form
    dropped: set[int] = set()
    for d in drafts:
        if d.code != "KL101":
            continue
        same = next((k for k in keys if k.path == d.path and d.span.line <= k.span.line <= d.span.end_line), None)
        if same is None:
            continue
        current = merged.get(id(same), same)
        strength = {x.code: (x.severity or catalog.rule(x.code).severity).rank for x in (current, d)}
        if strength["KL101"] > strength["KL110"]:
            keep, other = d, current
        else:
            keep, other = current, d
        merged[id(same)] = replace(
            keep,
            message=f"{keep.message} Also {other.code}: {other.message}",
            related=keep.related + tuple(r for r in other.related if r not in keep.related),
        )
        dropped.add(id(d))
    return [merged.get(id(d), d) for d in drafts if id(d) not in dropped]


PATH_CODE = "KL001"


def join_paths(drafts: Iterable[Draft], catalog: Catalog) -> list[Draft]:
    """The master-key paths (KL001) told to the findings they are made of, after `supersede`: a
    path whose key is a known production key (KL116) becomes critical and says so; each part names
    the path and takes its severity when that is higher. A part is matched by its place and code,
    or by the code that replaced it there."""
    drafts = list(drafts)
    known = {(d.path, d.span) for d in drafts if d.code == "KL116"}
    paths: dict[int, Draft] = {}
    for i, d in enumerate(drafts):
        if d.code != PATH_CODE:
            continue
        if any(code in REPLACES["KL116"] and (path, span) in known for code, path, span in d.parts):
            d = replace(
                d, severity=Severity.CRITICAL,
                message=d.message.replace("Master-key path: ", "Master-key path (the key is a known production key, KL116): ", 1),
                steps=tuple((p, s, f"{m}; it is a known production key (KL116)") if n == 0 else (p, s, m) for n, (p, s, m) in enumerate(d.steps)),
            )
        paths[i] = d
    if not paths:
        return drafts
    of: dict[tuple[str, str, object], list[Draft]] = {}
    for p in paths.values():
        for code, path, span in p.parts:
            for c in {code, *(c for c, replaced in REPLACES.items() if code in replaced)}:
                of.setdefault((c, path, span), []).append(p)
    out: list[Draft] = []
    for i, d in enumerate(drafts):
        mine = of.get((d.code, d.path, d.span)) if i not in paths else None
        if not mine:
            out.append(paths.get(i, d))
            continue
        worst = max((p.severity or catalog.rule(PATH_CODE).severity for p in mine), key=lambda s: s.rank)
        own = d.severity or catalog.rule(d.code).severity
        places = ", ".join(sorted({f"{p.path}:{p.span.line}" for p in mine}))
        out.append(replace(
            d, message=f"{d.message} (Part of master-key path {PATH_CODE} at {places}.)",
            severity=worst if worst.rank > own.rank else d.severity,
        ))
    return out
