"""Baselines: the findings a team has accepted for now, so a scan reports only new ones.

A baseline entry is (rule, path, fingerprint), where the fingerprint is `Finding.fingerprint`: a
hash of the rule, the path and the normalized flagged source (a digest where that is a secret), with
no line number. So an entry survives edits that move the flagged line, and a baseline file never
holds a secret, a line number or a timestamp: the same findings always give the same file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from keylint.model import Finding, Report

BASELINE_NAME = ".keylint-baseline.json"
_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or is not one keylint wrote."""


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: frozenset[tuple[str, str, str]]  # (rule, path, fingerprint)

    def __contains__(self, finding: object) -> bool:
        if not isinstance(finding, Finding):
            return False
        return (finding.code, finding.location.path, finding.fingerprint) in self.entries


def render_baseline(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """The baseline file for `findings`: sorted, deterministic JSON."""
    entries = sorted({(f.code, f.location.path, f.fingerprint) for f in findings}, key=lambda e: (e[1], e[0], e[2]))
    document = {
        "keylint_baseline": _VERSION,
        "findings": [{"rule": rule, "path": path, "fingerprint": fingerprint} for rule, path, fingerprint in entries],
    }
    return json.dumps(document, indent=2) + "\n"


def load_baseline(path: Path) -> Baseline:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file; create it with `keylint baseline`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read: {exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("keylint_baseline") != _VERSION or not isinstance(document.get("findings"), list):
        raise BaselineError(f"{path}: not a keylint baseline (version {_VERSION})")
    entries = set()
    for index, entry in enumerate(document["findings"]):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("rule", "path", "fingerprint")):
            raise BaselineError(f"{path}: findings[{index}] needs string 'rule', 'path' and 'fingerprint'")
        entries.add((entry["rule"], entry["path"], entry["fingerprint"]))
    return Baseline(frozenset(entries))


def apply_baseline(report: Report, baseline: Baseline) -> tuple[Report, int]:
    """The report without the findings in `baseline`, and how many were left out."""
    kept = tuple(f for f in report.findings if f not in baseline)
    return replace(report, findings=kept), len(report.findings) - len(kept)
