"""KL101 hardcoded-signing-key: a literal that ends up as a signing/verifying key or key setting."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.checks.sinks import contains, describe, name_based, order
from keylint.extract.facts import Secret, Sink

CODE = "KL101"
MIN_HMAC_BYTES = 32


def check(ctx: Context) -> Iterator[Draft]:
    # one finding per key value per file: a literal written again at a second verifier is the same key
    literals: dict[tuple[str, str], list[Secret]] = defaultdict(list)
    uses: dict[tuple[str, str], list[tuple[str, Sink]]] = defaultdict(list)
    for flow in ctx.keys.flows:
        path, sink, origins = flow.path, flow.sink, flow.origins
        for o in origins:
            if o.kind != "literal" or o.secret is None:
                continue
            if o.secret.empty and sink.kind != "call":
                continue  # SECRET_KEY = "": a setting left to be filled in; only a signer given "" signs with it
            if name_based(sink) and o.secret.shape != "text":
                continue  # JWT_SECRET_ENV = "JWT_SECRET", KEY_FILE = "/etc/key.pem", PRIVATE_KEY = "private_key"
            group = (o.path, o.secret.digest)
            if o.secret not in literals[group]:
                literals[group].append(o.secret)
            if (path, sink) not in uses[group]:
                uses[group].append((path, sink))
    for group, secrets in sorted(literals.items(), key=lambda item: (item[0][0], min(s.span for s in item[1]))):
        path = group[0]
        secrets.sort(key=lambda s: s.span)
        secret, repeats = secrets[0], secrets[1:]
        sinks = sorted(uses[group], key=order)
        # the assignment that holds the literal is where it is, not a further use of it
        elsewhere = [(p, s) for p, s in sinks if not (p == path and any(contains(s.span, r.span) for r in secrets))]
        first_path, first = (elsewhere or sinks)[0]
        # a value found only by its name (`client_secret=`, `{"api_secret": ...}`) is a secret; only a
        # signer or a framework key setting makes it a signing key
        signing = not all(name_based(s) for _, s in sinks)
        what = "An empty signing key" if secret.empty else f"Hard-coded {'signing key' if signing else 'secret'} {secret.hint}"
        message = f"{what} is used as {describe(first_path, first)}"
        if len(elsewhere) > 1:
            message += f" and {len(elsewhere) - 1} more place{'s' if len(elsewhere) > 2 else ''}"
        if repeats:
            message += f"; the same literal is written {len(repeats)} more time{'s' if len(repeats) > 1 else ''} in this file"
        message += "."
        if signing and 0 < secret.length < MIN_HMAC_BYTES:
            message += f" It is also only {secret.length} bytes, below the {MIN_HMAC_BYTES} bytes HS256 needs."
        message += (
            " Anyone can sign tokens with an empty key; load the key from a secret manager or KMS."
            if secret.empty
            else " Anyone with the source can sign tokens; load the key from a secret manager or KMS."
            if signing
            else " Anyone with the source can use it; load it from the environment or a secret manager."
        )
        yield Draft(
            code=CODE,
            path=path,
            span=secret.span,
            message=message,
            token=f"literal:{secret.digest}",
            secret_columns=(secret.span.column, secret.span.end_column) if secret.span.line == secret.span.end_line else None,
            related=(
                *((path, r.span, f"the same key again at {where(path, r.span)}") for r in repeats),
                *((p, s.span, f"key used by {s.label}") for p, s in elsewhere),
            ),
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
