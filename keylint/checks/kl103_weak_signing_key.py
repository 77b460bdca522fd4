"""KL103 weak-signing-key: keys from the random module, the clock, or too few random bytes."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.sinks import describe
from keylint.extract.facts import Weak

CODE = "KL103"


def check(ctx: Context) -> Iterator[Draft]:
    project, names = ctx.project, ctx.catalog.key_names
    keys = ctx.keys
    found: dict[tuple[str, Weak], str] = {}
    for flow in keys.flows:
        path, sink, origins = flow.path, flow.sink, flow.origins
        for o in origins:
            if o.kind == "weak" and o.weak is not None:
                found.setdefault((o.path, o.weak), f"used as {describe(path, sink)}")
    for path, py in project.python.items():
        for b in py.bindings:
            if isinstance(b.value, Weak) and names.matches(b.name):
                found.setdefault((path, b.value), f"assigned to {b.name}")
    for (path, weak), use in sorted(found.items(), key=lambda item: (item[0][0], item[0][1].span)):
        yield Draft(
            code=CODE,
            path=path,
            span=weak.span,
            message=f"Signing key is {weak.reason}, {use}. Use secrets.token_bytes(32) or a key from a KMS.",
            token=f"weak:{weak.reason}",
        )
