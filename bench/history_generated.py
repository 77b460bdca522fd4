"""How `keylint scan --history` grows with history: a generated repository of small edits.

    python bench/history_generated.py OUT_DIR [--commits 12500,25000,50000] [--files 400] [--runs 1]

For each size, `git fast-import` writes a repository of that many commits (fixed seed, so the
same repository every time). Each commit edits one file of a Python project with a line or two
(a statement, a log call, a comment, a settings read by name, a requirements pin); one commit in
2,500 adds a new hard-coded `SECRET_KEY` literal, which every later commit keeps. Then
`keylint scan --history --format json` runs on it: the report gives wall time, peak RSS, the
patch bytes git streamed, the bytes analysed (what reached a parser) and the keys found (one per
2,500 commits expected). The slope is seconds per MB of patch, fitted over the sizes. Nothing
here is used by the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

_KEY_EVERY = 2500
_STATEMENTS = (
    "    total = total + {n}\n",
    '    logger.info("step {n} done")\n',
    "    # step {n}: keep the order of the checks\n",
    '    value = settings.get("SECRET_KEY_ROTATION_{n}")\n',  # a key word, no literal key: the gate's work
    "    items.append({n})\n",
)


def _module(index: int) -> list[str]:
    return [f'"""Module {index}."""\n', "import logging\n", "\n", "logger = logging.getLogger(__name__)\n", "\n", "\n", "def run(items, settings):\n", "    total = 0\n", "    return total\n"]


def _fast_import(commits: int, files: int, seed: int) -> Iterator[bytes]:
    """The fast-import stream, one commit at a time (a large repository's stream is not held)."""
    rng = random.Random(seed)
    contents: dict[str, list[str]] = {f"app/mod{i:03d}.py": _module(i) for i in range(files - 2)}
    contents["requirements.txt"] = ["flask==3.0.0\n"]
    contents["app/settings.py"] = ['"""Settings."""\n', "import os\n", "\n"]
    when = 1_700_000_000
    for n in range(1, commits + 1):
        if n == 1:
            changed = list(contents)
        elif n % _KEY_EVERY == 0:
            contents["app/settings.py"].append(f'SECRET_KEY_{n} = "{rng.getrandbits(128):032x}-{n}"\n')
            changed = ["app/settings.py"]
        elif n % 97 == 0:
            contents["requirements.txt"].append(f"package{n}=={n % 7}.{n % 13}\n")
            changed = ["requirements.txt"]
        else:
            path = f"app/mod{rng.randrange(files - 2):03d}.py"
            lines = contents[path]
            lines.insert(rng.randrange(7, len(lines)), rng.choice(_STATEMENTS).format(n=n))  # inside run()
            changed = [path]
        message = f"edit {n}\n".encode()
        out = [b"commit refs/heads/main\n", f"committer Bench <bench@example.com> {when + n * 60} +0000\n".encode()]
        out.append(b"data %d\n%s" % (len(message), message))
        for path in changed:
            data = "".join(contents[path]).encode()
            out.append(f"M 100644 inline {path}\n".encode())
            out.append(b"data %d\n%s\n" % (len(data), data))
        yield b"".join(out)


def _make(root: Path, commits: int, files: int) -> None:
    if (root / ".git").is_dir():
        return
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    for chunk in _fast_import(commits, files, seed=commits):
        importer.stdin.write(chunk)
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit(f"git fast-import failed in {root}")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=root, check=True)


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _scan(root: Path, out: Path) -> tuple[float, float, dict[str, object]]:
    command = ["keylint", "scan", ".", "--history", "--format", "json", "--output", str(out), "--exit-zero"]
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=root, capture_output=True, text=True, check=True)
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024, json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="where the generated repositories are kept (reused when present)")
    parser.add_argument("--commits", default="12500,25000,50000")
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for commits in (int(c) for c in args.commits.split(",")):
        root = args.out / f"gen-{commits}"
        started = time.perf_counter()
        _make(root, commits, args.files)
        print(f"{commits} commits: repository ready ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
        runs = [_scan(root, args.out / f"gen-{commits}.json") for _ in range(args.runs)]
        summary = runs[-1][2]["summary"]
        assert isinstance(summary, dict)
        row = {
            "commits": commits,
            "seconds": statistics.median(r[0] for r in runs),
            "peak_mib": max(r[1] for r in runs),
            "patch_mb": summary["patch_bytes"] / 1e6,
            "analysed_mb": summary["analysed_bytes"] / 1e6,
            "analysed": summary["analysed"],
            "gated": summary["gated"],
            "keys": len(runs[-1][2]["keys"]),  # type: ignore[arg-type]
            "expected_keys": commits // _KEY_EVERY,
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    if len(rows) > 1:
        slope, intercept = statistics.linear_regression([r["patch_mb"] for r in rows], [r["seconds"] for r in rows])
        print(json.dumps({"rows": rows, "seconds_per_patch_mb": slope, "intercept_seconds": intercept}, indent=2))
    else:
        print(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
