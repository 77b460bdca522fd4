"""git, read the way the fast secret scanners read it: one stream of what each commit changed.

History is never walked as trees. `git rev-list` lists the commits once (parents first);
`git diff-tree --stdin -p` streams, for every ordinary commit, the patch against its parent
(three lines of context, full blob ids); merges are asked only which files they made differ from
every parent (`-c --raw`: a conflict resolution, the one thing a merge can add); `git cat-file
--batch` reads the few blobs that are analysed. Each is one process for the whole run.

Nothing here interprets file contents: it yields `Change`s and raw bytes. git runs with the
options that make its output independent of the scanned repository's configuration (no text
conversion, no external diff, fixed prefixes, no rename detection, paths unquoted as far as git
allows), and it never touches a work tree or an index.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

ZERO = "0" * 40
_REGULAR_MODES = ("100644", "100755")
_READ = 1 << 20


class HistoryError(Exception):
    """The history cannot be read: not a repository, shallow, empty, corrupt, a bad range."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One file a commit made new: `blob` at `path`, `parent_blob` the version it replaced (ZERO:
    none, the file is new there; for a merge, its first parent's version). `hunks` is the patch
    text after the header (hunk headers, context, removed and added lines; for a merge git's
    combined patch, which shows every line that differs from some parent), None when git gave
    no text diff (binary to git, or a patch too large to keep)."""

    commit: str
    path: str
    blob: str
    parent_blob: str | None
    hunks: bytes | None
    columns: int = 1  # characters that start each patch line: one per parent diffed against


# Options a history range may carry: revisions, ref sets, date and author limits. Anything that
# changes rev-list's output, or git's behaviour, is refused.
_SAFE_OPTIONS = re.compile(
    r"--(?:all|branches|tags|remotes|not|no-merges|merges|reflog|"
    r"(?:branches|tags|remotes|glob|exclude|since|after|until|before|author|committer|max-count|skip|max-age|min-age)=.+)$"
    r"|-n\d+$"
)


def range_arguments(text: str, since: str | None) -> list[str]:
    """rev-list arguments for a user's range (`origin/main..HEAD`, `--all`, `v1.0.. --author=x`;
    none: every branch and tag) and `--since REF` (of HEAD, or of the range, only what REF does
    not contain)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise HistoryError(f"cannot read the history range {text!r}: {exc}") from None
    for word in words:
        if word.startswith("-") and not _SAFE_OPTIONS.match(word):
            raise HistoryError(f"history range option {word!r} is not supported (revisions, --all, --branches, --tags, --since=DATE, --author=... are)")
    if since is not None:
        if not since or since.startswith("-"):
            raise HistoryError(f"--since takes a revision, not {since!r}")
        return (words or ["HEAD"]) + ["^" + since]  # what HEAD (or the range) has and REF has not
    return words or ["--all"]


def _git(root: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, input=input, capture_output=True, check=False, env=_environment())
    except FileNotFoundError:
        raise HistoryError("git is not installed (it is needed to read history)") from None
    except OSError as exc:
        raise HistoryError(f"cannot run git: {exc.strerror or exc}") from None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"  # git's messages in one language: they are shown, not parsed, but stay readable
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE"):
        env.pop(name, None)  # the repository is the one at the path named, nothing else
    return env


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip().removeprefix("fatal: ").removeprefix("error: ")
    return ""


@dataclass(frozen=True, slots=True)
class Repository:
    root: Path  # where git runs (the project root)
    prefix: str  # the project root's path inside the repository ("" at its top), with a trailing "/"


def open_repository(root: Path) -> Repository:
    """The repository holding `root`, checked to be whole: not shallow, not empty."""
    done = _git(root, "rev-parse", "--show-prefix", "--is-shallow-repository")
    if done.returncode != 0:
        why = _first_line(done.stderr)
        if "not a git repository" in why:
            raise HistoryError(f"{root} is not in a git repository: --history reads git history")
        raise HistoryError(f"git cannot open {root}: {why}")
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    prefix = lines[0] if len(lines) > 1 else ""
    if lines[-1:] == ["true"]:
        raise HistoryError(
            "shallow clone: its history is cut off, so keys in older commits would be missed; fetch the whole "
            "history first (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)"
        )
    refs = _git(root, "for-each-ref", "--count=1", "--format=%(objectname)")
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not refs.stdout.strip() and head.returncode != 0:
        raise HistoryError("empty repository: it has no commits yet")
    return Repository(root, prefix)


def commits(repo: Repository, arguments: Sequence[str]) -> list[Commit]:
    """The commits of the range, every parent before its children."""
    done = _git(repo.root, "rev-list", "--reverse", "--topo-order", "--parents", *arguments, "--")
    if done.returncode != 0:
        why = _first_line(done.stderr)
        raise HistoryError(f"git cannot list the commits of {shlex.join(arguments)}: {why}")
    out = []
    for line in done.stdout.decode("ascii", "replace").splitlines():
        shas = line.split()
        if shas:
            out.append(Commit(shas[0], tuple(shas[1:])))
    return out


_DIFF_OPTIONS = ("-r", "--no-renames", "--no-textconv", "--no-ext-diff", "--no-color", "--full-index", "--src-prefix=a/", "--dst-prefix=b/")


class _Feeder(threading.Thread):
    """Writes commit ids to a git process's stdin while its stdout is read (no pipe deadlock)."""

    def __init__(self, stdin: IO[bytes], shas: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self.stdin, self.shas = stdin, shas

    def run(self) -> None:
        try:
            for start in range(0, len(self.shas), 512):
                self.stdin.write("".join(s + "\n" for s in self.shas[start : start + 512]).encode("ascii"))
            self.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass  # git stopped early; its exit status says why


def _relative(repo: Repository) -> tuple[str, ...]:
    return (f"--relative={repo.prefix}",) if repo.prefix else ()


def _unquote(text: bytes) -> bytes:
    """A path as git writes it in C-style quotes (`"a/\\303\\274.py"`), unquoted."""
    if not text.startswith(b'"'):
        return text
    out, i, body = bytearray(), 1, text
    simple = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("v"): 11}
    while i < len(body) and body[i] != ord('"'):
        c = body[i]
        if c == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            if 48 <= nxt <= 55:
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(simple.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def _header_path(line: bytes) -> bytes:
    """The path of `diff --git a/P b/P` (renames are off, so both sides are the same path)."""
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"'):
        end = 1
        while end < len(rest) and not (rest[end] == ord('"') and rest[end - 1] != ord("\\")):
            end += 1
        return _unquote(rest[: end + 1])[2:]
    half = (len(rest) - 5) // 2  # "a/" + P + " b/" + P
    return rest[2 : 2 + half]


def _cuts(buffer: bytes, start: int) -> list[int]:
    """Where records begin in `buffer` at or after `start` (never at 0): at each commit, which
    `--format=%x00%H` starts with a NUL at the start of a line (a patch line never starts so:
    each starts with its prefix column), and at each file's `diff --` line."""
    cuts = []
    for mark in (b"\n\0", b"\ndiff --"):
        at = buffer.find(mark, max(0, start - 1))
        while at >= 0:
            cuts.append(at + 1)
            at = buffer.find(mark, at + 1)
    return sorted(c for c in cuts if c >= start)


def _parse_block(commit: str, block: bytes) -> Change | None:
    """One file's patch (from `diff --git` or `diff --combined` up to the next file or commit) as a
    Change, or None for what holds no new regular-file content (a mode change, a link, a submodule)."""
    cut = block.find(b"\n@@")
    header = block if cut < 0 else block[:cut]
    hunks: bytes | None = b"" if cut < 0 else block[cut + 1 :]
    path = b""
    old = new = ""
    mode = ""
    columns = 1
    for line in header.split(b"\n"):
        if line.startswith(b"diff --git "):
            path = _header_path(line)
        elif line.startswith(b"diff --combined "):
            path = _unquote(line[len(b"diff --combined ") :])
        elif line.startswith(b"index "):
            fields = line[6:].split()
            before, _, after = fields[0].partition(b"..")
            parents = before.split(b",")
            old, new, columns = parents[0].decode("ascii"), after.decode("ascii"), len(parents)
            if len(fields) > 1:
                mode = fields[1].decode("ascii")
        elif line.startswith((b"new file mode ", b"new mode ", b"mode ")):
            mode = line.rsplit(b" ", 1)[-1].rpartition(b"..")[2].decode("ascii")
        elif line.startswith(b"Binary files "):
            hunks = None
    if not mode and columns > 1:
        mode = _REGULAR_MODES[0]  # a combined patch names the mode only when it changed (links are rare here)
    if not new or new == ZERO or mode not in _REGULAR_MODES:
        return None  # no content change (a mode change), or not a regular file
    return Change(commit, os.fsdecode(path), new, old or ZERO, hunks, columns)


def patches(repo: Repository, shas: Sequence[str], merges: bool = False) -> Iterator[Change]:
    """The changes of the commits `shas`, in their order: of ordinary commits (one parent or
    none) against their parent; with `merges`, of merges, only the files they made differ from
    every parent (a conflict resolution: the one thing a merge itself can add)."""
    if not shas:
        return
    shape = ("-c",) if merges else ("--root", "--diff-filter=AMT")
    args = ["git", "diff-tree", "--stdin", "--format=%x00%H", "-p", "-U3", *shape, *_DIFF_OPTIONS, *_relative(repo)]
    yield from _stream(repo, args, shas, _patch_changes)


# A file's patch larger than this is not kept: its change is passed on without hunks, so the blob
# itself is checked (and skipped when over max-file-size), and memory stays bounded.
_MAX_PATCH = 16 << 20


def _patch_changes(stdout: IO[bytes]) -> Iterator[Change]:
    commit = ""
    for record, whole in _records(stdout):
        if record.startswith(b"diff --"):
            cut = record.find(b"\n@@")
            change = _parse_block(commit, record.rstrip(b"\n") if whole else record[: max(cut, 0)] or record)
            if change is not None:
                # an oversized patch is passed on without hunks: the blob itself is checked
                yield change if whole else Change(change.commit, change.path, change.blob, change.parent_blob, None)
        elif record.startswith(b"\0"):
            commit = record[1:].strip().decode("ascii")


def _records(stdout: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """The stream cut into records (a commit's NUL-marked id, or one file's patch), each with
    whether it is whole: a patch over _MAX_PATCH is cut to its first 64 KiB (its header) and
    the rest skipped."""
    buffer = b""
    while True:
        chunk = stdout.read(_READ)
        start = max(1, len(buffer) - 8)  # a boundary may straddle the previous read
        buffer += chunk
        position = 0
        for cut in _cuts(buffer, start):
            yield buffer[position:cut], True
            position = cut
        buffer = buffer[position:]
        if not chunk:
            if buffer:
                yield buffer, True
            return
        if len(buffer) > _MAX_PATCH:
            yield buffer[:65536], False
            buffer = _skip_record(stdout, buffer[-8:])


def _skip_record(stdout: IO[bytes], tail: bytes) -> bytes:
    """Read past the rest of an oversized record; what follows it (from its next record on)."""
    while True:
        chunk = stdout.read(_READ)
        if not chunk:
            return b""
        window = tail + chunk
        cuts = _cuts(window, 1)
        if cuts:
            return window[cuts[0] :]
        tail = window[-8:]


def _stream(repo: Repository, args: list[str], shas: Sequence[str], parse: Callable[[IO[bytes]], Iterator[Change]]) -> Iterator[Change]:
    try:
        process = subprocess.Popen(args, cwd=repo.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment())
    except OSError as exc:
        raise HistoryError(f"cannot run git: {exc.strerror or exc}") from None
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    feeder = _Feeder(process.stdin, shas)
    feeder.start()
    errors: list[bytes] = []
    stderr = process.stderr
    drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    drain.start()
    try:
        yield from parse(process.stdout)
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()
        feeder.join()
        drain.join()
    if process.returncode != 0:
        raise HistoryError(f"git cannot read the history: {_first_line(b''.join(errors)) or f'{args[1]} failed'}")


class _CatFile:
    """`git cat-file --batch`, kept open: objects by id."""

    def __init__(self, repo: Repository) -> None:
        try:
            self.process = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=repo.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment()
            )
        except OSError as exc:
            raise HistoryError(f"cannot run git: {exc.strerror or exc}") from None

    def object(self, sha: str, limit: int) -> tuple[bytes, bytes | None]:
        """The object's type and bytes; None for bytes over `limit` (skipped unread)."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(sha.encode("ascii") + b"\n")
            stdin.flush()
            header = stdout.readline().split()
        except (BrokenPipeError, OSError):
            header = []
        if len(header) != 3:
            raise HistoryError(f"git cannot read object {sha}: {'missing or corrupt object' if header else 'git cat-file stopped'}")
        size = int(header[2])
        if size > limit:
            left = size + 1
            while left > 0:
                got = stdout.read(min(left, _READ))
                if not got:
                    break
                left -= len(got)
            return header[1], None
        data = stdout.read(size)
        stdout.read(1)  # the newline after the contents
        if len(data) != size:
            raise HistoryError(f"git cannot read object {sha}: it is truncated or corrupt")
        return header[1], data

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


class Blobs(_CatFile):
    def read(self, blob: str, limit: int) -> bytes | None:
        """The blob's bytes; None when it is larger than `limit`."""
        kind, data = self.object(blob, limit)
        if kind != b"blob":
            raise HistoryError(f"git cannot read blob {blob}: it is a {kind.decode('ascii', 'replace')}")
        return data


class Trees(_CatFile):
    """Commits' root trees and trees' entries, for the exhaustive reference."""

    def root_of(self, commit: str) -> str:
        kind, data = self.object(commit, 1 << 30)
        if kind != b"commit" or data is None or not data.startswith(b"tree "):
            raise HistoryError(f"git cannot read commit {commit}")
        return data[5 : data.index(b"\n")].decode("ascii")

    def entries(self, tree: str) -> list[tuple[bytes, bytes, str]]:
        """(mode, name, id) of each entry."""
        kind, data = self.object(tree, 1 << 30)
        if kind != b"tree" or data is None:
            raise HistoryError(f"git cannot read tree {tree}")
        width = len(tree) // 2  # 20 bytes for SHA-1 ids, 32 for SHA-256
        out, at = [], 0
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            out.append((data[at:space], data[space + 1 : nul], data[nul + 1 : nul + 1 + width].hex()))
            at = nul + 1 + width
        return out


def tree_files(repo: Repository, ref: str) -> list[tuple[str, str]]:
    """(path, blob) of every regular file in `ref`'s tree."""
    # run in the project root, ls-tree lists that folder's part of the tree, relative to it
    done = _git(repo.root, "ls-tree", "-r", "-z", ref)
    if done.returncode != 0:
        raise HistoryError(f"git cannot list the files of {ref}: {_first_line(done.stderr)}")
    out = []
    for record in done.stdout.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob" and parts[0].decode("ascii") in _REGULAR_MODES:
            out.append((os.fsdecode(path), parts[2].decode("ascii")))
    return out


def branches(repo: Repository) -> list[tuple[str, str]]:
    """(short name, commit) of every local and remote branch, and HEAD (detached or not)."""
    done = _git(repo.root, "for-each-ref", "--format=%(refname:short)%00%(objectname)%00%(objecttype)", "refs/heads", "refs/remotes")
    out = []
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        name, sha, kind = (line.split("\0") + ["", "", ""])[:3]
        if kind == "commit" and not name.endswith("/HEAD"):
            out.append((name, sha))
    head = _git(repo.root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode == 0:
        out.append(("HEAD", head.stdout.decode("ascii").strip()))
    return out
