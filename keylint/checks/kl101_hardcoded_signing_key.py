"""KL101 hardcoded-signing-key: a literal that ends up as a signing/verifying key or key setting."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.sinks import contains, describe, name_based, order
from keylint.extract.facts import Secret, Sink

CODE = "KL101"
MIN_HMAC_BYTES = 32


def check(ctx: Context) -> Iterator[Draft]:
    uses: dict[tuple[str, Secret], list[tuple[str, Sink]]] = defaultdict(list)
    for flow in ctx.keys.flows:
        path, sink, origins = flow.path, flow.sink, flow.origins
        for o in origins:
            if o.kind != "literal" or o.secret is None or o.secret.empty:
                continue
            if name_based(sink) and o.secret.shape != "text":
                continue  # JWT_SECRET_ENV = "JWT_SECRET", KEY_FILE = "/etc/key.pem": names, not keys
            if (path, sink) not in uses[(o.path, o.secret)]:
                uses[(o.path, o.secret)].append((path, sink))
    for (path, secret), sinks in sorted(uses.items(), key=lambda item: (item[0][0], item[0][1].span)):
        sinks.sort(key=order)
        # the assignment that holds the literal is where it is, not a further use of it
        elsewhere = [(p, s) for p, s in sinks if not (p == path and contains(s.span, secret.span))]
        first_path, first = (elsewhere or sinks)[0]
        message = f"Hard-coded signing key {secret.hint} is used as {describe(first_path, first)}"
        if len(elsewhere) > 1:
            message += f" and {len(elsewhere) - 1} more place{'s' if len(elsewhere) > 2 else ''}"
        message += "."
        if secret.length < MIN_HMAC_BYTES:
            message += f" It is also only {secret.length} bytes, below the {MIN_HMAC_BYTES} bytes HS256 needs."
        message += " Anyone with the source can sign tokens; load the key from a secret manager or KMS."
        yield Draft(
            code=CODE,
            path=path,
            span=secret.span,
            message=message,
            token=f"literal:{secret.digest}",
            secret_columns=(secret.span.column, secret.span.end_column) if secret.span.line == secret.span.end_line else None,
            related=tuple((p, s.span, f"key used by {s.label}") for p, s in elsewhere),
            key=secret.digest,
        )
    # no key at all: a library that then signs with the secret printed in its own source (KL4xx's
    # token linker finds these calls; the key is as public as a literal in the project)
    for path, call, entry in ctx.tokens.published_default_keys():
        yield Draft(
            code=CODE,
            path=path,
            span=call.span,
            message=(
                f"{entry['library']} is set up here without {entry['keyword']}= or {entry['setting']}: it signs tokens with "
                "the default secret printed in its own source, which anyone can read. Pass a key loaded from a secret manager."
            ),
            token=f"published-default:{call.api}:{call.app or ''}",
        )
