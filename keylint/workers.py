"""Per-file extraction in worker processes, bounded in time per file and in memory per process.

The scanned tree is untrusted. One file can crash LibCST's native parser (a stack overflow on deep
nesting), keep a parser busy for minutes (quadratic behaviour on long expression chains), or ask for
gigabytes. So every file is extracted in a worker process with a deadline and a memory cap:

- a worker that dies (signal, abort, memory exhausted) or overruns the deadline is killed and
  replaced; the file is tried once more with the secret scanner only (no Python parse, no config
  parsers), so the secrets in it are still found;
- if that second try fails too, the file becomes a `FileError` naming it, with no facts.

Either way the problem is reported as a notification on the file and the scan goes on with the
rest. Nothing here is specific to any input: the runner only sees deadlines and exit statuses.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

from keylint.catalog import load_catalog
from keylint.extract import PYTHON_SUFFIXES, extract_file, extract_secrets_only
from keylint.extract.facts import FileFacts
from keylint.model import FileError

# A task: (repository-relative path, file bytes, extend-catalogs paths, prefilter, accepted,
# keys_only), the last three as for `keylint.extract.extract_file`.
Task = tuple[str, bytes, tuple[str, ...], bool, bool, bool]

FULL, SECRETS_ONLY = "full", "secrets-only"
# Share of the per-file time the secret scan may use: in a full extraction the parsers need the
# rest; alone (second try) it may use most of it and still return what it found before the kill.
_SECRET_SHARE = {FULL: 0.5, SECRETS_ONLY: 0.8}


@dataclass(frozen=True, slots=True)
class Limits:
    file_timeout: float = 60.0  # seconds one file may take in one attempt
    memory_bytes: int = 2 * 1024**3  # address space a worker may add to what it inherited


def _extract(task: Task, mode: str, deadline: float) -> FileFacts:
    path, data, extensions, prefilter, accepted, keys_only = task
    if mode == SECRETS_ONLY:
        return extract_secrets_only(path, data, deadline=deadline)
    return extract_file(path, data, load_catalog(extensions), deadline=deadline, prefilter=prefilter, accepted=accepted, keys_only=keys_only)


def _cap_memory(extra: int) -> None:
    """Limit this process's address space to what it has now plus `extra` (Unix only)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as handle:
            current = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + extra
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no setrlimit: the deadline still bounds the worker


def _serve(inbox: Connection, outbox: Connection, limits: Limits) -> None:
    """Worker loop: receive a batch of (index, task, mode), send back (index, facts) for each as it
    is done (so the parent can time every file); None ends the loop. A failure the worker can
    catch itself is sent back as a string saying what happened."""
    _cap_memory(limits.memory_bytes)
    while True:
        try:
            batch = inbox.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        for index, task, mode in batch:
            try:
                facts: Any = _extract(task, mode, time.monotonic() + limits.file_timeout * _SECRET_SHARE[mode])
            except MemoryError:
                facts = "ran out of memory"
            except RecursionError:
                facts = "too deeply nested"
            except Exception as exc:  # a bug in an extractor must not end the scan; report it on the file
                facts = f"internal error {type(exc).__name__}"
            try:
                outbox.send((index, facts))
            except MemoryError:
                outbox.send((index, "ran out of memory"))


# Small files go to a worker in batches (one pipe round trip per file would cost more than the
# file); a batch never holds more than this many files or bytes.
_BATCH_FILES = 64
_BATCH_BYTES = 256 * 1024


class _Worker:
    def __init__(self, context: Any, limits: Limits) -> None:
        # two one-way OS pipes, not a duplex Pipe (a socketpair): extraction uses no socket at all
        inbox, self.outbox = context.Pipe(duplex=False)
        self.conn, outbox = context.Pipe(duplex=False)
        self.process = context.Process(target=_serve, args=(inbox, outbox, limits), daemon=True)
        self.process.start()
        inbox.close()
        outbox.close()
        self.jobs: deque[tuple[int, str]] = deque()  # (task index, mode), in the order worked on
        self.started = 0.0  # when the file at the head of `jobs` was begun

    def give(self, batch: list[tuple[int, str]], tasks: Sequence[Task]) -> None:
        self.jobs.extend(batch)
        self.started = time.monotonic()
        self.outbox.send([(index, tasks[index], mode) for index, mode in batch])

    def stop(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.outbox.send(None)
            except OSError:
                self.process.kill()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        self.outbox.close()


def _died(process: Any) -> str:
    process.join(1)
    code = process.exitcode
    if code is not None and code < 0:
        return f"crashed keylint's parser (signal {-code})"
    return "crashed keylint's parser"


def _failed(task: Task, why: str, kind: str) -> FileFacts:
    path, data = task[0], task[1]
    facts = FileFacts(path=path, digest=hashlib.sha256(data).hexdigest())
    facts.errors.append(FileError(path, f"{why}; not scanned", kind=kind))
    return facts


def extract_isolated(tasks: Sequence[Task], jobs: int, limits: Limits = Limits(), progress: Callable[[int, int], None] | None = None) -> list[FileFacts]:
    """Facts for every task, in order; never raises for a file, never waits on one past its
    deadline. `progress(done, of how many)` is told as files are done."""
    results: list[FileFacts | None] = [None] * len(tasks)
    queue: deque[tuple[int, str]] = deque((i, FULL) for i in range(len(tasks)))
    notes: dict[int, tuple[str, str]] = {}  # index -> (why the full extraction failed, kind)
    # build the catalogs and detectors once here, so forked workers inherit them instead of each
    # rebuilding them (with the spawn start method this only costs the parent a little time)
    for extensions in {t[2] for t in tasks}:
        load_catalog(extensions)
    from keylint.extract.secrets import _plugins as secret_plugins

    secret_plugins()
    if any(t[0].endswith(PYTHON_SUFFIXES) for t in tasks):
        import keylint.extract.python  # noqa: F401  (LibCST and the visitors, inherited by the workers)
    context = multiprocessing.get_context()
    finished = 0
    workers = [_Worker(context, limits) for _ in range(max(1, min(jobs, len(tasks))))]

    def next_batch() -> list[tuple[int, str]]:
        batch = [queue.popleft()]
        size = len(tasks[batch[0][0]][1])
        # a file on its second try goes alone: it is the one that crashed or overran
        while queue and batch[0][1] == FULL and queue[0][1] == FULL and len(batch) < _BATCH_FILES:
            size += len(tasks[queue[0][0]][1])
            if size > _BATCH_BYTES:
                break
            batch.append(queue.popleft())
        return batch

    def failed(slot: int, why: str, kind: str, replace: bool) -> None:
        """The file at the head of worker `slot` failed; requeue the rest of its batch."""
        w = workers[slot]
        index, mode = w.jobs.popleft()
        if mode == FULL:
            notes[index] = (why, kind)
            queue.appendleft((index, SECRETS_ONLY))
        else:
            first, first_kind = notes.get(index, (why, kind))
            results[index] = _failed(tasks[index], first if first == why else f"{first}, then {why}", first_kind)
        if replace:
            queue.extendleft(reversed(w.jobs))  # the rest of its batch, in order, first in line
            w.jobs.clear()
            w.stop(kill=True)
            workers[slot] = _Worker(context, limits)
        else:
            w.started = time.monotonic()

    try:
        while queue or any(w.jobs for w in workers):
            for w in workers:
                if not w.jobs and queue:
                    w.give(next_batch(), tasks)
            busy = [w for w in workers if w.jobs]
            now = time.monotonic()
            wait_for = max(0.0, min(w.started + limits.file_timeout - now for w in busy))
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            for slot, w in enumerate(workers):
                if not w.jobs:
                    continue
                if w.conn in ready:
                    try:
                        index, facts = w.conn.recv()
                    except (EOFError, OSError):
                        failed(slot, _died(w.process), "crash", replace=True)
                        continue
                    if isinstance(facts, str):  # the worker caught the failure itself
                        failed(slot, facts, "crash", replace=False)
                        continue
                    _, mode = w.jobs.popleft()
                    w.started = time.monotonic()
                    if mode == SECRETS_ONLY and index in notes:
                        why, kind = notes[index]
                        facts.errors.append(FileError(facts.path, f"{why}; scanned for secrets only", kind=kind))
                    results[index] = facts
                    if progress is not None:
                        finished += 1
                        progress(finished, len(tasks))
                elif time.monotonic() - w.started > limits.file_timeout:
                    failed(slot, f"took longer than {limits.file_timeout:g} s", "timeout", replace=True)
    finally:
        for w in workers:
            w.stop(kill=bool(w.jobs))
    return [r for r in results if r is not None]
