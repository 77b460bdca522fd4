"""JSON output. Schema (stable, versioned by `schema_version`):

{"schema_version": 1, "tool": {"name", "version"},
 "findings": [{"code", "name", "severity", "precision", "path", "line", "column", "end_line", "end_column",
               "message", "snippet", "fingerprint", "line_hash",
               "related": [{"path", "line", "column", "message"}]}],
 "paths": [{"fingerprint", "severity", "path", "line", "message",
            "steps": [{"path", "line", "column", "message"}]}],   (master-key paths, KL001, in order)
 "errors": [{"path", "line", "kind", "message"}],
 "stats": {"files_scanned", "python_files", "skipped_binary", "skipped_too_large", "cached_files"}}
"""

from __future__ import annotations

import json

from keylint import __version__
from keylint.catalog import Catalog
from keylint.model import Report


def render(report: Report, catalog: Catalog) -> str:
    names = {r.code: r.name for r in catalog.rules}
    precisions = {r.code: r.precision for r in catalog.rules}  # a finding on weaker evidence says its own
    data = {
        "schema_version": 1,
        "tool": {"name": "keylint", "version": __version__},
        "findings": [
            {
                "code": f.code,
                "name": names.get(f.code, ""),
                "severity": f.severity.value,
                "precision": f.precision or precisions.get(f.code, ""),
                "path": f.location.path,
                "line": f.location.span.line,
                "column": f.location.span.column,
                "end_line": f.location.span.end_line,
                "end_column": f.location.span.end_column,
                "message": f.message,
                "snippet": f.snippet,
                "fingerprint": f.fingerprint,
                "line_hash": f.line_hash,
                "related": [
                    {"path": r.location.path, "line": r.location.span.line, "column": r.location.span.column, "message": r.message}
                    for r in f.related
                ],
            }
            for f in report.findings
        ],
        "paths": [
            {
                "fingerprint": f.fingerprint,
                "severity": f.severity.value,
                "path": f.location.path,
                "line": f.location.span.line,
                "message": f.message,
                "steps": [
                    {"path": r.location.path, "line": r.location.span.line, "column": r.location.span.column, "message": r.message}
                    for r in f.steps
                ],
            }
            for f in report.findings
            if f.steps
        ],
        "errors": [{"path": e.path, "line": e.line, "kind": e.kind, "message": e.message} for e in report.errors],
        "stats": {
            "files_scanned": report.stats.files_scanned,
            "python_files": report.stats.python_files,
            "skipped_binary": report.stats.skipped_binary,
            "skipped_too_large": report.stats.skipped_too_large,
            "cached_files": report.stats.cached_files,
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
