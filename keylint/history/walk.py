"""The fast path: history read as one stream of changes, only what could hold a key analysed.

Commits are taken parents first. For each file a commit makes new, its patch against the parent
decides (`keylint.history.prefilter`): most are turned away on their bytes; what could have
added a key is read in full and analysed like a tree scan's file. Each (blob, path) is decided
once, whichever branches share it. What a version may hold across lines (a PEM block, a JWK) is
remembered per blob, so a later edit inside such a key is never missed. A version whose patch
git does not give (binary to git, a merge's conflict resolution, a patch too large to keep) or
whose parent lies outside the range is checked on its whole bytes instead.
"""

from __future__ import annotations

import bisect
import heapq
import re
import time
from dataclasses import dataclass, field
from typing import Callable

from keylint.catalog import Catalog
from keylint.config import Config
from keylint.extract import decode
from keylint.extract.secrets import scan_text
from keylint.history import git
from keylint.history.analysis import BINARY, TOO_LARGE, Version, unreadable
from keylint.history.prefilter import MARKERS, Kind, Prefilter, added_lines, against_first_parent, kind_of, markers_in, wanted

# (commits read, commits in all, file versions read, file versions to analyse)
Progress = Callable[[int, int, int, int], None]
_DETECTOR_BATCH = 1 << 20  # bytes of added lines the secret detectors read at once
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass(slots=True)
class Walked:
    commits: list[git.Commit]
    selected: list[Version] = field(default_factory=list)
    versions: int = 0  # file versions read (as patches or whole)
    patch_bytes: int = 0  # bytes of patches read
    whole_bytes: int = 0  # bytes of versions read whole
    skipped: dict[str, int] = field(default_factory=lambda: {BINARY: 0, TOO_LARGE: 0})


class _Walk:
    def __init__(self, repo: git.Repository, config: Config, catalog: Catalog, blobs: git.Blobs, progress: Progress | None) -> None:
        self.repo, self.config, self.blobs, self.progress = repo, config, blobs, progress
        self.prefilter = Prefilter(catalog)
        self.markers: dict[str, frozenset[str]] = {}  # blob -> what it may hold across lines
        self.decided: set[tuple[str, str]] = set()  # (blob, path)
        self.boundary: set[str] = set()  # parent blobs from before the range, read to know their markers
        self.baselined: set[tuple[str, str]] = set()
        # (index, path, blob, boundary parent, added lines), waiting for the secret detectors
        self.pending: list[tuple[int, str, str, str | None, bytes]] = []
        self.pending_bytes = 0
        self.shown = 0.0

    def run(self, walked: Walked) -> None:
        commits = walked.commits
        order = {c.sha: i for i, c in enumerate(commits)}
        ordinary = git.patches(self.repo, [c.sha for c in commits if len(c.parents) <= 1])
        merges = git.patches(self.repo, [c.sha for c in commits if len(c.parents) > 1], merges=True)
        # the two streams, each in commit order, read as one
        for index, change in heapq.merge(((order[c.commit], c) for c in ordinary), ((order[c.commit], c) for c in merges), key=lambda item: item[0]):
            self._change(walked, index, change)
            self._show(walked, index + 1)
        self._flush(walked)
        self._show(walked, len(commits), final=True)

    def _change(self, walked: Walked, index: int, change: git.Change) -> None:
        path, blob, parent = change.path, change.blob, change.parent_blob
        if (blob, path) in self.decided or not wanted(path, self.config):
            return
        self.decided.add((blob, path))
        walked.versions += 1
        kind = kind_of(path)
        if parent is not None and parent != git.ZERO and parent not in self.markers:
            self._learn_boundary(walked, parent)  # never walked: it lies before the range
        before_range = parent if parent in self.boundary else None
        if change.hunks is None or parent is None:
            self._whole(walked, index, path, blob, kind, before_range)
            return
        walked.patch_bytes += len(change.hunks)
        hunks = change.hunks if change.columns == 1 else against_first_parent(change.hunks, change.columns)
        before = self.markers.get(parent, frozenset())
        self.markers[blob] = self.markers.get(blob, frozenset()) | before | markers_in(hunks)
        if before.intersection(kind.markers):
            self._select(walked, index, path, blob, before_range)
            return
        reason = self.prefilter.selects(kind, path, hunks, patch=True)
        if reason is not None:
            self._select(walked, index, path, blob, before_range, gated=reason == "python")
            if reason != "python":
                return  # (a Python version the gate may skip still has its added lines checked below)
        lines = added_lines(hunks)
        if lines:
            text = b"\n".join(line[:-1] if line.endswith(b"\r") else line for line in lines)
            self.pending.append((index, path, blob, before_range, text))
            self.pending_bytes += len(text)
            if self.pending_bytes >= _DETECTOR_BATCH:
                self._flush(walked)

    def _learn_boundary(self, walked: Walked, parent: str) -> None:
        """A parent from before the range: read once, to know what it may hold across lines."""
        data = self._read(walked, parent)
        self.markers[parent] = markers_in(data) if data is not None else frozenset(MARKERS)
        self.boundary.add(parent)

    def _read(self, walked: Walked, blob: str) -> bytes | None:
        data = self.blobs.read(blob, self.config.max_file_size)
        if data is not None:
            walked.whole_bytes += len(data)
        return data

    def _whole(self, walked: Walked, index: int, path: str, blob: str, kind: Kind, before_range: str | None) -> None:
        """A version without a usable patch: decided on all its bytes."""
        data = self._read(walked, blob)
        why = unreadable(data, self.config)
        if why is not None or data is None:
            walked.skipped[why or TOO_LARGE] += 1
            self.markers.setdefault(blob, frozenset(MARKERS))  # unknown: what it may hold is not known
            return
        self.markers[blob] = markers_in(data)
        if self.markers[blob].intersection(kind.markers) or _detected(data):
            self._select(walked, index, path, blob, before_range)
        elif reason := self.prefilter.selects(kind, path, data, patch=False):
            self._select(walked, index, path, blob, before_range, gated=reason == "python")

    def _select(self, walked: Walked, index: int, path: str, blob: str, before_range: str | None, gated: bool = False) -> None:
        walked.selected.append(Version(index, path, blob, gated=gated))
        if before_range is not None and (before_range, path) not in self.baselined:
            # its keys were there before the range: analysed too, so that they are not reported as new
            self.baselined.add((before_range, path))
            walked.selected.append(Version(index, path, before_range, baseline=True))

    def _flush(self, walked: Walked) -> None:
        """Run the secret detectors over the added lines collected so far, all at once (they
        find keys line by line, so lines from many files can be read as one text)."""
        if not self.pending:
            return
        starts, line = [], 1
        for *_, text in self.pending:
            starts.append(line)
            line += len(_LINE_BREAK.findall(text)) + 1  # lines as the detectors number them
        found = {f.span.line for f in scan_text("history", decode(b"\n".join(p[-1] for p in self.pending))[0])}
        for k in sorted({bisect.bisect_right(starts, number) - 1 for number in found}):
            index, path, blob, before_range, _ = self.pending[k]
            self._select(walked, index, path, blob, before_range)
        self.pending.clear()
        self.pending_bytes = 0

    def _show(self, walked: Walked, done: int, final: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if final or now - self.shown >= 0.1:
            self.shown = now
            self.progress(done, len(walked.commits), walked.versions, len(walked.selected))


def _detected(data: bytes) -> bool:
    return next(iter(scan_text("history", decode(data)[0])), None) is not None


def walk(repo: git.Repository, arguments: list[str], config: Config, catalog: Catalog, blobs: git.Blobs, progress: Progress | None = None) -> Walked:
    walked = Walked(git.commits(repo, arguments))
    _Walk(repo, config, catalog, blobs, progress).run(walked)
    return walked
