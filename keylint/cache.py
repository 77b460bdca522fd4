"""Content-addressed cache of per-file facts, so unchanged files are never parsed twice.

One SQLite file under the cache directory (owner-only permissions). An entry is keyed by the file's
path and content hash, keylint's version, a digest of keylint's source and the catalog digest; it holds pickled `FileFacts`,
which by construction contain no secret values. An entry that fails to load is dropped and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path

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


class FactCache:
    def __init__(self, directory: Path, catalog_digest: str) -> None:
        self.salt = f"{__version__}\0{CODE_DIGEST}\0{catalog_digest}\0"
        self.db: sqlite3.Connection | None = None
        self.pending: list[tuple[str, bytes]] = []
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(directory, 0o700)
            path = directory / "facts-v1.sqlite"
            self.db = sqlite3.connect(path, timeout=5)
            os.chmod(path, 0o600)
            self.db.execute(_SCHEMA)
        except (OSError, sqlite3.Error):
            self.db = None  # an unusable cache only costs time

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
            facts = pickle.loads(row[0])
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
