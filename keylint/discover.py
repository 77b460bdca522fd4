"""Which files a scan reads: git-aware, excludes honoured even for files named explicitly."""

from __future__ import annotations

import fnmatch
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from keylint.config import Config

SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".env.d", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", "site-packages", ".eggs", "bower_components",
        ".idea", ".vscode", ".terraform", ".keylint_cache",
    }
)
BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .rar .jar .war .whl .egg "
    ".so .dylib .dll .exe .bin .o .a .pyc .pyo .class .woff .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .wav "
    ".flac .ogg .webm .sqlite .sqlite3 .db .psd .ai .sketch .heic .parquet .npy .npz .pkl .pickle .h5".split()
)


@dataclass(frozen=True, slots=True)
class Discovered:
    files: tuple[str, ...]  # repository-relative POSIX paths, sorted
    skipped_binary: int
    skipped_too_large: int
    unreadable: tuple[tuple[str, str], ...]  # (path, reason)


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """gitignore-flavoured: a pattern matches the path, any of its parent folders, or its name."""
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


def _walk(root: Path) -> list[str]:
    out: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        rel_folder = Path(folder).relative_to(root)
        for name in names:
            out.append((rel_folder / name).as_posix() if str(rel_folder) != "." else name)
    return out


def _sniff_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with BOM is text
    return b"\x00" in head


def discover(config: Config) -> Discovered:
    """Every file of the project under `config.root` worth reading, for context and for reporting."""
    root = config.root
    listed = _git_files(root)
    if listed is None:
        listed = _walk(root)
    files: list[str] = []
    binary = large = 0
    unreadable: list[tuple[str, str]] = []
    for rel in sorted(set(listed)):
        parts = rel.split("/")
        if any(p in SKIPPED_DIRS for p in parts[:-1]) or is_excluded(rel, config):
            continue
        if os.path.splitext(rel)[1].lower() in BINARY_SUFFIXES:
            binary += 1
            continue
        full = root / rel
        try:
            if full.is_symlink() or not full.is_file():
                continue  # links are not followed: they may point outside the project
            size = full.stat().st_size
            if size > config.max_file_size:
                large += 1
                continue
            with open(full, "rb") as handle:
                head = handle.read(8192)
        except OSError as exc:
            unreadable.append((rel, exc.strerror or str(exc)))
            continue
        if _sniff_binary(head):
            binary += 1
            continue
        files.append(rel)
    return Discovered(tuple(files), binary, large, tuple(unreadable))
