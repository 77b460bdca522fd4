"""Git history: key material (KL1xx) in every blob that commits added, not only in the work tree.

A key deleted from HEAD is still leaked: anyone with a clone has it. `git rev-list` lists the
commits (oldest first), `git diff-tree --stdin` the blobs each one added or modified, and
`git cat-file` reads each blob once; all three stream, and only digests of blobs and findings are
remembered, so memory stays bounded by the number of distinct blobs, not their size. Each blob is
extracted and checked alone (the project around it at that commit is not linked): a key used in
the same file is followed, one defined in another module is found as the literal it is only when
a file-level rule (PEM, config, tokens, credentials) sees it.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from keylint.catalog import Catalog, load_catalog
from keylint.config import Config
from keylint.discover import BINARY_SUFFIXES, SKIPPED_DIRS, is_excluded
from keylint.extract import decode, extract_file
from keylint.finalize import finalize_file
from keylint.inventory import load_known_keys
from keylint.model import Finding
from keylint.supersede import supersede
from keylint.suppress import suppressed

Progress = Callable[[int, str], None]  # (commits read so far, path of the blob being scanned)
_CHUNK = 1 << 16


class HistoryError(Exception):
    """git could not list the history (not a repository, unknown revision)."""


@dataclass(frozen=True, slots=True)
class HistoryFinding:
    commit: str  # the first commit (in topological order) that added the flagged content
    finding: Finding  # location.path is the path in that commit


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """NUL-separated tokens from a stream, without reading it whole."""
    pending = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        pending += chunk
        *complete, pending = pending.split(b"\0")
        yield from complete
    if pending:
        yield pending


def _added_blobs(root: Path, rev_range: str) -> Iterator[tuple[str, str, str] | str]:
    """A commit id (str) when the commit starts, then (commit, blob, path) for each regular file it added or changed."""
    revs = subprocess.Popen(["git", "rev-list", "--reverse", "--topo-order", rev_range, "--"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tree = subprocess.Popen(
        ["git", "diff-tree", "--stdin", "-r", "-m", "--root", "--no-renames", "--diff-filter=AM", "-z"],
        cwd=root, stdin=revs.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert revs.stdout is not None and tree.stdout is not None
    revs.stdout.close()  # diff-tree owns it now
    commit, meta = "", None
    try:
        for token in _tokens(tree.stdout):
            if meta is not None:
                fields = meta.split()
                meta = None
                if len(fields) >= 5 and fields[1] in (b"100644", b"100755"):  # regular files, no links or submodules
                    yield commit, fields[3].decode("ascii"), token.decode("utf-8", "surrogateescape")
            elif token.startswith(b":"):
                meta = token
            elif token.strip():
                commit = token.strip().decode("ascii")
                yield commit
    finally:
        tree.stdout.close()
        tree.wait()
        revs.wait()
    if revs.returncode != 0:
        raise HistoryError((revs.stderr.read() if revs.stderr else b"").decode("utf-8", "replace").strip() or f"git rev-list {rev_range} failed")


class _Blobs:
    """`git cat-file` kept open: sizes first, contents only for blobs small enough to scan."""

    def __init__(self, root: Path) -> None:
        self.check = subprocess.Popen(["git", "cat-file", "--batch-check"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.batch = subprocess.Popen(["git", "cat-file", "--batch"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def size(self, blob: str) -> int:
        assert self.check.stdin is not None and self.check.stdout is not None
        self.check.stdin.write(blob.encode() + b"\n")
        self.check.stdin.flush()
        parts = self.check.stdout.readline().split()
        return int(parts[2]) if len(parts) == 3 and parts[1] == b"blob" else -1

    def read(self, blob: str) -> bytes:
        assert self.batch.stdin is not None and self.batch.stdout is not None
        self.batch.stdin.write(blob.encode() + b"\n")
        self.batch.stdin.flush()
        size = int(self.batch.stdout.readline().split()[2])
        data = self.batch.stdout.read(size)
        self.batch.stdout.read(1)  # the newline after the contents
        return data

    def close(self) -> None:
        for process in (self.check, self.batch):
            if process.stdin is not None:
                process.stdin.close()
            process.wait()


def _wanted(path: str, config: Config) -> bool:
    parts = path.split("/")
    if any(p in SKIPPED_DIRS for p in parts[:-1]) or is_excluded(path, config):
        return False
    return "." + path.rsplit(".", 1)[-1].lower() not in BINARY_SUFFIXES if "." in parts[-1] else True


def _findings(path: str, data: bytes, config: Config, catalog: Catalog, known: dict[str, str]) -> list[Finding]:
    from keylint.checks import run_checks  # the rule families: not loaded by `import keylint.cli`
    from keylint.checks import kl116_known_production_key as kl116
    from keylint.checks.base import Context
    from keylint.link import Project

    facts = extract_file(path, data, catalog)
    # with known keys, every key finding is made (a known key may be one the user does not select)
    drafts = run_checks(Context(Project([facts]), catalog), lambda code: code.startswith("KL1") and (config.enabled(code) or bool(known)))
    kept = [d for d in drafts if not suppressed(d, facts.suppressions, config)]
    if known and config.enabled(kl116.CODE):  # as in a scan: a known key is found even where its other findings are suppressed
        found = [d for d in kl116.match(drafts, known) if not suppressed(d, facts.suppressions, config)]
        kept = supersede([*kept, *found], catalog)
    kept = [d for d in kept if config.enabled(d.code)]
    return finalize_file(path, decode(data)[0], facts.digest, kept, config, catalog)


def scan_history(config: Config, rev_range: str = "HEAD", progress: Progress | None = None) -> Iterator[HistoryFinding]:
    """Findings in the blobs the commits of `rev_range` added, each reported once, at its first commit."""
    catalog = load_catalog(config.extend_catalogs)
    known = load_known_keys(Path(config.known_keys)) if config.known_keys else {}
    blobs = _Blobs(config.root)
    seen_blobs: set[bytes] = set()
    seen_findings: set[tuple[str, str]] = set()  # (fingerprint, key): the same leak in a later version of the file
    commits = 0
    try:
        for item in _added_blobs(config.root, rev_range):
            if isinstance(item, str):
                commits += 1
                continue
            commit, blob, path = item
            raw = bytes.fromhex(blob)
            if raw in seen_blobs or not _wanted(path, config):
                continue
            seen_blobs.add(raw)
            if progress is not None:
                progress(commits, path)
            size = blobs.size(blob)
            if size < 0 or size > config.max_file_size:
                continue
            data = blobs.read(blob)
            if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            for finding in _findings(path, data, config, catalog, known):
                identity = (finding.fingerprint, finding.key)
                if identity in seen_findings:
                    continue
                seen_findings.add(identity)
                yield HistoryFinding(commit, finding)
    finally:
        blobs.close()
