"""KL505 key-from-token-header: the verifying key, or where to fetch it, is taken from the token itself."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft

CODE = "KL505"


def check(ctx: Context) -> Iterator[Draft]:
    for path, found in ctx.key_sources.from_header():
        members = ", ".join(dict.fromkeys(f"`{r.member}`" for r in found.reads))
        yield Draft(
            CODE, path, found.span,
            f"{found.api}() builds the verifying key from the token's own {members} header: whoever makes the token "
            "chooses the key it is checked with, so a token they signed themselves is accepted. Take keys only from a "
            "fixed, trusted JWKS URL and use the `kid` only to choose among them.",
            token=f"key-from-header:{found.api}:{found.scope}:{','.join(r.member for r in found.reads)}",
            related=tuple(
                (path, r.span, f"the `{r.member}` header member is read here, before the token is verified")
                for r in found.reads
                if r.span.line != found.span.line
            ),
        )
