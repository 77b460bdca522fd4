"""SARIF 2.1.0 for GitHub code scanning (see ../shared/conventions.md R1-R12).

Deterministic: no timestamps, no absolute paths, rules and results in a fixed order, so the same
tree gives byte-identical output. Snippets and messages are already redacted by the engine.
"""

from __future__ import annotations

import json
from urllib.parse import quote
from typing import Any

from keylint import __version__
from keylint.catalog import Catalog, RuleMeta
from keylint.model import Finding, Report, Span

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/keylint/keylint"
FINGERPRINT_KEY = "keylint/v1"


def _region(span: Span, snippet: str | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }
    if snippet:
        region["snippet"] = {"text": snippet}
    return region


def _uri(path: str) -> str:
    """A relative URI reference for a repository path: spaces, `#`, `%` and non-ASCII percent-encoded."""
    return quote(path, safe="/")


def location(path: str, span: Span, snippet: str | None = None) -> dict[str, Any]:
    """`path` already carries the report's `uri_prefix`."""
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
            "region": _region(span, snippet),
        }
    }


def _first_paragraph(doc: str) -> str:
    for block in doc.split("\n\n"):
        text = " ".join(line.strip() for line in block.splitlines() if not line.startswith("#")).strip()
        if text:
            return text[:1024]
    return ""


def _rule(meta: RuleMeta) -> dict[str, Any]:
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary[:1024]},
        "fullDescription": {"text": _first_paragraph(meta.doc.split("## What it does", 1)[-1]) or meta.summary},
        "help": {"text": meta.doc, "markdown": meta.doc},
        "helpUri": f"{INFORMATION_URI}/blob/main/rules/docs/{meta.code}.md",
        "defaultConfiguration": {"level": meta.severity.level},
        "properties": {
            "tags": list(meta.tags[:10]),
            "precision": meta.precision,
            "security-severity": meta.severity.score,
            "problem.severity": "error" if meta.severity.level == "error" else meta.severity.level,
        },
    }


def rule_index(catalog: Catalog) -> tuple[list[RuleMeta], dict[str, int]]:
    """The rules in the order the log lists them, and each code's index among them."""
    rules = sorted(catalog.rules, key=lambda r: r.code)
    return rules, {r.code: i for i, r in enumerate(rules)}


def result(f: Finding, index: dict[str, int], uri_prefix: str, message: str | None = None) -> dict[str, Any]:
    """One result for a finding: its location, fingerprints, related locations and path."""
    out: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": f.severity.level,
        "message": {"text": message if message is not None else f.message},
        "locations": [location(uri_prefix + f.location.path, f.location.span, f.snippet)],
        "partialFingerprints": {"primaryLocationLineHash": f.line_hash, FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity.value, "security-severity": f.severity.score},
    }
    if not f.line_hash:
        del out["partialFingerprints"]["primaryLocationLineHash"]
    if f.precision:
        out["properties"]["precision"] = f.precision
    if f.related:
        out["relatedLocations"] = [
            {"id": i, **location(uri_prefix + r.location.path, r.location.span), "message": {"text": r.message}}
            for i, r in enumerate(f.related, start=1)
        ]
    if f.steps:  # a master-key path: GitHub lets the reviewer step through it
        out["codeFlows"] = [{
            "message": {"text": f"{len(f.steps)} steps from the key to the accounts it opens"},
            "threadFlows": [{"locations": [
                {"location": {**location(uri_prefix + r.location.path, r.location.span), "message": {"text": r.message}}}
                for r in f.steps
            ]}],
        }]
    return out


def render(report: Report, catalog: Catalog, category: str = "keylint") -> str:
    rules, index = rule_index(catalog)
    results = [result(f, index, report.uri_prefix) for f in report.findings]
    notifications = [
        {
            "level": "note" if e.kind == "skipped" else "warning" if e.kind in ("decode", "suppression") else "error",
            "message": {"text": f"{e.path}: {e.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(report.uri_prefix + e.path), "uriBaseId": "%SRCROOT%"},
                        **({"region": {"startLine": e.line}} if e.line else {}),
                    }
                }
            ],
            "properties": {"kind": e.kind},
        }
        for e in report.errors
    ]
    successful = not any(e.kind in ("read", "parse", "timeout", "crash") for e in report.errors)
    return log(rules, results, notifications, successful, category)


def log(rules: list[RuleMeta], results: list[dict[str, Any]], notifications: list[dict[str, Any]], successful: bool, category: str) -> str:
    """The SARIF log of one run: the tool with every rule, the results, the notifications."""
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keylint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "automationDetails": {"id": f"{category}/"},
                "columnKind": "unicodeCodePoints",
                "redactionTokens": ["<redacted>"],
                "invocations": [
                    {
                        "executionSuccessful": successful,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
