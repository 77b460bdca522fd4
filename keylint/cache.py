"""Content-addressed cache of per-file facts, so unchanged files are never parsed twice.

One SQLite file under the cache directory (owner-only permissions). An entry is keyed by the file's
path and content hash, keylint's version, a digest of keylint's source and the catalog digest; it holds pickled `FileFacts`,
which by construction contain no secret values. An entry that fails to load is dropped and rebuilt.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import os
import pickle
import sqlite3
import stat
from pathlib import Path
from typing import Any

from keylint import __version__
from keylint.extract.facts import FileFacts



def _code_digest() -> str:
    """A digest of keylint's own source: any change to how facts are extracted or shaped makes a
    new cache key, so stale entries are never loaded (no format number to remember to bump)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


CODE_DIGEST = _code_digest()
_SCHEMA = "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, data BLOB NOT NULL)"


_SAFE_BUILTINS = frozenset({"set", "frozenset", "tuple", "list", "dict", "bytes", "str", "int", "float", "bool", "complex"})


def _fast_setstate(cls: Any) -> Any:
    """The `__setstate__` that dataclasses generate for slotted classes looks the fields up again
    for every object; a warm scan loads hundreds of thousands of them. Give each class one that
    knows its field names (the same effect, several times faster), once."""
    generated = getattr(cls, "__setstate__", None)
    if getattr(generated, "__qualname__", "") == "_dataclass_setstate":
        names = tuple(f.name for f in dataclasses.fields(cls))

        def __setstate__(self: Any, state: Any, _names: tuple[str, ...] = names, _set: Any = object.__setattr__) -> None:
            for name, value in zip(_names, state):
                _set(self, name, value)

        cls.__setstate__ = __setstate__
    return cls


class _FactsUnpickler(pickle.Unpickler):
    """Unpickling runs code named in the data. A cache entry is data from disk, so it may name only
    keylint's own value classes (dataclasses and enums) and plain builtin containers: a crafted
    entry cannot reach `os.system` or any function, and fails to load instead (then it is rebuilt)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if (module == "keylint" or module.startswith("keylint.")) and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)):
                return _fast_setstate(found)
        raise pickle.UnpicklingError(f"cache entry names {module}.{name}, which is not a keylint value")


def _private_to_us(path: Path) -> bool:
    """Ours and writable by nobody else: a cache another user can write could plant entries."""
    info = os.stat(path, follow_symlinks=False)
    return info.st_uid == os.getuid() and not info.st_mode & 0o022 and not stat.S_ISLNK(info.st_mode)


class FactCache:
    def __init__(self, directory: Path, catalog_digest: str) -> None:
        self.salt = f"{__version__}\0{CODE_DIGEST}\0{catalog_digest}\0"
        self.db: sqlite3.Connection | None = None
        self.pending: list[tuple[str, bytes]] = []
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.stat(directory).st_uid != os.getuid():
                return  # someone else's folder: neither read nor write it
            os.chmod(directory, 0o700)
            path = directory / "facts-v1.sqlite"
            if path.exists() and not _private_to_us(path):
                return
            self.db = self._open(path)
        except (OSError, sqlite3.Error):
            self.db = None  # an unusable cache only costs time

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        for attempt in (1, 2):
            db = sqlite3.connect(path, timeout=5)
            os.chmod(path, 0o600)
            try:
                db.execute(_SCHEMA)
                return db
            except sqlite3.DatabaseError:  # truncated or overwritten: start a new one
                db.close()
                if attempt == 2:
                    raise
                path.unlink()
        raise AssertionError("unreachable")

    def key(self, path: str, digest: str, deferred: bool = False) -> str:
        mode = "\0deferred" if deferred else ""  # a module the prefilter left unparsed is its own entry
        return hashlib.sha256(f"{self.salt}{path}\0{digest}{mode}".encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, path: str, digest: str, allow_deferred: bool = False) -> FileFacts | None:
        """Full facts for the file, else (when `allow_deferred`) the facts of a prefiltered run."""
        found = self._get(path, digest, False)
        return found if found is not None or not allow_deferred else self._get(path, digest, True)

    def _get(self, path: str, digest: str, deferred: bool) -> FileFacts | None:
        if self.db is None:
            return None
        key = self.key(path, digest, deferred)
        try:
            row = self.db.execute("SELECT data FROM facts WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        try:
            facts = _FactsUnpickler(io.BytesIO(row[0])).load()
        except Exception:  # corrupted or from an incompatible build: rebuild it
            facts = None
        if not isinstance(facts, FileFacts) or facts.path != path or facts.digest != digest or facts.deferred != deferred:
            self.pending.append((key, b""))
            return None
        return facts

    def put(self, facts: FileFacts) -> None:
        if self.db is not None:
            self.pending.append((self.key(facts.path, facts.digest, facts.deferred), pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)))

    def close(self) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.executemany("DELETE FROM facts WHERE key = ?", [(k,) for k, d in self.pending if not d])
                self.db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?)", [(k, d) for k, d in self.pending if d])
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = None
