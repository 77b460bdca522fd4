"""The speed of one very long line: whole `keylint scan` processes on one minified file of N MB.

    python bench/hostile_long_line.py [--sizes 5,50] [--runs 3]

Each round scans every size once (so a busy moment of a shared machine falls on all of them),
and the report gives each size's median wall time, its MB per second, and the ratio of the
largest to the smallest against the ratio of their sizes: linear work keeps the two close.
`tests/test_hostile_input.py` checks the outcome and counts the work; the time is measured here,
never asserted in a test. Nothing here is used by the tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATEMENT = b"var a=function(b){return b*2};"
TOKEN = "ghp_" + "Zx81Qw72Er63Ty54Ui45Op36As27Df18Gh09"  # fake, shaped like a GitHub token


def _tree(root: Path, megabytes: int) -> Path:
    root.mkdir(parents=True)
    (root / "keylint.toml").write_text(f"max-file-size = {(megabytes + 1) << 20}\n")
    body = STATEMENT * ((megabytes << 20) // len(STATEMENT))
    (root / "app.min.js").write_bytes(b"var t='" + TOKEN.encode() + b"';" + body)
    return root


def _time(root: Path) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "keylint", "scan", str(root), "--no-cache", "--format", "json", "--file-timeout", "3600"]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5,50", help="file sizes in MB, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        trees = {size: _tree(Path(tmp) / f"{size}mb", size) for size in sizes}
        times: dict[int, list[float]] = {size: [] for size in sizes}
        for round_ in range(args.runs):
            for size in sizes:
                times[size].append(_time(trees[size]))
                print(f"round {round_ + 1}: {size:4d} MB  {times[size][-1]:7.2f} s", file=sys.stderr)
    medians = {size: statistics.median(times[size]) for size in sizes}
    result = {
        "sizes_mb": {str(size): {"median_seconds": medians[size], "mb_per_second": size / medians[size], "seconds": times[size]} for size in sizes},
        "largest_over_smallest": {"time": medians[sizes[-1]] / medians[sizes[0]], "size": sizes[-1] / sizes[0]},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
