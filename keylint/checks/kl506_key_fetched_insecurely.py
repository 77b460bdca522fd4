"""KL506 key-fetched-insecurely: a JWKS or key fetched over plain HTTP or without certificate checks."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.environments import environment_of
from keylint.extract.key_source_facts import Fetch
from keylint.link.key_sources import KeySources, Resolved
from keylint.model import Severity, Span

CODE = "KL506"
_NOT_DEPLOYED = frozenset({"development", "test"})


def check(ctx: Context) -> Iterator[Draft]:
    ks = ctx.key_sources
    for path, index, fetch in ks.fetches():
        if not ks.brings_keys(path, index):
            continue
        urls = ks.resolve(path, fetch.url)
        # a URL that only development or test settings set is that environment's own (production's is elsewhere)
        plain = [u for u in urls if u.scheme == "http" and not (u.path is not None and environment_of(u.path) in _NOT_DEPLOYED)]
        remote = [u for u in plain if not u.local]
        # a discovery document fetched insecurely hands this fetch its URL: one cause, reported here
        sources = [(i, s) for i, s in _sources(ks, path, urls) if _insecure(ks, path, s)]
        if not (fetch.tls_off or plain or sources):
            continue
        if _feeds_a_reported_fetch(ks, path, index):
            continue  # reported on the fetch that brings the keys
        how = _how(fetch, plain, sources)
        related: list[tuple[str, Span, str]] = []
        for u in plain:
            if u.path is not None and u.span is not None:
                related.append((u.path, u.span, f"the URL is {u.text}"))
        for t in fetch.tls_off:
            if t.span.line != fetch.span.line:
                related.append((path, t.span, f"certificate verification is turned off here ({t.what})"))
        for _, s in sources:
            related.append((path, s.span, "the URL comes from this document, fetched without TLS checks"))
        local_only = not fetch.tls_off and not remote and not sources
        yield Draft(
            CODE, path, fetch.span,
            f"{fetch.api}() fetches the keys tokens are verified with {how}: anyone on the network path can serve "
            "their own key set and sign tokens this code accepts. Fetch the JWKS over https:// with certificate "
            "verification on." + (" (The host is local, so the traffic stays on this machine.)" if local_only else ""),
            token=f"key-fetch:{fetch.api}:{fetch.scope}",
            related=tuple(dict.fromkeys(related)),
            severity=Severity.LOW if local_only else None,
        )


def _sources(ks: KeySources, path: str, urls: list[Resolved]) -> list[tuple[int, Fetch]]:
    fetches = ks.facts[path].fetches
    return [(u.fetched, fetches[u.fetched]) for u in urls if u.fetched is not None and u.fetched < len(fetches)]


def _insecure(ks: KeySources, path: str, fetch: Fetch) -> bool:
    return bool(fetch.tls_off) or any(u.scheme == "http" and not u.local for u in ks.resolve(path, fetch.url))


def _feeds_a_reported_fetch(ks: KeySources, path: str, index: int) -> bool:
    """A discovery fetch whose response gives a key fetch its URL is reported with that key fetch."""
    return bool(ks.fed_by(path, index)) and _insecure(ks, path, ks.facts[path].fetches[index])


def _how(fetch: Fetch, plain: list[Resolved], sources: list[tuple[int, Fetch]]) -> str:
    parts = []
    if plain:
        parts.append("over plain http://")
    if fetch.tls_off:
        parts.append("without checking the server's certificate (" + ", ".join(dict.fromkeys(t.what for t in fetch.tls_off)) + ")")
    if sources:
        parts.append("from a URL that a document fetched without TLS checks supplies")
    return " and ".join(parts)
