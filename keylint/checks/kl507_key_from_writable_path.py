"""KL507 key-from-writable-path: a verifying key or JWKS read from a file the application also writes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.config import Config
from keylint.finalize import is_test_path
from keylint.link.key_sources import names_key_file

CODE = "KL507"
_DEFAULTS = Config(root=Path("."))  # test paths: a test that writes a key file is not the application writing it


def check(ctx: Context) -> Iterator[Draft]:
    ks = ctx.key_sources
    writers: dict[str, list[tuple[str, str, object]]] = {}
    for path, w in ks.writes():
        if w.provisioning or is_test_path(path, _DEFAULTS):
            continue  # a generated key being saved, or a test's set-up
        for r in ks.resolve(path, w.path):
            if r.text != "" and not r.ident.startswith("join:?"):
                writers.setdefault(r.ident, []).append((path, w.api, w))
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
        related = tuple(dict.fromkeys((wp, w.span, f"{api}() writes the same file here") for _, (wp, api, w) in hits))  # type: ignore[attr-defined]
        yield Draft(
            CODE, path, read.span,
            f"The key read from {what} is a file this application also writes: whoever can make it write there "
            "(an upload, a path or content taken from a request) chooses the key tokens are verified with. Keep "
            "verifying keys read-only to the application: ship them with the deployment or read them from a secret manager.",
            token=f"key-from-writable-path:{read.api}:{read.scope}:{shown or ''}",
            related=related,
        )
