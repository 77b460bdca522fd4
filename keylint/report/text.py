"""Human output: the master-key paths first, one short story each with its steps; then one block per finding, the (redacted) source line highlighted when colour is on."""

from __future__ import annotations

from collections import Counter

from keylint.catalog import Catalog
from keylint.model import Report, Severity

_SEVERITY_COLOR = {Severity.CRITICAL: "\x1b[1;31m", Severity.HIGH: "\x1b[31m", Severity.MEDIUM: "\x1b[33m", Severity.LOW: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _highlight(line: str, path: str) -> str:
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_filename(path, stripnl=False)
    except ClassNotFound:
        return line
    return highlight(line, lexer, TerminalFormatter()).rstrip("\n")


def printable(text: str) -> str:
    """`text` with control characters escaped: a file may be named `x\\n::error ...` or carry a
    terminal escape sequence in its name, and neither may forge output lines or drive a terminal."""
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in text)


def render(report: Report, catalog: Catalog, color: bool) -> str:
    names = {r.code: r.name for r in catalog.rules}
    out: list[str] = []
    paths = [f for f in report.findings if f.steps]
    if paths:
        out.append(f"{_BOLD}Attack paths{_RESET}" if color else "Attack paths")
        out.append("")
        for f in paths:
            head = f"{printable(f.location.path)}:{f.location.span.line}: {f.code} [{f.severity.value}]"
            out.append(f"{_SEVERITY_COLOR[f.severity]}{head}{_RESET}" if color else head)
            out.append(f"    {f.message}")
            for i, r in enumerate(f.steps, start=1):
                out.append(f"    {i}. {printable(r.location.path)}:{r.location.span.line}: {r.message}")
            out.append("")
        out.append(f"{_BOLD}Findings{_RESET}" if color else "Findings")
        out.append("")
    for f in report.findings:
        s = f.location.span
        where = f"{printable(f.location.path)}:{s.line}:{s.column}"
        head = f"{where}: {f.code} [{f.severity.value}] {names.get(f.code, '')}"
        if color:
            head = f"{_BOLD}{where}{_RESET}: {_SEVERITY_COLOR[f.severity]}{f.code} [{f.severity.value}]{_RESET} {names.get(f.code, '')}"
        out.append(head)
        out.append(f"    {f.message}")
        if f.snippet:
            snippet = _highlight(f.snippet, f.location.path) if color else f.snippet
            gutter = f"{s.line:>6} | "
            out.append((f"{_DIM}{gutter}{_RESET}" if color else gutter) + snippet)
        for r in f.related if not f.steps else ():  # a path's steps are told above
            out.append(f"    related: {printable(r.location.path)}:{r.location.span.line}: {r.message}")
        out.append("")
    counts = Counter(f.severity for f in report.findings)
    if report.findings:
        parts = ", ".join(f"{counts[s]} {s.value}" for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW) if counts[s])
        files = len({f.location.path for f in report.findings})
        out.append(f"Found {len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} ({parts}) in {files} file{'s' if files != 1 else ''}.")
    else:
        out.append("No findings.")
    st = report.stats
    out.append(
        f"Scanned {st.files_scanned} files ({st.python_files} Python modules parsed, {st.cached_files} from cache); "
        f"skipped {st.skipped_binary} binary and {st.skipped_too_large} too large; {len(report.errors)} could not be fully scanned."
    )
    return "\n".join(out) + "\n"
