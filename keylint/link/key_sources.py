"""Link key-source facts (KL505-KL507): resolve the places (URLs, paths) where keys are fetched,
read and written, through local and module constants, class attributes, imports, settings by name
and environment defaults, and tell which fetches bring the keys tokens are verified with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from keylint.catalog import split_words
from keylint.extract.key_source_facts import (
    EnvRead, Fetch, Fetched, FileRead, FileWrite, Joined, KeyFromHeader, KeySourceFacts, NameRef, Place, PlaceBinding,
    Qual, SelfAttr, Text, key_source_facts,
)
from keylint.link.names import MAX_DEPTH, scope_chain
from keylint.link.project import Project
from keylint.model import Span

# How many values one place may resolve to (a setting defined per environment): bounds the product of joins.
_MAX_VALUES = 8
# Words of names and URLs that say a fetch brings a key set.
_KEY_SET_WORDS = frozenset({"jwks", "jwk", "certs", "jku"})
_KEY_PAIRS = (("public", "key"), ("public", "keys"), ("signing", "key"), ("signing", "keys"), ("verification", "key"), ("verifying", "key"))
_KEY_URL_PARTS = ("jwks", "/certs", "openid-configuration", "/keys", "jwk")
_KEY_FILE_SUFFIXES = (".pem", ".jwk", ".jwks", ".key", ".crt", ".pub", ".der")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0", "host.docker.internal")


@dataclass(frozen=True, slots=True)
class Resolved:
    """One value a place can have: its text where known, what identifies it, where it was written."""

    text: str | None  # the URL or path (a prefix of it where later parts are unknown: `partial`)
    ident: str  # the same file or URL: the same text, or the same unresolved name
    path: str | None = None  # where the literal is
    span: Span | None = None
    names: tuple[str, ...] = ()  # names passed on the way (`JWKS_URL`, `public_key_path`)
    partial: bool = False
    fetched: int | None = None  # the URL is read from this fetch's response (same file)

    @property
    def scheme(self) -> str:
        return self.text.split("://", 1)[0].lower() if self.text and "://" in self.text else ""

    @property
    def local(self) -> bool:
        host = self.text.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].lower() if self.text and self.scheme else ""
        return host in _LOCAL_HOSTS or host.endswith(".localhost")


class KeySources:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.facts: dict[str, KeySourceFacts] = {p: key_source_facts(py) for p, py in project.python.items()}
        self.bindings: dict[tuple[str, str, str], list[PlaceBinding]] = {}
        self.by_name: dict[str, list[tuple[str, PlaceBinding]]] = {}
        for path, facts in self.facts.items():
            classes = project.python[path].classes
            for b in facts.bindings:
                self.bindings.setdefault((path, b.scope, b.name), []).append(b)
                if b.scope == "" or b.scope in classes:
                    self.by_name.setdefault(b.name, []).append((path, b))

    # ---- facts ----
    def from_header(self) -> Iterator[tuple[str, KeyFromHeader]]:
        for path, facts in self.facts.items():
            for f in facts.from_header:
                yield path, f

    def fetches(self) -> Iterator[tuple[str, int, Fetch]]:
        for path, facts in self.facts.items():
            for i, f in enumerate(facts.fetches):
                yield path, i, f

    def reads(self) -> Iterator[tuple[str, FileRead]]:
        for path, facts in self.facts.items():
            for r in facts.reads:
                yield path, r

    def writes(self) -> Iterator[tuple[str, FileWrite]]:
        for path, facts in self.facts.items():
            for w in facts.writes:
                yield path, w

    # ---- which fetches bring keys ----
    def brings_keys(self, path: str, index: int, depth: int = 0) -> bool:
        """A key client, a fetch whose response builds a key, one whose URL or function names a key
        set, or a discovery fetch whose response gives such a fetch its URL."""
        fetch = self.facts[path].fetches[index]
        if fetch.client or fetch.keys_at is not None or _names_keys(fetch.words):
            return True
        if any(_names_keys(r.names) or _url_names_keys(r.text) for r in self.resolve(path, fetch.url)):
            return True
        return depth < 4 and any(self.brings_keys(path, i, depth + 1) for i in self.fed_by(path, index))

    def fed_by(self, path: str, index: int) -> list[int]:
        """The fetches whose URL is read from fetch `index`'s response."""
        return [i for i, f in enumerate(self.facts[path].fetches) if isinstance(f.url, Fetched) and f.url.fetch == index]

    # ---- places ----
    def resolve(self, path: str, place: Place, depth: int = 0, names: tuple[str, ...] = ()) -> list[Resolved]:
        if depth > MAX_DEPTH:
            return []
        d = depth + 1
        if isinstance(place, Text):
            return [Resolved(place.text, f"text:{place.text}", path, place.span, names)]
        if isinstance(place, NameRef):
            for scope in scope_chain(place.scope):
                found = self.bindings.get((path, scope, place.name))
                if found:
                    return self._values(path, found, d, (*names, place.name))
            elsewhere = self.project.names.follow(path, place.name, self._module_binding, qualified=False)
            if elsewhere is not None:
                where, found = elsewhere
                return self._values(where, found, d, (*names, place.name))
            return [Resolved(None, f"name:{path}:{place.scope}:{place.name}", names=(*names, place.name))]
        if isinstance(place, Qual):
            last = place.qualname.rpartition(".")[2]
            found_in = self.project.names.follow_qualified(place.qualname, self._module_binding)
            if found_in is not None:
                return self._values(found_in[0], found_in[1], d, (*names, last))
            # `settings.JWKS_URL`, `app.config["JWKS_URL"]`: a setting, wherever the project defines it
            out: list[Resolved] = []
            for where, b in self.by_name.get(last, [])[:_MAX_VALUES]:
                out.extend(self.resolve(where, b.value, d, (*names, last)))
            return out[:_MAX_VALUES] or [Resolved(None, f"setting:{last}", names=(*names, last))]
        if isinstance(place, SelfAttr):
            found = self.bindings.get((path, place.cls, place.attr))
            if found:
                return self._values(path, found, d, (*names, place.attr))
            return [Resolved(None, f"attr:{path}:{place.cls}:{place.attr}", names=(*names, place.attr))]
        if isinstance(place, EnvRead):
            named = (*names, place.var) if place.var else names
            if place.default is not None:
                found_default = self.resolve(path, place.default, d, named)
                if found_default:
                    return found_default
            return [Resolved(None, f"env:{place.var}", names=named)]
        if isinstance(place, Joined):
            return self._join(path, place, d, names)
        if isinstance(place, Fetched):
            return [Resolved(None, f"fetched:{path}:{place.fetch}", names=names, fetched=place.fetch)]
        return []

    def _module_binding(self, path: str, name: str) -> tuple[str, list[PlaceBinding]] | None:
        found = self.bindings.get((path, "", name))
        return (path, found) if found else None

    def _values(self, path: str, found: list[PlaceBinding], depth: int, names: tuple[str, ...]) -> list[Resolved]:
        out: list[Resolved] = []
        for b in found[:_MAX_VALUES]:
            out.extend(self.resolve(path, b.value, depth, names))
        return out[:_MAX_VALUES]

    def _join(self, path: str, place: Joined, depth: int, names: tuple[str, ...]) -> list[Resolved]:
        combos: list[Resolved] = [Resolved("", "", names=names)]
        for part in place.parts:
            options = self.resolve(path, part, depth, ()) or [Resolved(None, "?")]
            combos = [
                Resolved(
                    c.text if c.text is None or c.partial else c.text + (o.text or ""),
                    f"{c.ident}|{o.ident}",
                    c.path or o.path,
                    c.span or o.span,
                    (*c.names, *o.names),
                    c.partial or o.text is None or o.partial,
                )
                for c in combos
                for o in options
            ][:_MAX_VALUES]
        out = []
        for c in combos:
            text = c.text if c.text else None
            out.append(Resolved(text, f"join:{c.ident}", c.path, c.span, c.names, c.partial))
        return out


def _names_keys(names: tuple[str, ...] | list[str]) -> bool:
    words = {w for n in names for w in split_words(n)}
    return bool(words & _KEY_SET_WORDS) or any(a in words and b in words for a, b in _KEY_PAIRS)


def _url_names_keys(text: str | None) -> bool:
    return text is not None and "://" in text and any(part in text.lower() for part in _KEY_URL_PARTS)


def names_key_file(resolved: Resolved) -> bool:
    """A path that says it holds a key: its suffix, or the names it was read through."""
    text = (resolved.text or "").lower()
    return (not resolved.partial and text.endswith(_KEY_FILE_SUFFIXES)) or _names_keys(resolved.names)
