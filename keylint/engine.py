"""The scan pipeline: discover, extract (parallel, cached), link, check, filter, finalize."""

from __future__ import annotations

import gc
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from keylint.cache import ProjectAnalysis, FactCache
from keylint.catalog import Catalog, load_catalog
from keylint.config import Config
from keylint.discover import Discovered, discover, git_prefix, read_regular
from keylint.extract import PYTHON_SUFFIXES, decode, extract_file, read_suppressions
from keylint.extract.facts import FileFacts, Suppression
from keylint.finalize import digest_of, finalize_file
from keylint.fingerprint import line_hashes
from keylint.model import Draft, FileError, Finding, Report, Stats
from keylint.inventory import load_known_keys
from keylint.supersede import REPLACES, join_paths, supersede
from keylint.suppress import reported, suppressed, under
from keylint.workers import Limits, Task, extract_isolated



@dataclass(frozen=True, slots=True)
class ScanOptions:
    jobs: int = 0  # 0: one per CPU
    cache_dir: Path | None = None  # None: no cache
    # seconds one file may take (then it is reported and scanned for secrets only); None: extract
    # in this process, unguarded (for profiling and debugging only)
    file_timeout: float | None = 60.0
    memory_limit: int = 2 * 1024**3  # bytes of address space each extraction worker may add
    # parse only Python modules that some family could use, or that such a module imports
    # (keylint.extract.prefilter); off: parse every module
    prefilter: bool = True
    # told (stage, done, of how many) as files are read ("read") and extracted ("parsed"), then
    # ("checking", 0, 0); called at most every 0.1 s in a stage, so it stays out of the hot path
    progress: Callable[[str, int, int], None] | None = None


class _Every:
    """A progress callback called at most every 0.1 s (and at the end of each stage)."""

    def __init__(self, progress: Callable[[str, int, int], None] | None) -> None:
        self.progress, self.shown = progress, 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if done >= total or now - self.shown >= 0.1:
            self.shown = now
            self.progress(stage, done, total)


def _extract_one(args: Task) -> FileFacts:
    path, data, extensions, prefilter, accepted, keys_only = args
    return extract_file(path, data, load_catalog(extensions), prefilter=prefilter, accepted=accepted, keys_only=keys_only)


class _ExtractedCount:
    """Files extracted so far, of all handed to extraction so far (over several rounds)."""

    def __init__(self, progress: Callable[[str, int, int], None] | None) -> None:
        self.shown, self.before, self.planned = _Every(progress), 0, 0

    def round(self, tasks: int) -> Callable[[int, int], None]:
        self.before, self.planned = self.planned, self.planned + tasks
        return lambda done, _total: self.shown("parsed", self.before + done, self.planned)


def _run(tasks: list[Task], options: ScanOptions, count: _ExtractedCount | None = None) -> list[FileFacts]:
    jobs = options.jobs or os.cpu_count() or 1
    if options.file_timeout is not None and tasks:
        # untrusted input: each file in a worker with a deadline and a memory cap (keylint/workers.py)
        told = count.round(len(tasks)) if count is not None and options.progress is not None else None
        return extract_isolated(tasks, jobs, Limits(options.file_timeout, options.memory_limit), told)
    if jobs > 1 and len(tasks) > 8:
        from concurrent.futures import ProcessPoolExecutor  # only this unguarded mode needs it (10 ms to import)

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(_extract_one, tasks, chunksize=max(1, min(32, len(tasks) // (jobs * 4)))))
    return [_extract_one(item) for item in tasks]


def _imported_deferred(facts: dict[str, FileFacts]) -> list[str]:
    """Deferred modules that a parsed module imports, or an OpenAPI document routes to (Connexion's
    `operationId`): they may hold what a flow needs."""
    from keylint.extract.python import module_name

    by_name: dict[str, list[str]] = {}
    for path, f in facts.items():
        if f.deferred:
            parts = module_name(path)[0].split(".")
            for i in range(len(parts)):  # by suffix too: imports may start below the project root
                by_name.setdefault(".".join(parts[i:]), []).append(path)
    if not by_name:
        return []
    wanted: set[str] = set()
    for f in facts.values():
        named = [op.handler for op in f.operations]
        if f.python is not None:
            named += [*f.python.imports.values(), *f.python.star_imports]
        for qualname in named:
            parts = qualname.split(".")
            for i in range(len(parts), 0, -1):
                hits = by_name.get(".".join(parts[:i]))
                if hits:
                    wanted.update(hits)
                    break
    return sorted(wanted)


@dataclass(slots=True)
class _Extracted:
    facts: list[FileFacts]  # empty when `analysis` was reused: the cached facts were not loaded
    errors: list[FileError]
    hits: int  # files whose facts came from the cache
    digests: dict[str, str]  # path -> content hash, of every file read
    analysis: ProjectAnalysis | None = None  # the cached analysis of exactly the facts this run would link


def _identify(root: str, rel: str, limit: int, cache: FactCache | None) -> tuple[str, bytes | None]:
    """The file's content hash, and its bytes when they had to be read (None: the cache saw the
    file with the same stat signature, so it is not read)."""
    full = os.path.join(root, rel)
    if cache is None:
        data = read_regular(full, limit)
        return hashlib.sha256(data).hexdigest(), data
    if full in cache.unchanged:  # discovery found its signature unchanged a moment ago
        return cache.unchanged[full], None
    info = os.lstat(full)  # before reading: a write after this changes the next signature
    known = cache.known_digest(full, info)
    if known is not None:
        return known, None
    data = read_regular(full, limit)
    digest = hashlib.sha256(data).hexdigest()
    cache.record(full, info, digest)
    return digest, data


def _extract_all(config: Config, catalog: Catalog, paths: Sequence[str], options: ScanOptions) -> tuple[list[FileFacts], list[FileError], int]:
    """The facts of every file (with the fact cache when `options.cache_dir` is set)."""
    cache = FactCache(options.cache_dir, catalog.digest) if options.cache_dir is not None else None
    try:
        got = _extract(config, paths, options, cache, reuse=False)
    finally:
        if cache is not None:
            cache.close()
    return got.facts, got.errors, got.hits


def _extract(config: Config, paths: Sequence[str], options: ScanOptions, cache: FactCache | None, reuse: bool) -> _Extracted:
    """Facts of every file: from the cache, else extracted. With `reuse`, when the cache holds the
    analysis of exactly the facts this run would link, that is returned instead of the facts."""
    facts: dict[str, FileFacts] = {}
    errors: list[FileError] = []
    todo: list[Task] = []
    digests: dict[str, str] = {}
    read: dict[str, bytes] = {}
    if cache is not None:
        cache.load_signatures(config.root)
    top = str(config.root)
    shown = _Every(options.progress)
    count = _ExtractedCount(options.progress)
    for number, rel in enumerate(paths, 1):
        if options.progress is not None:
            shown("read", number, len(paths))
        try:
            digests[rel], content = _identify(top, rel, config.max_file_size, cache)
        except OSError as exc:
            errors.append(FileError(rel, f"cannot read: {exc.strerror or exc}", kind="read"))
            continue
        if content is not None:
            read[rel] = content

    def data(rel: str) -> bytes | None:
        """The bytes of a file, read now if its unchanged signature spared reading it so far."""
        if rel not in read:
            try:
                read[rel] = read_regular(config.root / rel, config.max_file_size)
            except OSError as exc:
                errors.append(FileError(rel, f"cannot read: {exc.strerror or exc}", kind="read"))
                return None
        return read[rel]

    entries = cache.entries(digests, allow_deferred=options.prefilter) if cache is not None else {}
    hits = len(entries)
    for rel in list(digests):
        if rel not in entries:
            content = data(rel)
            if content is None:
                del digests[rel]
                continue
            todo.append((rel, content, config.extend_catalogs, options.prefilter, False, False))
    for rel in [rel for rel in read if not (options.prefilter and rel.endswith(PYTHON_SUFFIXES))]:
        del read[rel]  # kept: what the deferred modules below may need; `todo` holds the rest
    fresh = _run(todo, options, count)
    digests.update((f.path, f.digest) for f in fresh)
    if cache is not None:
        for f in fresh:
            cache.put(f)
        if reuse:
            facts_digests = {rel: e.facts_digest for rel, e in entries.items()}
            facts_digests.update((f.path, cache.facts_digests[f.path]) for f in fresh)
            analysis = cache.get_analysis(cache.analysis_key(config, facts_digests))
            if analysis is not None:  # what linking these facts gives is known: leave them on disk
                return _Extracted([], errors, hits, digests, analysis)
        loaded = cache.load(entries.values())
        facts.update(loaded)
        broken = [rel for rel in entries if rel not in loaded]  # damaged entries: extract again
        hits -= len(broken)
        fresh += _run([(rel, content, config.extend_catalogs, options.prefilter, False, False) for rel in broken if (content := data(rel)) is not None], options, count)
    # Deferred modules imported by parsed ones are extracted in full, until no new one is imported.
    while True:
        facts.update((f.path, f) for f in fresh)
        if cache is not None:
            for f in fresh:
                cache.put(f)
        needed = _imported_deferred(facts) if options.prefilter else []
        if not needed:
            break
        forced = []
        for rel in needed:
            cached = cache.get(rel, facts[rel].digest) if cache is not None else None
            if cached is not None:
                facts[rel] = cached
            elif (content := data(rel)) is not None:
                forced.append((rel, content, config.extend_catalogs, False, True, False))  # deferred: CPython accepted it
        fresh = _run(forced, options, count)
    digests.update((f.path, f.digest) for f in facts.values())
    return _Extracted(list(facts.values()), errors, hits, digests)


def _suppressions(files: dict[str, FileFacts], path: str) -> list[Suppression]:
    facts = files.get(path)
    return facts.suppressions if facts is not None else []


def _computed(config: Config) -> Callable[[str], bool]:
    """The codes the checks report: those enabled, and those the steps after the checks read
    (`_after_checks`) even when they are not shown."""
    from keylint.checks import kl115_proven_signing_key as kl115
    from keylint.checks import kl116_known_production_key as kl116

    needed: set[str] = set()
    if config.enabled(kl115.CODE):
        needed |= kl115.KEY_CODES | {kl115.TOKEN_CODE}
    if config.known_keys and config.enabled(kl116.CODE):
        needed |= REPLACES[kl116.CODE]
    return lambda code: config.enabled(code) or code in needed


def _analyze(facts: list[FileFacts], config: Config, catalog: Catalog) -> ProjectAnalysis:
    """Link and check: a function of the facts, the configuration, the catalog and keylint alone."""
    # imported here: linking and the checks load every rule family, which a warm scan that
    # reuses a cached analysis never needs
    from keylint.checks import run_checks
    from keylint.checks.base import Context
    from keylint.link import Project

    project = Project(facts)
    drafts = run_checks(Context(project, catalog, config), _computed(config))
    hidden = [suppressed(d, _suppressions(project.files, d.path), config) for d in drafts]
    return ProjectAnalysis(
        drafts=tuple(d for d, h in zip(drafts, hidden) if not h),
        errors=tuple(e for f in facts for e in f.errors),
        python_files=sum(1 for f in facts if f.python is not None),
        suppressed=tuple(d for d, h in zip(drafts, hidden) if h and d.key),
    )


class _Sources:
    """The files' text as it is now, read once each, for the steps that read values back."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.texts: dict[str, str | None] = {}

    def text(self, path: str) -> str | None:
        if path not in self.texts:
            try:
                self.texts[path] = decode(read_regular(self.config.root / path, self.config.max_file_size))[0]
            except OSError:
                self.texts[path] = None
        return self.texts[path]

    def suppressions(self, path: str) -> list[Suppression]:
        text = self.text(path)
        return read_suppressions(path, text)[0] if text is not None else []


def _after_checks(analysis: ProjectAnalysis, config: Config, catalog: Catalog) -> list[Draft]:
    """What is decided from the checks' findings: a key proven by a token of the repository
    (KL115, read back from the files here, in this process, and forgotten), a key of the known-keys
    file (KL116), then one finding per root cause (keylint.supersede), then the master-key paths told
    to their parts (keylint.supersede.join_paths), then only the codes asked for."""
    from keylint.checks import kl115_proven_signing_key as kl115
    from keylint.checks import kl116_known_production_key as kl116

    drafts = list(analysis.drafts)
    sources = _Sources(config)
    added: list[Draft] = []
    if config.enabled(kl115.CODE):  # keys whose findings are suppressed are accepted: not tried
        added += kl115.prove(drafts, sources.text, time.time())
    if config.known_keys and config.enabled(kl116.CODE):  # suppressing another code does not hide a known key
        added += kl116.match([*drafts, *analysis.suppressed, *added], load_known_keys(Path(config.known_keys)))
    added = [d for d in added if not suppressed(d, sources.suppressions(d.path), config)]
    return [d for d in join_paths(supersede([*drafts, *added], catalog), catalog) if config.enabled(d.code)]


def _finalize(drafts: list[Draft], config: Config, catalog: Catalog, digests: dict[str, str], errors: list[FileError], cache: FactCache | None) -> list[Finding]:
    """Findings from drafts, each file's lines read again from the work tree."""
    by_path: dict[str, list[Draft]] = {}
    for d in drafts:
        by_path.setdefault(d.path, []).append(d)

    def hashes(text: str, digest: str, needed: int) -> list[str]:
        """GitHub's hashes of the first `needed` lines (or all there are), from the cache if known."""
        found = cache.get_lines(digest, needed) if cache is not None else None
        if found is None:
            found = line_hashes(text, stop_after_line=needed)
            if cache is not None:
                cache.put_lines(digest, found)
        return found

    findings: list[Finding] = []
    for path in sorted(by_path):
        try:
            data = read_regular(config.root / path, config.max_file_size)
        except OSError:
            data = b""
        if digests.get(path, "") not in ("", digest_of(data)):
            # changed since extraction: its lines no longer belong to the findings, so show none
            data = b""
            errors.append(FileError(path, "changed while being scanned; findings reported without source lines", kind="read"))
        findings += finalize_file(path, decode(data)[0], digest_of(data), by_path[path], config, catalog, hashes)
    return findings


def scan(config: Config, selected: Sequence[str] | None = None, options: ScanOptions = ScanOptions(), found: Discovered | None = None) -> Report:
    """Scan the project at `config.root`; report findings located under `selected` (root-relative).

    `found` replaces discovery with files chosen elsewhere (the laptop sweep's own walk)."""
    started = time.perf_counter()
    # What exists now (modules, catalogs) and the facts below stay until the scan ends: frozen, the
    # cycle collector skips their hundreds of thousands of objects at each collection (and at exit).
    gc.freeze()
    catalog = load_catalog(config.extend_catalogs)
    cache = FactCache(options.cache_dir, catalog.digest) if options.cache_dir is not None else None
    try:
        if cache is not None:
            cache.load_signatures(config.root)
        if found is None:
            found = discover(config, cache.seen_as_text if cache is not None else None, named=selected)
        got = _extract(config, found.files, options, cache, reuse=True)
        gc.freeze()
        analysis = got.analysis
        if options.progress is not None:
            options.progress("checking", 0, 0)
        if analysis is None:
            analysis = _analyze(got.facts, config, catalog)
            if cache is not None:
                cache.put_analysis(cache.analysis_key(config, {f.path: cache.facts_digests[f.path] for f in got.facts}), analysis)
        errors = got.errors
        errors += [FileError(p, f"cannot read: {why}", kind="read") for p, why in found.unreadable]
        errors += [FileError(p, why, kind="skipped") for p, why in found.skipped]
        kept = [d for d in _after_checks(analysis, config, catalog) if reported(d, selected)]
        findings = sorted(_finalize(kept, config, catalog, got.digests, errors, cache), key=lambda f: f.sort_key)
    finally:
        if cache is not None:
            cache.close()
    errors += analysis.errors
    errors = sorted({e for e in errors if under(e.path, selected)}, key=lambda e: (e.path, e.line or 0, e.message))
    stats = Stats(
        files_scanned=len(found.files),
        python_files=analysis.python_files,
        skipped_binary=found.skipped_binary,
        skipped_too_large=found.skipped_too_large,
        cached_files=got.hits,
        seconds=time.perf_counter() - started,
    )
    return Report(findings=tuple(findings), errors=tuple(errors), stats=stats, root=str(config.root), uri_prefix=git_prefix(config.root))


def paths_relative_to(root: Path, paths: Iterable[Path]) -> list[str] | None:
    """Root-relative POSIX forms of the paths the user named; None when one of them is the root."""
    out = []
    for p in paths:
        rel = p.resolve().relative_to(root.resolve()).as_posix() if p.resolve() != root.resolve() else "."
        if rel == ".":
            return None
        out.append(rel)
    return out



