"""KL201 public-token-minting-route: a route anyone can call that mints a token without checking any credential."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.minting import describe_subject, minted_where, minting_entries, related, report_at, route_label, subject_kind, suspicious_words

CODE = "KL201"


def check(ctx: Context) -> Iterator[Draft]:
    reported: set[tuple[str, int]] = set()
    for _, route, entry, analysis in minting_entries(ctx):
        if route.access.state != "public" or analysis.checks:
            continue
        flows = [(f, k) for f in analysis.mints if (k := subject_kind(f)) is not None]
        if not flows:
            continue
        flow, kind = min(flows, key=lambda fk: (fk[1] != "request", fk[0].path, fk[0].mint.span))
        path, span = report_at(route, entry)
        if (path, span.line) in reported:
            continue
        reported.add((path, span.line))
        message = (
            f"{route_label(route)} is reachable without authentication ({route.access.evidence}) and mints a "
            f"{flow.mint.kind} token with {minted_where(flow)} for {describe_subject(flow, kind)}, with no credential "
            f"checked on the way: anyone who can reach it gets a valid token for that account."
        )
        words = suspicious_words(route, analysis)
        if words:
            message += f" Its names say {', '.join(repr(w) for w in words)}: the usual shape of a forgotten back door."
        message += " Require authentication, or verify a password/OTP/signature before minting."
        yield Draft(
            code=CODE,
            path=path,
            span=span,
            message=message,
            token=f"{route_label(route)}:{flow.mint.minter}:{flow.subject_text}",
            related=related(route, flow),
        )
