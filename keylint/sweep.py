"""Laptop sweep: every file a developer keeps, scanned for key material.

The walk covers code checkouts (including their git-ignored files: `.env` files are ignored on
purpose and hold keys), loose key files, shell profiles and `~/.config`, and skips what holds no
developer's keys: caches, virtualenvs (any folder with `pyvenv.cfg`), `node_modules`, package
manager stores, trash, media and binaries. Each checkout (a folder with `.git`) is linked as one
project, so a key defined in one module and used in another is found; loose files form one more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from keylint.config import DEFAULT_MAX_FILE_SIZE, Config
from keylint.discover import BINARY_SUFFIXES, SKIPPED_DIRS, Discovered
from keylint.engine import ScanOptions, scan
from keylint.model import Report

# Folders with no keys of the developer's own, by name anywhere ...
SWEEP_SKIPPED_DIRS = SKIPPED_DIRS | frozenset(
    {
        ".Trash", "Trash", ".npm", ".yarn", ".pnpm-store", ".cargo", ".rustup", ".m2", ".gradle", ".ivy2",
        ".pyenv", ".rbenv", ".nvm", ".conda", "anaconda3", "miniconda3", ".local/share/Trash", "__pypackages__",
        ".pub-cache", ".cocoapods", "DerivedData", ".android", ".vagrant.d", "target", "dist", "build",
        ".next", ".nuxt", ".docker", ".minikube", ".vscode-server", ".cursor-server", "snap", "Caches",
    }
)
# ... and by path below the swept folder.
SWEEP_SKIPPED_PATHS = ("go/pkg", ".local/lib", ".local/share/Trash", "Library/Caches", "Library/Containers", "Library/Application Support/Code/CachedData")
SWEEP_BINARY_SUFFIXES = BINARY_SUFFIXES | frozenset(
    ".iso .dmg .img .vmdk .qcow2 .mkv .m4a .m4v .aac .wma .flv .mpg .mpeg .3gp .raw .cr2 .nef .dng .svgz "
    ".doc .docx .xls .xlsx .ppt .pptx .odt .ods .key .numbers .pages .epub .mobi .ipa .apk .deb .rpm .msi .pkg".split()
)
# `.key` is Keynote on a Mac, but also the usual suffix of a PEM key: read it when it is text.
SWEEP_BINARY_SUFFIXES = SWEEP_BINARY_SUFFIXES - {".key"}

Progress = Callable[[int, str], None]  # (files seen so far, folder being walked)


@dataclass(frozen=True, slots=True)
class Unit:
    """Files linked as one project: a checkout, or the loose files of the swept folder."""

    root: Path
    files: tuple[str, ...]  # root-relative POSIX paths
    skipped_binary: int
    skipped_too_large: int


def _skipped_folder(folder: Path, name: str, top: Path) -> bool:
    if name in SWEEP_SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    path = folder / name
    rel = path.relative_to(top).as_posix()
    if any(rel == p or rel.endswith("/" + p) for p in SWEEP_SKIPPED_PATHS):
        return True
    return (path / "pyvenv.cfg").exists() or (path / "conda-meta").is_dir()


def _is_text(path: Path, max_size: int) -> str:
    """"text", "binary", "large" or "" (unreadable or not a regular file)."""
    try:
        if path.is_symlink() or not path.is_file():
            return ""
        if path.stat().st_size > max_size:
            return "large"
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return ""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"
    return "binary" if b"\x00" in head else "text"


def walk(top: Path, max_size: int = DEFAULT_MAX_FILE_SIZE, progress: Progress | None = None) -> list[Unit]:
    """The files under `top` worth reading, grouped into checkouts and loose files."""
    top = top.resolve()
    units: dict[Path, tuple[list[str], list[int]]] = {}
    seen = 0
    stack: list[tuple[Path, Path]] = [(top, top)]  # (folder, root of the unit it belongs to)
    while stack:
        folder, unit_root = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        if folder != top and any(e.name == ".git" for e in entries):
            unit_root = folder
        files, counts = units.setdefault(unit_root, ([], [0, 0]))
        subfolders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not _skipped_folder(folder, entry.name, top):
                    subfolders.append(folder / entry.name)
                continue
            seen += 1
            path = folder / entry.name
            if os.path.splitext(entry.name)[1].lower() in SWEEP_BINARY_SUFFIXES:
                counts[0] += 1
                continue
            kind = _is_text(path, max_size)
            if kind == "text":
                files.append(path.relative_to(unit_root).as_posix())
            elif kind == "binary":
                counts[0] += 1
            elif kind == "large":
                counts[1] += 1
        if progress is not None:
            progress(seen, str(folder))
        stack.extend((sub, unit_root) for sub in reversed(subfolders))
    return [Unit(root, tuple(sorted(files)), binary, large) for root, (files, (binary, large)) in sorted(units.items()) if files]


def sweep(top: Path, options: ScanOptions, progress: Progress | None = None) -> Iterator[tuple[Path, Report]]:
    """(project root, report of its key-material findings) for every unit under `top`.

    Project configuration is not read: a sweep looks for keys everywhere, including the folders a
    project excludes from its own scans, and reports test paths at full severity."""
    for unit in walk(top, progress=progress):
        config = Config(root=unit.root, select=("KL1",), test_severity="same")
        found = Discovered(unit.files, unit.skipped_binary, unit.skipped_too_large, ())
        yield unit.root, scan(config, None, options, found)
