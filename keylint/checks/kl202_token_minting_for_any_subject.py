"""KL202 token-minting-for-any-subject: an authenticated route that mints a token for whoever the request names."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.minting import mint_order, minted_where, route_drafts, subject_kind
from keylint.link.routes import HandlerAnalysis, LinkedRoute, MintFlow

CODE = "KL202"


def _pick(route: LinkedRoute, analysis: HandlerAnalysis) -> tuple[MintFlow, str] | None:
    if route.access.state != "authenticated" or analysis.checks or analysis.roles or analysis.ownership:
        return None
    flows = [f for f in analysis.mints if subject_kind(f) == "request"]
    if not flows:
        return None
    return min(flows, key=mint_order), "request"


def _message(route: LinkedRoute, flow: MintFlow, kind: str, words: list[str]) -> str:
    message = (
        f"{route.label} requires authentication ({route.access.evidence}) but mints a {flow.mint.kind} token "
        f"with {minted_where(flow)} for a subject taken from the request ({flow.subject_text}) without checking "
        f"it against the caller: any signed-in user can get a token for any other account."
    )
    if words:
        message += f" Its names say {', '.join(repr(w) for w in words)}."
    return message + " Mint for the authenticated caller only, or check an admin role or ownership before impersonating."


def check(ctx: Context) -> Iterator[Draft]:
    return route_drafts(ctx, CODE, _pick, _message)
