"""The fast history path against the exhaustive reference on real clones: same keys, same first commits?

    python bench/history_compare.py CLONE [CLONE ...]

For each full clone, `keylint scan --history` and `keylint scan --history --history-exhaustive`
(every file version of every commit's tree analysed) run one after the other; the report gives
each path's wall time, the number of keys, and the keys whose first commit (or presence) differs.
Nothing here is used by the tests (tests/test_history.py makes the same comparison on generated
repositories).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(clone: Path, out: Path, *extra: str) -> tuple[float, dict[str, str], dict[str, object]]:
    started = time.perf_counter()
    subprocess.run(["keylint", "scan", ".", "--history", *extra, "--format", "json", "--output", str(out), "--exit-zero"], cwd=clone, check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    report = json.loads(out.read_text())
    return seconds, {k["key"]: k["commit"] for k in report["keys"]}, report["summary"]


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for clone in (Path(c) for c in sys.argv[1:]):
            fast_s, fast, summary = _run(clone, Path(tmp) / "fast.json")
            slow_s, slow, _ = _run(clone, Path(tmp) / "exhaustive.json", "--history-exhaustive")
            differ = sorted(k for k in fast.keys() | slow.keys() if fast.get(k) != slow.get(k))
            rows.append({
                "clone": str(clone), "commits": summary["commits"], "keys_fast": len(fast), "keys_exhaustive": len(slow),
                "same_keys_and_first_commits": not differ, "differ": {k: [fast.get(k), slow.get(k)] for k in differ},
                "fast_seconds": round(fast_s, 1), "exhaustive_seconds": round(slow_s, 1),
                "first_commits": sorted({c[:12] for c in fast.values()}),
            })  # fmt: skip
            print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps(rows, indent=2))
    return 0 if all(r["same_keys_and_first_commits"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
