"""Command line. The only module that prints, reads the environment for colour, or picks exit codes.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
`--exit-zero` turns 1 into 0 but never hides 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from keylint import __version__
from keylint.baseline import BASELINE_NAME, BaselineError, apply_baseline, load_baseline, render_baseline
from keylint.catalog import CatalogError, load_catalog
from keylint.config import SEVERITY_NAMES, Config, ConfigError, cache_dir_default, find_root, load_config
from keylint.engine import ScanOptions, paths_relative_to, scan
from keylint.history import HistoryError, HistoryOptions, scan_history
from keylint.inventory import InventoryError, KeyRow, KnownKeysError, build_inventory, load_known_keys, merge_inventories, repository_name
from keylint.inventory import render_json as render_inventory_json
from keylint.inventory import render_text as render_inventory_text
from keylint.keymaterial import material_id
from keylint.model import Finding, Report, Severity
from keylint.report import REPORTERS
from keylint.report.sarif import render as render_sarif
from keylint.report.text import printable
from keylint.sweep import sweep

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(value: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    for c in codes:
        if not c.startswith("KL") or not c[2:].isdigit() and c != "KL":
            raise argparse.ArgumentTypeError(f"not a rule code or prefix: {c!r} (expected e.g. KL101 or KL1)")
    return codes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keylint", description="Find hard-coded signing keys and the designs that make one key a master key.")
    parser.add_argument("--version", action="version", version=f"keylint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("scan", help="scan files or folders (default: the current folder)")
    s.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    s.add_argument("--format", choices=sorted(REPORTERS), default="text")
    s.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    s.add_argument("--sarif-output", type=Path, help="also write SARIF to this file")
    s.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to report (default: all)")
    s.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes not to report")
    s.add_argument("--config", type=Path, help="configuration file (default: nearest pyproject.toml or keylint.toml)")
    s.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings (errors still exit 2)")
    s.add_argument("--fail-on", choices=SEVERITY_NAMES, help="exit 1 only for findings at or above this severity (default: `fail-on` in the configuration, else low)")
    s.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    s.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per CPU)")
    s.add_argument("--no-cache", action="store_true", help="neither read nor write the fact cache")
    s.add_argument("--cache-dir", type=Path, help="fact cache location (default: $KEYLINT_CACHE_DIR or ~/.cache/keylint)")
    s.add_argument("--fail-on-error", action="store_true", default=None, help="exit 2 when a file cannot be read or parsed")
    s.add_argument("--file-timeout", type=float, default=60.0, metavar="SECONDS", help="time one file may take; a slower file is reported and scanned for secrets only (default 60)")
    s.add_argument("--no-prefilter", action="store_true", help="parse every Python module, not only those a rule could use (slower; same findings)")
    s.add_argument("--baseline", type=Path, help="report only findings not in this baseline file (default: `baseline` in the configuration)")
    s.add_argument("--no-baseline", action="store_true", help="ignore the configured baseline and report every finding")
    s.add_argument("--known-keys", type=Path, help="file of `sha256:<hex> label` lines (from `keylint fingerprint`): a listed key found here is KL116, critical (default: `known-keys` in the configuration)")
    s.add_argument("--history", nargs="?", const="", metavar="REV-RANGE", help="report every key (KL1xx) that the commits of REV-RANGE added, deleted since or not (default: every branch and tag); every format, SARIF under the category keylint-history")
    s.add_argument("--since", metavar="REF", help="with --history: only the commits that REF does not contain (e.g. the last commit CI scanned)")
    s.add_argument("--history-exhaustive", action="store_true", help=argparse.SUPPRESS)  # the slow reference: every commit's tree

    b = sub.add_parser("baseline", help=f"record the current findings in a baseline file (default {BASELINE_NAME} in the project root)")
    b.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    b.add_argument("--output", "-o", type=Path, help="baseline file to write (default: `baseline` in the configuration, else the project root)")
    b.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to record (default: all)")
    b.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes not to record")
    b.add_argument("--config", type=Path, help="configuration file (default: nearest pyproject.toml or keylint.toml)")
    b.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per CPU)")
    b.add_argument("--no-cache", action="store_true", help="neither read nor write the fact cache")
    b.add_argument("--cache-dir", type=Path, help="fact cache location (default: $KEYLINT_CACHE_DIR or ~/.cache/keylint)")

    sw = sub.add_parser("sweep", help="find key material in everything under a folder (default: your home folder) and list it by key")
    sw.add_argument("folder", nargs="?", type=Path, default=None, metavar="DIR")
    inv = sub.add_parser("inventory", help="list every key found in the given projects, once, with every place it occurs")
    inv.add_argument("paths", nargs="*", type=Path, default=[], metavar="PATH", help="projects to scan (default: the current folder)")
    inv.add_argument("--repository", help="the repository name to record for PATH (default: its git remote origin, else the folder name)")
    inv.add_argument("--merge", nargs="+", type=Path, metavar="INVENTORY", help="merge these `inventory --format json` outputs (one per repository) into one inventory instead of scanning")
    for p in (sw, inv):
        p.add_argument("--known-keys", type=Path, help="file of `sha256:<hex> label` lines (from `keylint fingerprint`): matches are critical")
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.add_argument("--output", "-o", type=Path, help="write the inventory here instead of stdout")
        p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: one per CPU)")
        p.add_argument("--no-cache", action="store_true", help="neither read nor write the fact cache")
        p.add_argument("--cache-dir", type=Path, help="fact cache location (default: $KEYLINT_CACHE_DIR or ~/.cache/keylint)")
    fp = sub.add_parser("fingerprint", help="print the fingerprint of a key file or a secret (for a --known-keys file); never the key")
    fp.add_argument("files", nargs="*", default=["-"], metavar="FILE", help="key files; `-` (the default) reads a secret or key from stdin")

    sub.add_parser("rules", help="list every rule")
    r = sub.add_parser("rule", help="show one rule's documentation")
    r.add_argument("code")
    return parser


def _use_color(choice: str, stream_is_tty: bool) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream_is_tty


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _missing(paths: Sequence[Path]) -> bool:
    for p in paths:
        if not p.exists():
            print(f"keylint: no such file or folder: {p}", file=sys.stderr)
            return True
    return False


def _scan(args: argparse.Namespace) -> tuple[Config, Report]:
    """Scan the project holding `args.paths`, reporting findings under them."""
    resolved = [p.resolve() for p in args.paths]
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    root = find_root(common)
    known = getattr(args, "known_keys", None)
    overrides = {
        "select": args.select, "ignore": args.ignore, "fail_on_error": getattr(args, "fail_on_error", None),
        "fail_on": getattr(args, "fail_on", None), "known_keys": str(known.resolve()) if known is not None else None,
    }
    config = load_config(root, args.config, overrides)
    cache_dir = None if args.no_cache else (args.cache_dir or cache_dir_default())
    selected = paths_relative_to(root, resolved)
    timeout = max(0.1, getattr(args, "file_timeout", 60.0))
    line = _status_line()
    progress = _ScanProgress(line) if line is not None else None
    options = ScanOptions(jobs=max(0, args.jobs), cache_dir=cache_dir, file_timeout=timeout, prefilter=not getattr(args, "no_prefilter", False), progress=progress)
    try:
        return config, scan(config, selected, options)
    finally:
        if line is not None:
            line.clear()


def _cmd_baseline(args: argparse.Namespace) -> int:
    if _missing(args.paths):
        return EXIT_ERROR
    config, report = _scan(args)
    target = args.output or (Path(config.baseline) if config.baseline else config.root / BASELINE_NAME)
    _write(target, render_baseline(report.findings))
    print(f"keylint: wrote {len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} to {target}", file=sys.stderr)
    return EXIT_CLEAN


def _cmd_history(args: argparse.Namespace) -> int:
    from keylint.report.history import RENDERERS as HISTORY_RENDERERS

    if args.format not in HISTORY_RENDERERS:
        print(f"keylint: --history writes {', '.join(sorted(HISTORY_RENDERERS))}, not {args.format}", file=sys.stderr)
        return EXIT_ERROR
    # options of a tree scan that mean nothing for history: refused rather than silently ignored
    tree_only = [flag for flag, given in (
        ("--baseline", args.baseline is not None), ("--no-baseline", args.no_baseline), ("--no-prefilter", args.no_prefilter),
        ("--fail-on-error", bool(args.fail_on_error)), ("--no-cache", args.no_cache), ("--cache-dir", args.cache_dir is not None),
    ) if given]
    if tree_only:
        print(f"keylint: {', '.join(tree_only)} {'applies' if len(tree_only) == 1 else 'apply'} to a tree scan, not to --history", file=sys.stderr)
        return EXIT_ERROR
    root = find_root(args.paths[0].resolve())
    known = str(args.known_keys.resolve()) if args.known_keys is not None else None
    overrides = {"select": args.select, "ignore": args.ignore, "fail_on": args.fail_on, "known_keys": known}
    config = load_config(root, args.config, overrides)
    options = HistoryOptions(args.history or "", args.since, max(0, args.jobs), max(0.1, args.file_timeout), args.history_exhaustive)
    line = _status_line()
    try:
        report = scan_history(config, options, _history_progress(line) if line is not None else None)
    finally:
        if line is not None:
            line.clear()
    catalog = load_catalog(config.extend_catalogs)
    _write(args.output, HISTORY_RENDERERS[args.format](report, catalog))
    if args.sarif_output is not None:
        _write(args.sarif_output, HISTORY_RENDERERS["sarif"](report, catalog))
    if args.format != "text":
        from keylint.report.history import summary

        print(f"keylint: {summary(report)}", file=sys.stderr)
    return EXIT_FINDINGS if _failing([f for k in report.keys for f in k.findings], config) and not args.exit_zero else EXIT_CLEAN


class _StatusLine:
    """One line on stderr, redrawn in place: the progress of a long command. Made only when
    stderr is a terminal (`_status_line`), and cleared before anything else is printed."""

    def __init__(self) -> None:
        self.width, self.drawn = shutil.get_terminal_size((80, 20)).columns, False

    def show(self, text: str) -> None:
        sys.stderr.write("\r" + text[: self.width - 1].ljust(self.width - 1))
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.drawn = False


def _status_line() -> _StatusLine | None:
    return _StatusLine() if sys.stderr.isatty() else None


# a scan shorter than this shows no progress line (a pre-commit run on a warm cache)
PROGRESS_DELAY = 0.5


class _ScanProgress:
    """The tree scan's progress: files read, files extracted, of how many (`ScanOptions.progress`)."""

    def __init__(self, line: _StatusLine) -> None:
        self.line, self.started = line, time.monotonic()
        self.read = self.parsed = (0, 0)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "read":
            self.read = (done, total)
        elif stage == "parsed":
            self.parsed = (done, total)
        if time.monotonic() - self.started < PROGRESS_DELAY:
            return
        text = f"keylint: {self.read[0]}/{self.read[1]} files read"
        if self.parsed[1]:
            text += f", {self.parsed[0]}/{self.parsed[1]} extracted"
        if stage == "checking":
            text += ", linking and checking"
        self.line.show(text)


def _history_progress(line: _StatusLine) -> Callable[[str, int, int, int, int], None]:
    """History's progress: commits read, file versions read and analysed (`scan_history`)."""

    def show(stage: str, done: int, total: int, read: int, analysed: int) -> None:
        if stage in ("commits", "trees"):
            line.show(f"keylint: history: {done}/{total} commits read, {read} file versions, {analysed} to analyse")
        else:
            line.show(f"keylint: history: {stage} {done}/{total} file versions ({read} read)")

    return show


def _cmd_scan(args: argparse.Namespace) -> int:
    if _missing(args.paths):
        return EXIT_ERROR
    if args.history is not None:
        return _cmd_history(args)
    if args.since is not None or args.history_exhaustive:
        print("keylint: --since and --history-exhaustive go with --history", file=sys.stderr)
        return EXIT_ERROR
    config, report = _scan(args)
    catalog = load_catalog(config.extend_catalogs)
    baseline = None if args.no_baseline else args.baseline or (Path(config.baseline) if config.baseline else None)
    if baseline is not None:
        report, known = apply_baseline(report, load_baseline(baseline))
        if known and args.format == "text":
            print(f"keylint: {known} finding{'s' if known != 1 else ''} in baseline {baseline} not shown", file=sys.stderr)

    for e in report.errors:
        where = f"{e.path}:{e.line}" if e.line else e.path
        print(f"keylint: {printable(where)}: {printable(e.message)}", file=sys.stderr)
    color = args.format == "text" and _use_color(args.color, args.output is None and sys.stdout.isatty())
    _write(args.output, REPORTERS[args.format](report, catalog, color))
    if args.sarif_output is not None:
        _write(args.sarif_output, render_sarif(report, catalog))

    if config.fail_on_error and any(e.kind in ("read", "parse", "timeout", "crash", "suppression") for e in report.errors):
        return EXIT_ERROR
    if _failing(report.findings, config) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _failing(findings: Sequence[Finding], config: Config) -> bool:
    """Findings that count for the exit code: those at or above `fail-on` (all, by default)."""
    threshold = Severity(config.fail_on).rank
    return any(f.severity.rank >= threshold for f in findings)


def _sweep_progress(line: _StatusLine) -> Callable[[int, str], None]:
    """The sweep's progress: files found so far, and the folder being walked."""
    return lambda files, folder: line.show(f"keylint: {files} files  {folder}")


def _inventory_out(args: argparse.Namespace, rows: tuple[KeyRow, ...], repositories: list[str], errors: int = 0, merged: bool = False) -> int:
    if args.format == "json":
        _write(args.output, json.dumps(render_inventory_json(rows, repositories), indent=2) + "\n")
    else:
        _write(args.output, render_inventory_text(rows, repositories if merged else None))
    if errors:
        print(f"keylint: {errors} file{'s' if errors != 1 else ''} could not be fully scanned", file=sys.stderr)
    critical = [r for r in rows if r.critical]
    for r in critical:
        where = f" in {len(r.repositories)} repositor{'ies' if len(r.repositories) != 1 else 'y'}" if merged else ""
        print(f"keylint: CRITICAL: known key {r.known_as!r} (sha256:{r.key}) found in {len(r.places)} place{'s' if len(r.places) != 1 else ''}{where}", file=sys.stderr)
    return EXIT_FINDINGS if critical else EXIT_CLEAN


def _known(args: argparse.Namespace) -> dict[str, str]:
    return load_known_keys(args.known_keys) if args.known_keys else {}


def _cache(args: argparse.Namespace) -> Path | None:
    return None if args.no_cache else (args.cache_dir or cache_dir_default())


def _cmd_sweep(args: argparse.Namespace) -> int:
    top = args.folder or Path.home()
    if _missing([top]):
        return EXIT_ERROR
    line = _status_line()
    found: list[tuple[Path, str, Finding]] = []
    repositories: list[str] = []
    errors = 0
    try:
        for root, report in sweep(top, ScanOptions(jobs=max(0, args.jobs), cache_dir=_cache(args)), _sweep_progress(line) if line is not None else None):
            repositories.append(repository_name(root))
            found.extend((root, repositories[-1], f) for f in report.findings)
            errors += len({e.path for e in report.errors if e.kind == "read"})
    finally:
        if line is not None:
            line.clear()
    return _inventory_out(args, build_inventory(found, _known(args), Path.cwd()), repositories, errors)


def _cmd_inventory(args: argparse.Namespace) -> int:
    if args.merge:
        if args.paths or args.repository:
            print("keylint: --merge reads inventories; give no PATH or --repository with it", file=sys.stderr)
            return EXIT_ERROR
        if _missing(args.merge):
            return EXIT_ERROR
        rows, merged_from = merge_inventories(args.merge, _known(args))
        return _inventory_out(args, rows, merged_from, merged=True)
    paths = args.paths or [Path(".")]
    if _missing(paths):
        return EXIT_ERROR
    if args.repository and len(paths) > 1:
        print("keylint: --repository names one project's repository; give one PATH with it", file=sys.stderr)
        return EXIT_ERROR
    found: list[tuple[Path, str, Finding]] = []
    repositories: list[str] = []
    errors = 0
    for path in paths:
        root = find_root(path.resolve())
        # known keys are matched on the inventory's rows (`--known-keys`), not as scan findings
        config = replace(load_config(root, None, {"select": ("KL1",)}), known_keys=None)
        report = scan(config, paths_relative_to(root, [path]), ScanOptions(jobs=max(0, args.jobs), cache_dir=_cache(args)))
        repositories.append(args.repository or repository_name(root))
        found.extend((root, repositories[-1], f) for f in report.findings)
        errors += len({e.path for e in report.errors if e.kind == "read"})
    return _inventory_out(args, build_inventory(found, _known(args), Path.cwd()), repositories, errors)


def _cmd_fingerprint(args: argparse.Namespace) -> int:
    for name in args.files:
        if name == "-":
            data, label = sys.stdin.buffer.read(), "stdin"
        else:
            try:
                data, label = Path(name).read_bytes(), name
            except OSError as exc:
                print(f"keylint: {name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_ERROR
        identity = material_id(data)
        print(f"sha256:{identity.digest}  {identity.kind}  {label}")
    return EXIT_CLEAN


def _cmd_rules() -> int:
    catalog = load_catalog()
    width = max(len(r.name) for r in catalog.rules)
    for r in catalog.rules:
        print(f"{r.code}  {r.name:<{width}}  {r.severity.value:<8}  {r.summary}")
    return EXIT_CLEAN


def _cmd_rule(code: str) -> int:
    catalog = load_catalog()
    for r in catalog.rules:
        if r.code == code.upper() or r.name == code:
            print(f"{r.code} {r.name} (severity {r.severity.value}, precision {r.precision}, CWE {', '.join(map(str, r.cwe))})\n")
            print(r.doc, end="")
            return EXIT_CLEAN
    print(f"keylint: no rule {code!r}; `keylint rules` lists them", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "scan":
            return _cmd_scan(args)
        if args.command == "baseline":
            return _cmd_baseline(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "inventory":
            return _cmd_inventory(args)
        if args.command == "fingerprint":
            return _cmd_fingerprint(args)
        if args.command == "rules":
            return _cmd_rules()
        return _cmd_rule(args.code)
    except HistoryError as exc:  # not a configuration error: a shallow clone, a corrupt object, a bad range
        print(f"keylint: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (ConfigError, CatalogError, BaselineError, KnownKeysError, InventoryError) as exc:
        print(f"keylint: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("keylint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # an internal error must never look like "no findings"
        print(f"keylint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("KEYLINT_DEBUG"):
            traceback.print_exc()
        return EXIT_ERROR
