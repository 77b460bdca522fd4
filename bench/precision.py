"""Precision per rule on real repositories nobody on the team wrote.

    python bench/precision.py CORPUS [--snapshot DIR] [--show unlabelled|fp|dup|lost|tp-low-severity]

`bench/corpus.jsonl` lists the repositories (owner/name, commit, kind); `bench/labels.jsonl` holds a
verdict for every finding read there. CORPUS is a folder of checkouts named `owner+name`, each at the
listed commit (checked). keylint scans each one (`--no-cache`, json) unless
`--snapshot DIR` holds `owner+name.json` outputs from an earlier run. Every finding is matched to a
label by (repository, path, line, code). Verdicts: `tp` (a real problem at the right severity),
`tp-low` (real but of low value: must come out at low severity), `fp` (false), `dup` (the same
root cause already reported by another finding). Precision is (tp + tp-low) / labelled findings.
Unlabelled findings are new: read them and label them. A labelled true finding that no longer
appears is `lost` (a recall regression, or a finding that moved: relabel it), or `moved` when its
line now holds another rule's finding that is labelled true (a password now reported as KL114).

The labels hold no code and no secret: repository, commit, path, line, code, verdict, a short note.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICTS = ("tp", "tp-low", "fp", "dup")


def load_labels(path: Path) -> dict[tuple[str, str, int, str], dict]:
    labels: dict[tuple[str, str, int, str], dict] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["verdict"] not in VERDICTS:
            sys.exit(f"{path}:{number}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        labels[(row["repo"], row["path"], int(row["line"]), row["code"])] = row
    return labels


def findings(corpus: Path, repo: str, commit: str, snapshot: Path | None, save: Path | None = None) -> list[dict]:
    folder = corpus / repo.replace("/", "+")
    if snapshot is not None:
        out = snapshot / f"{folder.name}.json"
        if out.exists():
            return json.loads(out.read_text())["findings"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True).stdout.strip()
    if head != commit:
        sys.exit(f"{folder} is at {head or 'no commit'}, the labels were read at {commit}")
    done = subprocess.run([sys.executable, "-m", "keylint", "scan", ".", "--no-cache", "--format", "json", "--exit-zero"],
                          cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"keylint failed on {repo}: {done.stderr.strip()[-500:]}")
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{folder.name}.json").write_text(done.stdout)
    return json.loads(done.stdout)["findings"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--labels", type=Path, default=HERE / "labels.jsonl")
    parser.add_argument("--list", type=Path, default=HERE / "corpus.jsonl", help="the repositories and their commits")
    parser.add_argument("--snapshot", type=Path, help="folder of owner+name.json scan outputs to use instead of scanning")
    parser.add_argument("--save", type=Path, help="write each scan's json output here (owner+name.json), for --snapshot later")
    parser.add_argument("--show", choices=("unlabelled", "fp", "dup", "lost", "tp-low-severity"), action="append", default=[])
    parser.add_argument("--repo", action="append", help="only these repositories (owner/name)")
    args = parser.parse_args(argv)
    labels = load_labels(args.labels)
    commits = {row["repo"]: row["commit"] for row in map(json.loads, filter(str.strip, args.list.read_text().splitlines()))}
    stale = {(row["repo"], row["commit"]) for row in labels.values() if commits.get(row["repo"]) != row["commit"]}
    if stale:
        sys.exit(f"labels for repositories or commits not in {args.list}: {sorted(stale)[:5]}")
    repos = sorted(r for r in commits if not args.repo or r in args.repo)
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    low_severity: Counter[str] = Counter()
    shown: list[str] = []
    for repo in repos:
        seen: set[tuple[str, str, int, str]] = set()
        for f in findings(args.corpus, repo, commits[repo], args.snapshot, args.save):
            key = (repo, f["path"], int(f["line"]), f["code"])
            if key in seen:
                continue  # several findings of one rule on one line are read as one
            seen.add(key)
            row = labels.get(key)
            verdict = row["verdict"] if row else "unlabelled"
            by_rule[f["code"]][verdict] += 1
            by_rule[f["code"]]["findings"] += 1
            if verdict == "tp-low":
                low_severity[f["severity"]] += 1
                if f["severity"] != "low" and "tp-low-severity" in args.show:
                    shown.append(f"tp-low at {f['severity']}: {repo} {f['path']}:{f['line']} {f['code']}  {row.get('note', '')}")
            if verdict in args.show:
                shown.append(f"{verdict}: {repo} {f['path']}:{f['line']} {f['code']} [{f['severity']}] {f['message'][:160]}")
        # a true finding whose line now carries another rule's finding, itself labelled true, moved rule
        true_lines = {k[:3] for k in seen if (labels.get(k) or {}).get("verdict") in ("tp", "tp-low")}
        for key, row in labels.items():
            if key[0] == repo and key not in seen and row["verdict"] in ("tp", "tp-low"):
                if key[:3] in true_lines:
                    by_rule[key[3]]["moved"] += 1
                    continue
                by_rule[key[3]]["lost"] += 1
                if "lost" in args.show:
                    shown.append(f"lost {row['verdict']}: {repo} {key[1]}:{key[2]} {key[3]}  {row.get('note', '')}")
    total: Counter[str] = Counter()
    print(f"{'rule':6} {'found':>6} {'tp':>5} {'tp-low':>6} {'fp':>5} {'dup':>5} {'new':>5} {'lost':>5} {'moved':>5} {'precision':>9}")
    for code in sorted(by_rule):
        c = by_rule[code]
        total += c
        print(_row(code, c))
    print(_row("all", total))
    print(f"tp-low findings by severity: {dict(sorted(low_severity.items()))} (every one should be low)")
    print(f"repositories: {len(repos)}")
    for line in shown:
        print(line)
    return 0


def _row(code: str, c: Counter[str]) -> str:
    labelled = c["tp"] + c["tp-low"] + c["fp"] + c["dup"]
    precision = f"{(c['tp'] + c['tp-low']) / labelled:.1%}" if labelled else "-"
    return f"{code:6} {c['findings']:>6} {c['tp']:>5} {c['tp-low']:>6} {c['fp']:>5} {c['dup']:>5} {c['unlabelled']:>5} {c['lost']:>5} {c['moved']:>5} {precision:>9}"


if __name__ == "__main__":
    raise SystemExit(main())
