"""Caches that let a warm scan redo only what changed: the pre-commit run on a large repository.

One SQLite file under the cache directory (owner-only permissions), four tables (and `meta`, which
names the keylint build whose entries they hold: another build's entries are deleted on opening):

- `files`: per absolute path, the stat signature (size, mtime, ctime, inode, device) and content
  hash seen last time. A file whose signature has not changed is not read again, as git's index
  does. A signature is only recorded for a file last changed at least a few seconds before the
  scan, so a write within the same timestamp tick cannot hide behind it (git's "racily clean").
- `facts`: pickled `FileFacts` (which by construction contain no secret values), keyed by the
  file's path, content hash and mode (full or prefiltered), keylint's version, a digest of
  keylint's source and the catalog digest. The file's path and hash are left out of the pickled
  bytes, so the SHA-256 of those bytes names the facts themselves: a file edited without changing
  its facts (a comment, a template, a module no rule reads) gives the same facts digest.
- `analyses`: what the checks made of one whole set of facts (drafts, the files' own errors, the
  number of Python modules), keyed by the facts digests of every file, the configuration, the
  catalog and keylint's code. Linking and checking are a function of exactly these, so a scan
  whose facts all match reuses the result without loading a single fact.
- `lines`: GitHub's line hashes of a file's text, by content hash (pure Python, slow on long files).

Loading is safe against a crafted cache file: facts go through an unpickler that may only build
keylint's own value classes and plain builtin containers (no function can be reached), and the
other tables hold marshal data (plain tuples, strings and numbers; marshal runs no code) that is
rebuilt through keylint's own constructors. An entry that fails to load is dropped and rebuilt.
"""

from __future__ import annotations

import dataclasses
import enum
import gc
import hashlib
import io
import marshal
import os
import pickle
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from keylint import __version__
from keylint.config import Config
from keylint.extract.facts import FileFacts
from keylint.model import Draft, FileError, Severity, Span


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


def _drop_other_versions(db: sqlite3.Connection) -> None:
    """Entries made by another build of keylint can never be read again (their keys hold its code
    digest): delete them when this build first opens the cache, so the file does not grow with
    every upgrade. Stat signatures and line hashes depend on file contents only and are kept."""
    build = f"{__version__}\0{CODE_DIGEST}"
    row = db.execute("SELECT value FROM meta WHERE name = 'build'").fetchone()
    if row is not None and row[0] == build:
        return
    with db:
        db.execute("DELETE FROM facts")
        db.execute("DELETE FROM analyses")
        db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('build', ?)", (build,))


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, signature TEXT NOT NULL, digest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS analyses (key TEXT PRIMARY KEY, data BLOB NOT NULL, used REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lines (key TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_KEEP_ANALYSES = 16  # most recently used; each is one project state (a few hundred kB at most)
_QUERY_CHUNK = 500  # keys per `IN (...)` query (SQLite allows 999 parameters in old builds)
# A file modified less than this long before its signature would be recorded is read and hashed
# next time instead: a later write in the same timestamp tick would leave the signature unchanged.
_SETTLE_NS = 3_000_000_000


_SAFE_BUILTINS = frozenset({"set", "frozenset", "tuple", "list", "dict", "bytes", "str", "int", "float", "bool", "complex"})


def _fast_setstate(cls: Any) -> Any:
    """The `__setstate__` that dataclasses generate for slotted classes looks the fields up again
    for every object; a warm scan loads hundreds of thousands of them. Give each class one that
    sets the slots through their descriptors (the same effect, several times faster), once."""
    generated = getattr(cls, "__setstate__", None)
    if getattr(generated, "__qualname__", "") == "_dataclass_setstate":
        setters = tuple(cls.__dict__[f.name].__set__ for f in dataclasses.fields(cls))

        def __setstate__(self: Any, state: Any, _setters: tuple[Any, ...] = setters) -> None:
            for set_slot, value in zip(_setters, state):
                set_slot(self, value)

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


def signature(info: os.stat_result) -> str:
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}"


@dataclass(frozen=True, slots=True)
class CachedFacts:
    """Cached facts of one file, not yet unpickled; `facts_digest` names the facts themselves."""

    path: str
    digest: str  # of the file's content
    key: str
    data: bytes
    facts_digest: str


@dataclass(frozen=True, slots=True)
class ProjectAnalysis:
    """What linking and checking made of one set of facts, before path selection and finalizing."""

    drafts: tuple[Draft, ...]  # suppressions already applied
    errors: tuple[FileError, ...]  # the notes the files' extraction left
    python_files: int  # modules parsed as Python
    # the suppressed drafts that name a key: a known production key (KL116) is found even where the
    # other findings of that key are suppressed
    suppressed: tuple[Draft, ...] = ()


def encode_facts(facts: FileFacts) -> bytes:
    """Pickled facts without the file's path and content hash (the key holds those), so equal facts
    from edited content give equal bytes."""
    return pickle.dumps(dataclasses.replace(facts, path="", digest=""), protocol=pickle.HIGHEST_PROTOCOL)


def facts_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _span(raw: Sequence[int]) -> Span:
    line, column, end_line, end_column = raw
    return Span(int(line), int(column), int(end_line), int(end_column))


def _encode_drafts(drafts: Sequence[Draft]) -> tuple[Any, ...]:
    return tuple(
        (
            d.code, d.path, (d.span.line, d.span.column, d.span.end_line, d.span.end_column), d.message, d.token,
            d.secret_columns, tuple((p, (s.line, s.column, s.end_line, s.end_column), m) for p, s, m in d.related),
            d.severity.value if d.severity is not None else None, d.key,
            tuple((p, (s.line, s.column, s.end_line, s.end_column), m) for p, s, m in d.steps),
            tuple((c, p, (s.line, s.column, s.end_line, s.end_column)) for c, p, s in d.parts),
        )
        for d in drafts
    )


def _decode_drafts(raw: Sequence[Any]) -> tuple[Draft, ...]:
    return tuple(
        Draft(
            code=str(code), path=str(path), span=_span(span), message=str(message), token=str(token),
            secret_columns=(int(columns[0]), int(columns[1])) if columns is not None else None,
            related=tuple((str(p), _span(s), str(m)) for p, s, m in related),
            severity=Severity(severity) if severity is not None else None, key=str(key),
            steps=tuple((str(p), _span(s), str(m)) for p, s, m in steps),
            parts=tuple((str(c), str(p), _span(s)) for c, p, s in parts),
        )
        for code, path, span, message, token, columns, related, severity, key, steps, parts in raw
    )


def _encode_analysis(analysis: ProjectAnalysis) -> bytes:
    errors = tuple((e.path, e.message, e.line, e.kind) for e in analysis.errors)
    return marshal.dumps((_encode_drafts(analysis.drafts), errors, analysis.python_files, _encode_drafts(analysis.suppressed)))


def _decode_analysis(data: bytes) -> ProjectAnalysis:
    raw_drafts, raw_errors, python_files, raw_suppressed = marshal.loads(data)
    errors = tuple(FileError(str(p), str(m), int(line) if line is not None else None, str(kind)) for p, m, line, kind in raw_errors)
    return ProjectAnalysis(_decode_drafts(raw_drafts), errors, int(python_files), _decode_drafts(raw_suppressed))


class FactCache:
    def __init__(self, directory: Path, catalog_digest: str) -> None:
        self.salt = f"{__version__}\0{CODE_DIGEST}\0{catalog_digest}\0"
        self.db: sqlite3.Connection | None = None
        self.pending: list[tuple[str, bytes]] = []  # facts to write (empty bytes: delete the entry)
        self.signatures: list[tuple[str, str, str]] = []
        self.lines: list[tuple[str, bytes]] = []
        self.analysis: tuple[str, bytes] | None = None  # to store
        self.used: str | None = None  # analysis reused: mark it recently used
        self.known: dict[str, tuple[str, str]] = {}  # absolute path -> (signature, content hash)
        self._signatures_of = ""  # the root `known` was read for
        self.unchanged: dict[str, str] = {}  # absolute path -> content hash, signature checked by discovery
        # path -> facts digest of the facts last loaded or stored for it (what the engine holds)
        self.facts_digests: dict[str, str] = {}
        self._stored: dict[str, FileFacts] = {}
        self.started_ns = time.time_ns()
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
                for statement in _SCHEMA:
                    db.execute(statement)
                _drop_other_versions(db)
                return db
            except sqlite3.DatabaseError:  # truncated or overwritten: start a new one
                db.close()
                if attempt == 2:
                    raise
                path.unlink()
        raise AssertionError("unreachable")

    def _select(self, sql: str, args: Sequence[Any]) -> list[Any]:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    # ---- which files changed: stat signatures ----

    def load_signatures(self, root: Path) -> None:
        """Read the signatures recorded under `root` (one query; again for the same root: nothing)."""
        prefix = os.path.join(str(root), "")
        if self._signatures_of == prefix:
            return
        rows = self._select("SELECT path, signature, digest FROM files WHERE path >= ? AND path < ?", (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)))
        self.known = {path: (sig, digest) for path, sig, digest in rows}
        self._signatures_of = prefix

    def known_digest(self, path: str, info: os.stat_result) -> str | None:
        """The content hash recorded for the file (absolute path), if its signature is unchanged."""
        recorded = self.known.get(path)
        return recorded[1] if recorded is not None and recorded[0] == signature(info) else None

    def seen_as_text(self, path: str, info: os.stat_result) -> bool:
        """Read (so found to be text) with this very signature: the content is the same. The answer
        stands for the rest of the scan (`unchanged`), as if the file had been read now."""
        digest = self.known_digest(path, info)
        if digest is not None:
            self.unchanged[path] = digest
        return digest is not None

    def record(self, path: str, info: os.stat_result, digest: str) -> None:
        """Remember the content hash of a file read with signature `info` (taken before reading)."""
        settled = max(info.st_mtime_ns, info.st_ctime_ns) < self.started_ns - _SETTLE_NS
        if settled and self.known.get(path) != (signature(info), digest):
            self.signatures.append((path, signature(info), digest))

    # ---- facts ----

    def key(self, path: str, digest: str, deferred: bool = False) -> str:
        mode = "\0deferred" if deferred else ""  # a module the prefilter left unparsed is its own entry
        return hashlib.sha256(f"{self.salt}{path}\0{digest}{mode}".encode("utf-8", "surrogatepass")).hexdigest()

    def entries(self, files: dict[str, str], allow_deferred: bool = False) -> dict[str, CachedFacts]:
        """The cached facts of each file (path -> content hash), one query per few hundred files:
        the full facts, else (when `allow_deferred`) those of a prefiltered run. Not unpickled."""
        wanted: dict[str, tuple[str, str, bool]] = {}
        for path, digest in files.items():
            wanted[self.key(path, digest)] = (path, digest, False)
            if allow_deferred:
                wanted[self.key(path, digest, True)] = (path, digest, True)
        found: dict[str, CachedFacts] = {}
        keys = list(wanted)
        for start in range(0, len(keys), _QUERY_CHUNK):
            chunk = keys[start : start + _QUERY_CHUNK]
            for key, data in self._select(f"SELECT key, data FROM facts WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                path, digest, deferred = wanted[key]
                if path not in found or not deferred:  # full facts win over prefiltered ones
                    found[path] = CachedFacts(path, digest, key, data, facts_digest(data))
        return found

    def load(self, entries: Iterable[CachedFacts]) -> dict[str, FileFacts]:
        """Unpickle entries; one that fails to load is dropped from the cache and left out.

        The facts are plain acyclic data that live as long as the scan: the cycle collector is
        paused while they are built (it would walk the new objects again and again: 3/4 of the
        time) and they are frozen after (`gc.freeze`), so later collections skip them."""
        out: dict[str, FileFacts] = {}
        enabled = gc.isenabled()
        gc.disable()
        try:
            for entry in entries:
                try:
                    facts = _FactsUnpickler(io.BytesIO(entry.data)).load()
                except Exception:  # corrupted or from an incompatible build: rebuild it
                    facts = None
                if not isinstance(facts, FileFacts) or facts.path or facts.digest or entry.key != self.key(entry.path, entry.digest, facts.deferred):
                    self.pending.append((entry.key, b""))
                    continue
                facts.path, facts.digest = entry.path, entry.digest
                out[entry.path] = facts
                self.facts_digests[entry.path] = entry.facts_digest
        finally:
            if enabled:
                gc.enable()
        gc.freeze()
        return out

    def get(self, path: str, digest: str, allow_deferred: bool = False) -> FileFacts | None:
        """Full facts for the file, else (when `allow_deferred`) the facts of a prefiltered run."""
        entry = self.entries({path: digest}, allow_deferred).get(path)
        return self.load([entry]).get(path) if entry is not None else None

    def put(self, facts: FileFacts) -> None:
        """Store the facts (once: the same object again is a no-op) and note their facts digest."""
        if self._stored.get(facts.path) is facts:
            return
        data = encode_facts(facts)
        if self.db is not None:
            self.pending.append((self.key(facts.path, facts.digest, facts.deferred), data))
        self._stored[facts.path] = facts
        self.facts_digests[facts.path] = facts_digest(data)

    # ---- analyses ----

    def analysis_key(self, config: Config, facts_digests: dict[str, str]) -> str:
        digest = hashlib.sha256(f"{self.salt}{config!r}\0".encode("utf-8", "surrogatepass"))
        for path in sorted(facts_digests):
            digest.update(f"{path}\0{facts_digests[path]}\0".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get_analysis(self, key: str) -> ProjectAnalysis | None:
        rows = self._select("SELECT data FROM analyses WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            analysis = _decode_analysis(rows[0][0])
        except Exception:  # damaged or crafted: recompute (and overwrite) it
            return None
        self.used = key
        return analysis

    def put_analysis(self, key: str, analysis: ProjectAnalysis) -> None:
        if self.db is not None:
            self.analysis = (key, _encode_analysis(analysis))

    # ---- GitHub line hashes ----

    def get_lines(self, digest: str, needed: int) -> list[str] | None:
        """Line hashes of the text with this content hash, when at least `needed` are recorded."""
        rows = self._select("SELECT data FROM lines WHERE key = ?", (digest,))
        if not rows:
            return None
        try:
            hashes = marshal.loads(rows[0][0])
        except Exception:
            return None
        if not isinstance(hashes, list) or len(hashes) < needed or not all(isinstance(h, str) for h in hashes):
            return None
        return hashes

    def put_lines(self, digest: str, hashes: list[str]) -> None:
        if self.db is not None:
            self.lines.append((digest, marshal.dumps(hashes)))

    def close(self) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.executemany("DELETE FROM facts WHERE key = ?", [(k,) for k, d in self.pending if not d])
                self.db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?)", [(k, d) for k, d in self.pending if d])
                self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", self.signatures)
                self.db.executemany("INSERT OR REPLACE INTO lines VALUES (?, ?)", self.lines)
                if self.used is not None:
                    self.db.execute("UPDATE analyses SET used = ? WHERE key = ?", (time.time(), self.used))
                if self.analysis is not None:
                    self.db.execute("INSERT OR REPLACE INTO analyses VALUES (?, ?, ?)", (*self.analysis, time.time()))
                    self.db.execute(
                        "DELETE FROM analyses WHERE key NOT IN (SELECT key FROM analyses ORDER BY used DESC LIMIT ?)", (_KEEP_ANALYSES,)
                    )
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = None
