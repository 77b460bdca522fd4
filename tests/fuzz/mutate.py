"""Mutation fuzzing of keylint's per-file extraction over the fixture files.

Each input is a fixture file (Python, TOML, YAML, JSON, .env, PEM, ...) with random damage: byte
flips, inserted or deleted ranges, truncation, splices with another fixture, repeated ranges, runs of
brackets, NULs, BOMs and lone carriage returns. Inputs keep their file name, so each goes through
the same extractors as the original. They run through `keylint.workers.extract_isolated`, so a
crash or hang is caught and counted instead of ending the run.

A problem is any file whose extraction raised (an "internal error"), killed its worker ("crashed")
or overran the time limit. Each is saved under --save for reproduction.

    python tests/fuzz/mutate.py --seconds 600 --seed 1          # a maintainer's longer run
    python tests/fuzz/mutate.py --seconds 15 --seed 11 --jobs 2  # what CI runs (tests/test_fuzz.py)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from keylint.workers import Limits, extract_isolated  # noqa: E402

_SPECIAL = [b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\x0c", b"\\", b"'", b'"', b'"""', b"\t", b"\xe2\x80\xa8", b"#", b":", b"=", b"[", b"{"]


def corpus() -> list[tuple[str, bytes]]:
    files = sorted(p for p in (REPO / "fixtures").rglob("*") if p.is_file())
    return [(p.relative_to(REPO / "fixtures").as_posix(), p.read_bytes()) for p in files]


def mutate(rng: random.Random, data: bytes, others: list[tuple[str, bytes]]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        at = rng.randint(0, len(out))
        if op == 0 and out:  # flip bits in a few bytes
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # insert random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif op == 2 and out:  # delete a range
            del out[at : at + rng.randint(1, 64)]
        elif op == 3:  # truncate
            del out[at:]
        elif op == 4:  # splice with another fixture
            _, other = rng.choice(others)
            j = rng.randint(0, len(other))
            out[at:] = other[j:]
        elif op == 5 and out:  # repeat a range
            j = rng.randint(at, min(len(out), at + 80))
            out[at:at] = out[at:j] * rng.randint(2, 50)
        elif op == 6:  # a run of openers or operators (nesting)
            out[at:at] = rng.choice([b"(", b"[", b"{", b"not ", b"-", b".a", b" if a else ", b"    "]) * rng.randint(10, 3000)
        else:  # a special byte sequence
            out[at:at] = rng.choice(_SPECIAL)
    return bytes(out)


@dataclass
class Result:
    tried: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (original file, message, saved as)


def run(seconds: float | None, seed: int, jobs: int, save: Path | None, batch: int = 48, inputs: int | None = None) -> Result:
    """Mutate and extract for `seconds`, or (the test suite's way: the same work however loaded the
    machine is) until `inputs` mutated files have been tried."""
    rng = random.Random(seed)
    files = corpus()
    result = Result()
    deadline = time.monotonic() + seconds if seconds is not None else float("inf")
    while time.monotonic() < deadline and (inputs is None or result.tried < inputs):
        tasks = []
        for _ in range(batch):
            name, data = rng.choice(files)
            tasks.append((name, mutate(rng, data, files), (), False, False, False))
        for task, facts in zip(tasks, extract_isolated(tasks, jobs, Limits(file_timeout=20.0))):
            for e in facts.errors:
                if e.kind in ("crash", "timeout") and "secret scan stopped" not in e.message:
                    saved = ""
                    if save is not None:
                        save.mkdir(parents=True, exist_ok=True)
                        target = save / f"{result.tried:07d}-{Path(task[0]).name}"
                        target.write_bytes(task[1])
                        saved = str(target)
                    result.problems.append((task[0], e.message, saved))
        result.tried += len(tasks)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--save", type=Path, default=Path("fuzz-crashes"), help="where inputs that caused a problem are written")
    args = parser.parse_args()
    result = run(args.seconds, args.seed, args.jobs, args.save)
    print(f"tried {result.tried} mutated inputs in {args.seconds:g} s (seed {args.seed}); {len(result.problems)} problems")
    for original, message, saved in result.problems:
        print(f"  {original}: {message} -> {saved}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
