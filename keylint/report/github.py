"""GitHub Actions workflow-command annotations, one per finding (a master-key path with its steps) and per file error."""

from __future__ import annotations

from keylint.catalog import Catalog
from keylint.model import Report, Severity

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def escape_data(value: str) -> str:
    """A workflow command's message, escaped."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value, escaped."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, catalog: Catalog) -> str:
    names = {r.code: r.name for r in catalog.rules}
    out = []
    for f in report.findings:
        s = f.location.span
        props = [f"file={escape_property(report.uri_prefix + f.location.path)}", f"line={s.line}", f"endLine={s.end_line}"]
        if s.line == s.end_line:
            props += [f"col={s.column}", f"endColumn={s.end_column}"]
        title = f"{f.code} {names.get(f.code, '')}".strip()
        props.append(f"title={escape_property(title)}")
        message = f.message
        if f.steps:  # one annotation per master-key path, its steps in order
            message += "\n" + "\n".join(f"{i}. {r.location.path}:{r.location.span.line}: {r.message}" for i, r in enumerate(f.steps, start=1))
        out.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{escape_data(message)}")
    for e in report.errors:
        props = [f"file={escape_property(report.uri_prefix + e.path)}"] + ([f"line={e.line}"] if e.line else []) + ["title=keylint could not scan this file"]
        out.append(f"::warning {','.join(props)}::{escape_data(e.message)}")
    return "".join(line + "\n" for line in out)
