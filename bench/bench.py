"""Benchmark keylint on a tree: files/s and peak memory, cold and warm, optionally beside peers.

    python bench/bench.py PATH [--jobs N] [--peers] [--runs 3]

Each measurement runs a fresh `python -m keylint scan` process (whole-process wall time, median of
--runs) and reads its peak RSS (children's ru_maxrss). "cold" has no cache; "warm" re-scans with a
populated cache after touching one Python file (the pre-commit shape: a newline appended, which
changes no fact); "edited" after moving every line of one parsed module down by one, so that its
facts change and the project is linked and checked again. --peers also times bandit and
detect-secrets on the same tree, when they are installed, and prints keylint's ratios against them.
See bench/README.md for the repositories and commits used in the recorded figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of the largest process of one run (main or worker).

    A fresh measuring process per run, so ru_maxrss covers this run's processes only."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, capture_output=True, text=True, check=True)
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


def _median(cmd: list[str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    results = [_run(cmd, cwd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def _count(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for p in tree.rglob("*.py"):
        if ".git" in p.parts:
            continue
        files += 1
        try:
            lines += p.read_bytes().count(b"\n")
        except OSError:
            pass
    return files, lines


def _touch_one_python_file(tree: Path) -> Path | None:
    for p in sorted(tree.rglob("*.py")):
        if ".git" not in p.parts and p.stat().st_size > 0:
            with open(p, "ab") as handle:
                handle.write(b"\n")
            return p
    return None


def _shift_one_parsed_module(tree: Path, lines: int) -> Path | None:
    """Prepend `lines` blank lines to the first module keylint parses: every position in it moves,
    so its facts change and linking and checking must run again (the harder pre-commit shape)."""
    from keylint.extract.prefilter import worth_parsing

    for p in sorted(tree.rglob("*.py")):
        if ".git" not in p.parts and worth_parsing(data := p.read_bytes()):
            p.write_bytes(b"\n" * lines + data)
            return p
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--peers", action="store_true", help="also time bandit and detect-secrets")
    args = parser.parse_args()
    tree = args.path.resolve()
    py_files, py_lines = _count(tree)
    keylint = [sys.executable, "-m", "keylint", "scan", str(tree), "--format", "json", "--output", os.devnull, "--exit-zero"]
    if args.jobs:
        keylint += ["--jobs", str(args.jobs)]

    rows: list[tuple[str, float, float]] = []
    cold_s, cold_mb = _median([*keylint, "--no-cache"], args.runs)
    rows.append(("keylint cold (no cache)", cold_s, cold_mb))
    cache = Path(tempfile.mkdtemp(prefix="keylint-bench-cache-"))
    try:
        _run([*keylint, "--cache-dir", str(cache)])  # populate
        touched = _touch_one_python_file(tree)
        warm_s, warm_mb = _median([*keylint, "--cache-dir", str(cache)], args.runs)
        rows.append((f"keylint warm, 1 file changed ({touched.name if touched else '-'})", warm_s, warm_mb))
        if touched is not None:
            with open(touched, "rb+") as handle:  # undo the touch
                handle.seek(-1, os.SEEK_END)
                handle.truncate()
        edits = []
        shifted = None
        for run in range(1, args.runs + 1):
            # each run starts from the cache of the unedited tree, and makes an edit no earlier run
            # made (the cache keeps recent analyses: a repeated edit would find its result there)
            _run([*keylint, "--cache-dir", str(cache)])
            shifted = _shift_one_parsed_module(tree, run)
            try:
                edits.append(_run([*keylint, "--cache-dir", str(cache)]))
            finally:
                if shifted is not None:
                    shifted.write_bytes(shifted.read_bytes()[run:])
        edit_s, edit_mb = statistics.median(e[0] for e in edits), max(e[1] for e in edits)
        rows.append((f"keylint warm, 1 parsed module edited ({shifted.name if shifted else '-'})", edit_s, edit_mb))
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    peers: dict[str, float] = {}
    if args.peers:
        if shutil.which("bandit"):
            peers["bandit"], mb = _median(["bandit", "-q", "-r", str(tree), "-f", "json", "-o", os.devnull], args.runs)
            rows.append(("bandit -r (all plugins)", peers["bandit"], mb))
        if shutil.which("detect-secrets"):
            peers["detect-secrets"], mb = _median(["detect-secrets", "scan", "--all-files", str(tree)], args.runs, cwd=tree)
            rows.append(("detect-secrets scan --all-files", peers["detect-secrets"], mb))

    print(f"tree: {tree}  ({py_files} .py files, {py_lines} lines; {os.cpu_count()} CPUs)")
    print(f"{'run':<48} {'seconds':>9} {'py files/s':>11} {'peak MiB':>9}")
    for name, seconds, mb in rows:
        print(f"{name:<48} {seconds:>9.2f} {py_files / seconds if seconds else 0:>11.0f} {mb:>9.0f}")
    for peer, seconds in peers.items():
        print(f"keylint cold / {peer}: {cold_s / seconds:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
