"""KL202 token-minting-for-any-subject: an authenticated route that mints a token for whoever the request names."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.minting import minted_where, minting_entries, related, report_at, route_label, subject_kind, suspicious_words

CODE = "KL202"


def check(ctx: Context) -> Iterator[Draft]:
    reported: set[tuple[str, int]] = set()
    for _, route, entry, analysis in minting_entries(ctx):
        if route.access.state != "authenticated" or analysis.checks or analysis.roles or analysis.ownership:
            continue
        flows = [f for f in analysis.mints if subject_kind(f) == "request"]
        if not flows:
            continue
        flow = min(flows, key=lambda f: (f.path, f.mint.span))
        path, span = report_at(route, entry)
        if (path, span.line) in reported:
            continue
        reported.add((path, span.line))
        message = (
            f"{route_label(route)} requires authentication ({route.access.evidence}) but mints a {flow.mint.kind} token "
            f"with {minted_where(flow)} for a subject taken from the request ({flow.subject_text}) without checking "
            f"it against the caller: any signed-in user can get a token for any other account."
        )
        words = suspicious_words(route, analysis)
        if words:
            message += f" Its names say {', '.join(repr(w) for w in words)}."
        message += " Mint for the authenticated caller only, or check an admin role or ownership before impersonating."
        yield Draft(
            code=CODE,
            path=path,
            span=span,
            message=message,
            token=f"{route_label(route)}:{flow.mint.minter}:{flow.subject_text}",
            related=related(route, flow),
        )
