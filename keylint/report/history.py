"""Reports of `keylint scan --history`: one entry per leaked key (text, json, github annotations, SARIF).

A key found in history is leaked whether or not HEAD still has it: every clone holds the commit.
Each entry says where the key came in, which branches still carry it, and that it must be
rotated; a key no branch carries any more is called deleted, never fixed.
"""

from __future__ import annotations

import json

from keylint.catalog import Catalog
from keylint.history import HistoryReport, LeakedKey
from keylint.report.github import escape_data, escape_property
from keylint.report.text import printable

_ROTATE = "rotate it: removing it from the code does not take it out of history"
_DELETED = "deleted from every branch, but still in history (every clone has it): rotate it"


def _short(identity: str) -> str:
    kind, _, digest = identity.partition(":")
    return f"{kind}:{digest[:8]}…{digest[-4:]}" if kind == "sha256" else "(no key fingerprint)"


def _where(key: LeakedKey) -> str:
    if not key.carriers:
        return _DELETED
    refs = ", ".join(f"{c.ref} ({', '.join(c.paths)})" for c in key.carriers)
    return f"still in {refs}; {_ROTATE}"


def render_text(report: HistoryReport, catalog: Catalog) -> str:
    names = {r.code: r.name for r in catalog.rules}
    out = []
    for key in report.keys:
        first = key.findings[0]
        span = first.location.span
        out.append(f"{first.code} {names.get(first.code, '')} [{first.severity.value}]  {_short(key.identity)}")
        out.append(f"    introduced in {key.commit[:12]}  {printable(first.location.path)}:{span.line}:{span.column}")
        out.append(f"    {first.message}")
        if first.snippet:
            out.append(f"    {span.line:>5} | {printable(first.snippet.strip())}")
        for other in key.findings[1:]:
            out.append(f"    also {printable(other.location.path)}:{other.location.span.line} ({other.code})")
        out.append(f"    {_where(key)}")
    out.append(summary(report))
    return "\n".join(out) + "\n"


def summary(report: HistoryReport) -> str:
    keys, s = report.keys, report.stats
    deleted = sum(1 for k in keys if not k.carriers)
    head = f"{len(keys)} leaked key{'s' if len(keys) != 1 else ''} in history"
    if deleted:
        head += f" ({deleted} deleted from every branch: still leaked, rotate {'them' if deleted != 1 else 'it'})"
    read = (
        f"Read {s.commits} commit{'s' if s.commits != 1 else ''} and {s.versions} file version{'s' if s.versions != 1 else ''}; "
        f"analysed {s.analysed} ({s.analysed_bytes / 1e6:.1f} MB)"
    )
    notes = []
    if s.binary:
        notes.append(f"{s.binary} skipped as binary")
    if s.too_large:
        notes.append(f"{s.too_large} skipped as over max-file-size")
    if s.not_utf8:
        notes.append(f"{s.not_utf8} not valid UTF-8 (read with replacement characters)")
    if s.problems:
        notes.append(f"{len(s.problems)} only secret-scanned ({'; '.join(s.problems[:3])})")
    return f"{head}. {read}" + (f"; {', '.join(notes)}." if notes else ".")


def render_json(report: HistoryReport, catalog: Catalog) -> str:
    names = {r.code: r.name for r in catalog.rules}
    s = report.stats
    document = {
        "schema_version": 1,
        "range": list(report.range),
        "keys": [
            {
                "key": key.identity,
                "commit": key.commit,
                "in_head": key.in_head,
                "deleted": not key.carriers,
                "action": "rotate",
                "carried_by": [{"ref": c.ref, "paths": list(c.paths)} for c in key.carriers],
                "findings": [
                    {
                        "path": f.location.path, "line": f.location.span.line, "column": f.location.span.column,
                        "code": f.code, "name": names.get(f.code, ""), "severity": f.severity.value,
                        "message": f.message, "snippet": f.snippet, "fingerprint": f.fingerprint,
                    }
                    for f in key.findings
                ],
            }
            for key in report.keys
        ],
        "summary": {
            "commits": s.commits, "file_versions": s.versions, "analysed": s.analysed, "gated": s.gated, "patch_bytes": s.patch_bytes,
            "analysed_bytes": s.analysed_bytes, "skipped_binary": s.binary, "skipped_too_large": s.too_large,
            "not_utf8": s.not_utf8, "secrets_only": list(s.problems),
        },
    }
    return json.dumps(document, indent=2) + "\n"


def render_github(report: HistoryReport, catalog: Catalog) -> str:
    """One `::error` per key, on its file and line at the commit that introduced it."""
    names = {r.code: r.name for r in catalog.rules}
    out = []
    for key in report.keys:
        f = key.findings[0]
        title = f"{f.code} {names.get(f.code, '')} in history".strip()
        message = f"{f.message} Introduced in {key.commit[:12]}; {_where(key)}."
        out.append(f"::error file={escape_property(report.uri_prefix + f.location.path)},line={f.location.span.line},title={escape_property(title)}::{escape_data(message)}")
    out.append(f"::notice title=keylint history::{escape_data(summary(report))}")
    return "".join(line + "\n" for line in out)


# a history upload must not replace the tree scan's alerts: GitHub keeps one set per category
SARIF_CATEGORY = "keylint-history"


def render_sarif(report: HistoryReport, catalog: Catalog) -> str:
    """One result per key, at its file and line in the commit that introduced it.

    That path may be gone from the commit code scanning analyses (a deleted key): GitHub still
    shows the alert, without the code, so the commit is said in the message and kept in the
    result's properties. The fingerprints are those of the finding at the introducing commit
    (GitHub computes none for a file it cannot find), so each key stays one alert across runs."""
    from keylint.report.sarif import location, log, result, rule_index

    rules, index = rule_index(catalog)
    results = []
    for key in report.keys:
        f = key.findings[0]
        out = result(f, index, report.uri_prefix, f"{f.message} Introduced in commit {key.commit[:12]}; {_where(key)}.")
        also = [
            {"id": i, **location(report.uri_prefix + o.location.path, o.location.span), "message": {"text": f"the same key ({o.code}) in that commit"}}
            for i, o in enumerate(key.findings[1:], start=len(out.get("relatedLocations", ())) + 1)
        ]
        if also:
            out["relatedLocations"] = [*out.get("relatedLocations", ()), *also]
        out["properties"].update({
            "commit": key.commit, "key": key.identity, "inHead": key.in_head, "deleted": not key.carriers,
            "carriedBy": [{"ref": c.ref, "paths": [report.uri_prefix + p for p in c.paths]} for c in key.carriers],
        })
        results.append(out)
    s = report.stats
    notes = [{"level": "note", "message": {"text": summary(report)}}]
    notes += [{"level": "warning", "message": {"text": f"only secret-scanned: {problem}"}} for problem in s.problems]
    return log(rules, results, notes, not s.problems, SARIF_CATEGORY)


RENDERERS = {"text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif}
