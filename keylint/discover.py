"""Which files a scan reads: git-aware, excludes honoured even for files named explicitly."""

from __future__ import annotations

import bisect
import errno
import fnmatch
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Sequence

from keylint.config import Config

# Folders of version control, tools and their caches, by name. A virtualenv is known by what it
# holds (`is_virtualenv`), not by its name: application code in a folder called `venv` is still code.
SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".env.d", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", "site-packages", ".eggs", "bower_components",
        ".idea", ".vscode", ".terraform", ".keylint_cache",
    }
)
BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .rar .jar .war .whl .egg "
    ".so .dylib .dll .exe .bin .o .a .pyc .pyo .class .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .wav "
    ".flac .ogg .webm .sqlite .sqlite3 .db .psd .ai .sketch .heic .parquet .npy .npz .pkl .pickle .h5".split()
)


# Names that promise text: binary content under one of them is reported, not just counted.
TEXT_SUFFIXES = (".py", ".pyi", ".pyw", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini", ".env", ".txt", ".md", ".properties", ".conf", ".pem", ".key")


@dataclass(frozen=True, slots=True)
class Discovered:
    files: tuple[str, ...]  # repository-relative POSIX paths, sorted
    skipped_binary: int
    skipped_too_large: int
    unreadable: tuple[tuple[str, str], ...]  # (path, reason)
    # files deliberately not read, each with why (too large, binary content under a text name, a
    # symbolic link that leaves the project or goes nowhere): reported as notes, never silently
    skipped: tuple[tuple[str, str], ...] = ()


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """gitignore-flavoured: a pattern matches the path, any of its parent folders, or its name."""
    if not patterns:
        return False
    pure = PurePosixPath(path)
    candidates = [path, pure.name, *(str(p) for p in pure.parents if str(p) != ".")]
    for pattern in patterns:
        pat = pattern.strip("/")
        if not pat:
            continue
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pat) or fnmatch.fnmatchcase(candidate, pat + "/*"):
                return True
    return False


def is_excluded(path: str, config: Config) -> bool:
    return _matches(path, config.exclude + config.extend_exclude)


def is_virtualenv(folder: str | Path) -> bool:
    """A Python virtualenv (it holds `pyvenv.cfg`) or a conda environment (`conda-meta/`)."""
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg")) or os.path.isdir(os.path.join(folder, "conda-meta"))


def _git_ignored(root: Path, rel: str) -> bool:
    """`rel` (root-relative) is ignored by the git work tree around `root` (False outside git)."""
    try:
        done = subprocess.run(["git", "check-ignore", "-q", "--", rel], cwd=root, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _git_files(root: Path) -> list[str] | None:
    try:
        # run in root, ls-files lists paths relative to root, even below the work tree's top
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listing.returncode != 0:
        return None  # not a git work tree (or git is missing): walk instead
    return [os.fsdecode(raw) for raw in listing.stdout.split(b"\0") if raw]


def _walk(root: Path, unreadable: list[tuple[str, str]], below: str = "") -> list[str]:
    """Root-relative paths of the files under `root` (or under its folder `below`), without
    tool folders and virtualenvs."""
    out: list[str] = []
    top = root / below if below else root

    def failed(exc: OSError) -> None:  # a folder that cannot be listed is reported, not skipped silently
        where = Path(exc.filename or root)
        rel = where.relative_to(root).as_posix() if where != root and where.is_relative_to(root) else "."
        unreadable.append((rel + "/", f"cannot list folder: {exc.strerror or exc}"))

    for folder, dirs, names in os.walk(top, followlinks=False, onerror=failed):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info") and not is_virtualenv(os.path.join(folder, d)))
        rel_folder = Path(folder).relative_to(root)
        # links to folders are listed like files: never walked into, but reported when they leave the project
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        dirs[:] = [d for d in dirs if d not in links]
        for name in names + links:
            out.append((rel_folder / name).as_posix() if str(rel_folder) != "." else name)
    return out


def sniff_binary(head: bytes) -> bool:
    """Binary content: NUL bytes in the first 8 KiB (UTF-16 with a byte-order mark is text)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with BOM is text
    return b"\x00" in head


def _link_problem(root: Path, full: Path) -> str | None:
    """Why a symbolic link deserves a note (it is never followed either way); None for a link
    to a file inside the project, which is read under its own name."""
    try:
        target = full.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return "symbolic link loop; not followed"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; not followed"
        return "symbolic link to nothing; not followed"
    if not target.is_relative_to(root.resolve()):
        return "symbolic link to outside the project; not followed"
    return None


def read_regular(path: Path | str, limit: int, head: int | None = None) -> bytes:
    """The bytes of a regular file (only the first `head` when given), never through a link or a
    pipe, and never more than `limit` of them.

    Between discovery and reading a file can be replaced (by a link to a secret outside the
    project, a named pipe that blocks forever, or a file that grew to gigabytes): each is an
    OSError here, which the caller reports on the file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "no longer a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1 if head is None else min(head, limit))
    finally:
        os.close(fd)
    if head is None and len(data) > limit:
        raise OSError(errno.EFBIG, f"grew past max-file-size ({limit} bytes) while being scanned")
    return data


# lstat errors that mean "no such file here" (what pathlib's is_file() reads as False)
_GONE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _holds(rel: str, paths: list[str], members: set[str]) -> bool:
    """`rel` ("." the root) is one of `paths` (sorted) or a folder holding one of them."""
    if rel == ".":
        return bool(paths)
    if rel in members:
        return True
    at = bisect.bisect_left(paths, rel + "/")
    return at < len(paths) and paths[at].startswith(rel + "/")


def _named_too(root: Path, listed: list[str], named: Sequence[str], unreadable: list[tuple[str, str]]) -> list[str]:
    """The files of the paths the user named that git did not list because an enclosing
    `.gitignore` ignores them (a downloaded project under an ignored folder, a vendored tree):
    what the user names is always read."""
    paths, members = sorted(listed), set(listed)
    extra: list[str] = []
    for rel in named:
        rel = rel.strip("/") or "."
        if rel in members:
            continue  # a file git lists is read
        full = root / rel
        if full.is_dir() and not full.is_symlink():
            # a folder git lists files of may still be ignored, its tracked files alone listed
            if (rel == "." or _holds(rel, paths, members)) and not _git_ignored(root, rel):
                continue
            extra += _walk(root, unreadable, "" if rel == "." else rel)
        elif full.exists() or full.is_symlink():
            extra.append(rel)
    return extra


def discover(config: Config, seen_as_text: Callable[[str, os.stat_result], bool] | None = None, named: Sequence[str] | None = None) -> Discovered:
    """Every file of the project under `config.root` worth reading, for context and for reporting.

    `seen_as_text(path, lstat)` says a file was read as text before with this very stat signature
    (the fact cache knows): its content has not changed, so it is not opened again to sniff it.
    `named`: the root-relative paths the user named (None: the root). They are read even where an
    enclosing git work tree ignores them, and one that yields no file is reported."""
    root = config.root
    top = str(root)
    unreadable: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    wanted = list(named) if named is not None else ["."]
    listed = _git_files(root)
    if listed is None:
        listed = _walk(root, unreadable)
    else:
        listed += _named_too(root, listed, wanted, unreadable)
    files: list[str] = []
    binary = large = 0
    virtualenv: dict[str, bool] = {}  # folder -> is a virtualenv (git lists untracked files in one that is not ignored)

    def in_virtualenv(parts: list[str]) -> bool:
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder not in virtualenv:
                virtualenv[folder] = is_virtualenv(os.path.join(top, folder))
            if virtualenv[folder]:
                return True
        return False

    for rel in sorted(set(listed)):
        parts = rel.split("/")
        if any(p in SKIPPED_DIRS for p in parts[:-1]) or is_excluded(rel, config) or in_virtualenv(parts):
            continue
        if os.path.splitext(rel)[1].lower() in BINARY_SUFFIXES:
            binary += 1
            continue
        full = os.path.join(top, rel)  # a string: a Path per file costs more than the system call
        try:
            try:
                info = os.lstat(full)  # one system call answers link, kind and size
            except OSError as exc:
                if exc.errno in _GONE:  # listed by git but deleted from the work tree
                    continue
                raise
            if stat.S_ISLNK(info.st_mode):  # links are not followed: they may point outside the project
                problem = _link_problem(root, Path(full))
                if problem is not None:
                    skipped.append((rel, problem))
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            size = info.st_size
            if size > config.max_file_size:
                large += 1
                skipped.append((rel, f"{size} bytes, over max-file-size ({config.max_file_size}); not scanned"))
                continue
            if seen_as_text is not None and seen_as_text(full, info):
                files.append(rel)
                continue
            head = read_regular(full, config.max_file_size, head=8192)
        except OSError as exc:
            unreadable.append((rel, exc.strerror or str(exc)))
            continue
        if sniff_binary(head):
            binary += 1
            if rel.endswith(TEXT_SUFFIXES):  # a text name with binary content: worth a note
                skipped.append((rel, "binary content (NUL bytes) in a text file; not scanned"))
            continue
        files.append(rel)
    kept = sorted(files)
    for rel in wanted:
        rel = rel.strip("/") or "."
        if not _holds(rel, kept, set()):  # a silent "No findings" would read as "clean"
            skipped.append((rel, "named to be scanned, but holds no file keylint reads (all excluded, ignored, binary, too large or empty)"))
    return Discovered(tuple(files), binary, large, tuple(unreadable), tuple(skipped))


def git_prefix(root: Path) -> str:
    """`root`'s path inside its git work tree, with a trailing slash ("" at the top or outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""
