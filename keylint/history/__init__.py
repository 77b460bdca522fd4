"""Git history: every key (KL1xx) that any commit of a range added, deleted since or not.

A key deleted from HEAD is still leaked: anyone with a clone has it. `scan_history` reports each
key once, with the commit that introduced it, where it was there, and which branches (and HEAD)
still carry it. Two ways of finding the versions to analyse, with the same analysis of each
(`keylint.history.analysis`):

- the fast path (`keylint.history.walk`): one stream of what each commit changed, a byte
  prefilter over it, only what could hold a key analysed;
- the exhaustive reference (`keylint.history.reference`, `exhaustive=True`): every commit's tree,
  every file version in it analysed. Slow; the tests and `bench/` compare the two.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from keylint.catalog import Catalog, load_catalog
from keylint.config import Config
from keylint.history import git
from keylint.history.analysis import BINARY, TOO_LARGE, Analysed, Version, analyse, identity, material, unreadable
from keylint.extract import decode
from keylint.history.gate import UNKNOWN, Gate
from keylint.history.git import HistoryError
from keylint.inventory import load_known_keys
from keylint.model import Finding
from keylint.workers import Limits

__all__ = ["Carrier", "HistoryError", "HistoryOptions", "HistoryReport", "HistoryStats", "LeakedKey", "scan_history"]

# (what is being done, done so far, of how many, file versions read, file versions analysed)
Progress = Callable[[str, int, int, int, int], None]
_BATCH_BYTES = 16 << 20  # bytes of file versions handed to the worker pool at once


@dataclass(frozen=True, slots=True)
class HistoryOptions:
    range: str = ""  # rev-list arguments ("" means every branch and tag: --all)
    since: str | None = None  # only what this revision does not contain
    jobs: int = 0  # worker processes (0: one per CPU)
    file_timeout: float = 60.0
    exhaustive: bool = False  # the slow reference: every commit's tree


@dataclass(frozen=True, slots=True)
class Carrier:
    """A branch (or HEAD) whose tree still holds a key, and where."""

    ref: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LeakedKey:
    identity: str  # "sha256:<fingerprint of the key material>" or "finding:<fingerprint>"
    commit: str  # the first commit (parents before children) whose files hold it
    findings: tuple[Finding, ...]  # where it is in that commit
    carriers: tuple[Carrier, ...]  # branches and HEAD that hold it now; none: deleted everywhere

    @property
    def in_head(self) -> bool:
        return any(c.ref == "HEAD" for c in self.carriers)


@dataclass(frozen=True, slots=True)
class HistoryStats:
    commits: int = 0
    versions: int = 0  # file versions read (new (blob, path) pairs)
    analysed: int = 0  # file versions analysed in full
    gated: int = 0  # Python versions the gate showed to hold no key not found before
    patch_bytes: int = 0  # bytes of patches read
    analysed_bytes: int = 0  # bytes of the versions analysed
    binary: int = 0  # versions skipped: binary content
    too_large: int = 0  # versions skipped: over max-file-size
    not_utf8: int = 0  # versions analysed with replacement characters (not valid UTF-8)
    problems: tuple[str, ...] = ()  # versions whose analysis crashed or timed out (secrets-only)


@dataclass(frozen=True, slots=True)
class HistoryReport:
    keys: tuple[LeakedKey, ...]
    stats: HistoryStats
    range: tuple[str, ...] = field(default=())  # the rev-list arguments read
    uri_prefix: str = ""  # the project root's path in the repository ("" at its top)


class _Analyser:
    """Analyses file versions, each (blob, path) once, in the worker pool, in commit order; with a
    gate, a version chosen only for a Python word is skipped when every key it could hold was
    already found at an earlier commit (`keylint.history.gate`)."""

    def __init__(self, config: Config, catalog: Catalog, blobs: git.Blobs, options: HistoryOptions) -> None:
        self.config, self.catalog, self.blobs = config, catalog, blobs
        self.jobs, self.limits = options.jobs, Limits(options.file_timeout)
        # a known-keys file's fingerprints (digest -> label): those keys are KL116, as in a scan
        self.known = load_known_keys(Path(config.known_keys)) if config.known_keys else {}
        self.done: dict[tuple[str, str], Analysed | None] = {}  # None: not read (binary, too large)
        self.skipped = {BINARY: 0, TOO_LARGE: 0}
        self.gated = 0  # versions the gate showed to hold no new key
        self.bytes = 0
        self.found: set[str] = set()  # the keys (SHA-256 of their material) found so far

    def run(self, versions: Iterable[Version], gate: Gate | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        first: dict[tuple[str, str], Version] = {}
        gated: dict[tuple[str, str], bool] = {}
        for v in versions:
            key = (v.blob, v.path)
            if key in self.done:
                continue
            if key not in first or v.index < first[key].index:
                first[key] = v
            gated[key] = gated.get(key, True) and v.gated and not v.baseline
        todo = sorted(first.values(), key=lambda v: v.index)
        batch: list[tuple[tuple[str, str], bytes]] = []
        size = finished = 0
        # with a gate, batches are small (two files per worker): what they find lets the gate
        # skip later versions
        limit = 2 * (self.jobs or os.cpu_count() or 1) if gate is not None else 1 << 30
        for v in todo:
            key = (v.blob, v.path)
            data = self.blobs.read(v.blob, self.config.max_file_size)
            why = unreadable(data, self.config)
            finished += 1
            if why is not None or data is None:
                self.skipped[why or TOO_LARGE] += 1
                self.done[key] = None
                continue
            if gate is not None and gated[key]:
                candidates = gate.candidates(decode(data)[0], v.blob)
                if UNKNOWN not in candidates and candidates <= self.found:
                    self.gated += 1
                    continue
            batch.append((key, data))
            size += len(data)
            if size >= _BATCH_BYTES or len(batch) >= limit:
                self._flush(batch)
                batch, size = [], 0
                if progress is not None:
                    progress(finished, len(todo))
        self._flush(batch)
        if progress is not None:
            progress(finished, len(todo))

    def _flush(self, batch: list[tuple[tuple[str, str], bytes]]) -> None:
        results = analyse([(path, data) for (_, path), data in batch], self.config, self.catalog, self.jobs, self.limits, self.known)
        for (version, data), result in zip(batch, results):
            self.done[version] = result
            self.bytes += len(data)
            self.found.update(f.key for f in result.findings if f.key)


def scan_history(config: Config, options: HistoryOptions = HistoryOptions(), progress: Progress | None = None) -> HistoryReport:
    """The keys the commits of the range added, each once, with where they are now."""
    from keylint.history import reference, walk

    catalog = load_catalog(config.extend_catalogs)
    repo = git.open_repository(config.root)
    arguments = git.range_arguments(options.range, options.since)
    blobs = git.Blobs(repo)
    try:
        analyser = _Analyser(config, catalog, blobs, options)
        if options.exhaustive:
            commits, versions, read = reference.versions(repo, arguments, config, _stage(progress, "trees"))
            patch_bytes = 0
        else:
            walked = walk.walk(repo, arguments, config, catalog, blobs, _stage(progress, "commits"))
            commits, versions, read, patch_bytes = walked.commits, walked.selected, walked.versions, walked.patch_bytes
            analyser.skipped = dict(walked.skipped)
        gate = Gate(catalog)
        analyser.run(versions, None if options.exhaustive else gate, _count(progress, "analysed", read))
        keys = _keys(commits, versions, analyser)
        keys = _with_carriers(repo, keys, {v.path for v in versions}, analyser, gate, _count(progress, "branches", read))
    finally:
        blobs.close()
    results = [r for r in analyser.done.values() if r is not None]
    stats = HistoryStats(
        commits=len(commits),
        versions=read,
        analysed=len(results),
        gated=analyser.gated,
        patch_bytes=patch_bytes,
        analysed_bytes=analyser.bytes,
        binary=analyser.skipped[BINARY],
        too_large=analyser.skipped[TOO_LARGE],
        not_utf8=sum(r.not_utf8 for r in results),
        problems=tuple(sorted({r.problem for r in results if r.problem})),
    )
    return HistoryReport(tuple(keys), stats, tuple(arguments), repo.prefix)


def _stage(progress: Progress | None, what: str) -> Callable[[int, int, int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total, read, analysed: progress(what, done, total, read, analysed)


def _count(progress: Progress | None, what: str, read: int) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(what, done, total, read, done)


def _keys(commits: Sequence[git.Commit], versions: Sequence[Version], analyser: _Analyser) -> list[LeakedKey]:
    """Each key once, at the first commit whose analysed versions hold it."""
    old: set[str] = set()
    first: dict[str, tuple[int, list[Finding]]] = {}
    for v in versions:
        result = analyser.done.get((v.blob, v.path))
        if result is None:
            continue
        for f in result.findings:
            key = identity(f)
            if v.baseline:
                old.add(key)
                continue
            seen = first.get(key)
            if seen is None or v.index < seen[0]:
                first[key] = (v.index, [f])
            elif v.index == seen[0] and f not in seen[1]:
                seen[1].append(f)
    out = []
    for key, (index, found) in first.items():
        if key not in old:
            out.append(LeakedKey(key, commits[index].sha, tuple(sorted(found, key=lambda f: f.sort_key)), ()))
    order = {c.sha: i for i, c in enumerate(commits)}
    out.sort(key=lambda k: (order[k.commit], k.findings[0].sort_key, k.identity))
    return out


def _with_carriers(repo: git.Repository, keys: list[LeakedKey], paths: set[str], analyser: _Analyser, gate: Gate, progress: Callable[[int, int], None] | None) -> list[LeakedKey]:
    """Which branches (and HEAD) still carry each key: the files at their tips, at a path some
    chosen version had, that still hold the key where a rule could use it (`analysis.material`;
    the findings of a full analysis where that cannot tell). The same for both paths: it
    depends on the tips' files alone."""
    if not keys:
        return keys
    wanted = {k.identity for k in keys}
    refs = git.branches(repo)
    trees: dict[str, list[tuple[str, str]]] = {}
    for _, sha in refs:
        if sha not in trees:
            trees[sha] = git.tree_files(repo, sha)
    held: dict[tuple[str, str], frozenset[str]] = {}
    undecided: list[Version] = []
    for path, blob in sorted({(p, b) for files in trees.values() for p, b in files if p in paths}):
        data = analyser.blobs.read(blob, analyser.config.max_file_size)
        if data is None or unreadable(data, analyser.config) is not None:
            continue
        found = material(path, data, analyser.catalog, gate, blob)
        if found is None:
            undecided.append(Version(len(trees), path, blob))
        else:
            held[(path, blob)] = found & wanted
    analyser.run(undecided, None, progress)
    for v in undecided:
        result = analyser.done.get((v.blob, v.path))
        held[(v.path, v.blob)] = frozenset(identity(f) for f in result.findings) & wanted if result is not None else frozenset()
    carried: dict[str, dict[str, set[str]]] = {}  # key -> ref -> paths
    for ref, sha in refs:
        for path, blob in trees[sha]:
            for key in held.get((path, blob), ()):
                carried.setdefault(key, {}).setdefault(ref, set()).add(path)
    out = []
    for k in keys:
        refs_of = carried.get(k.identity, {})
        carriers = tuple(Carrier(ref, tuple(sorted(refs_of[ref]))) for ref in sorted(refs_of, key=lambda r: (r != "HEAD", r)))
        out.append(LeakedKey(k.identity, k.commit, k.findings, carriers))
    return out
