"""KL507 key-from-writable-path: a verifying key or JWKS read from a file the application also writes."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.key_source_facts import FileWrite
from keylint.link.key_sources import names_key_file

CODE = "KL507"


def check(ctx: Context) -> Iterator[Draft]:
    ks = ctx.key_sources
    writers: dict[str, list[tuple[str, FileWrite]]] = {}
    for path, w in ks.writes():
        if w.provisioning or ctx.is_test(path):
            continue  # a generated key being saved, or a test's set-up: not the application writing it
        for r in ks.resolve(path, w.path):
            if r.text != "" and not r.ident.startswith("join:?"):
                writers.setdefault(r.ident, []).append((path, w))
    if not writers:
        return
    for path, read in ks.reads():
        values = ks.resolve(path, read.path)
        if read.keys_at is None and not any(names_key_file(v) for v in values):
            continue  # not a key that is read
        hits = [(v, h) for v in values for h in writers.get(v.ident, [])]
        if not hits:
            continue
        shown = next((v.text for v, _ in hits if v.text and not v.partial), None)
        what = f"`{shown}`" if shown else "this file"
        related = tuple(dict.fromkeys((wp, w.span, f"{w.api}() writes the same file here") for _, (wp, w) in hits))
        yield Draft(
            CODE, path, read.span,
            f"The key read from {what} is a file this application also writes: whoever can make it write there "
            "(an upload, a path or content taken from a request) chooses the key tokens are verified with. Keep "
            "verifying keys read-only to the application: ship them with the deployment or read them from a secret manager.",
            token=f"key-from-writable-path:{read.api}:{read.scope}:{shown or ''}",
            related=related,
        )
