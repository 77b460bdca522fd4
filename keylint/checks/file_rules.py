"""KL110, KL111, KL112, KL113, KL114, KL303: decided per file by the secret scanner, config heuristics and OpenAPI reader.

Extraction already made these findings (`FileFacts.findings`); the check passes them on so that
selection, suppression and reporting treat them like every other rule, one finding per root cause:
the same secret written again in the same file is one finding with the repeats as related
locations, and a value that a specific detector recognised (a private key, a JWT, a service's
credential) is not reported again by the key-name heuristics of configuration files.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.facts import FileFinding

CODES = ("KL110", "KL111", "KL112", "KL113", "KL114", "KL303")
_SPECIFIC = ("KL110", "KL112", "KL113")  # detectors that know what the value is
_BY_NAME = ("KL111", "KL114")  # configuration entries judged by their names


def check(ctx: Context) -> Iterator[Draft]:
    for path, facts in ctx.project.files.items():
        findings = facts.findings
        if ctx.is_test(path):
            # a recorded report, response or fixture under a test path holds what the tests read:
            # a field named `secret` there is another program's record, not a key this one runs with
            findings = [f for f in findings if not f.data_document]
        yield from _drafts(path, findings)


def _overlaps(a: FileFinding, b: FileFinding) -> bool:
    return a.span.line == b.span.line and a.span.column < b.span.end_column and b.span.column < a.span.end_column


def _drafts(path: str, findings: Iterable[FileFinding]) -> Iterator[Draft]:
    ordered = sorted(findings, key=lambda f: (f.span, f.code))
    specific = [f for f in ordered if f.code in _SPECIFIC]
    kept = [f for f in ordered if not (f.code in _BY_NAME and any(_overlaps(f, s) for s in specific))]
    # the same secret (same code and identity) again in this file: related locations of the first
    groups: dict[tuple[str, str], list[FileFinding]] = {}
    for f in kept:
        groups.setdefault((f.code, f.token) if f.key and f.code != "KL303" else (f.code, f"{f.token}@{f.span}"), []).append(f)
    for first, *repeats in groups.values():
        message = first.message
        if repeats:
            lines = sorted({r.span.line for r in repeats})
            message += f" The same value is written again on line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}."
        related = tuple((path, r.span, "the same value again") for r in repeats)
        yield Draft(first.code, path, first.span, message, first.token, first.secret_columns, related, severity=first.severity, key=first.key)
