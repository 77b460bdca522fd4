"""KL201 public-token-minting-route: a route anyone can call that mints a token without checking any credential."""

from __future__ import annotations

from typing import Callable, Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.minting import accepted_mints, describe_subject, mint_order, minted_where, route_drafts, subject_kind
from keylint.link.routes import HandlerAnalysis, LinkedRoute, MintFlow
from keylint.model import Span

CODE = "KL201"


def _pick(route: LinkedRoute, analysis: HandlerAnalysis, accepted: frozenset[tuple[str, Span]] = frozenset()) -> tuple[MintFlow, str] | None:
    if route.access.state != "public" or analysis.checks:
        return None
    flows = [(f, k) for f in analysis.mints if (k := subject_kind(f, accepted)) is not None]
    if not flows:
        return None
    return min(flows, key=lambda fk: (fk[1] != "request", *mint_order(fk[0])))


def _message(route: LinkedRoute, flow: MintFlow, kind: str, words: list[str]) -> str:
    message = (
        f"{route.label} is reachable without authentication ({route.access.evidence}) and mints a "
        f"{flow.mint.kind} token with {minted_where(flow)} for {describe_subject(flow, kind)}, with no credential "
        f"checked on the way: anyone who can reach it gets "
        + ("a token the project accepts." if flow.subjectless else "a valid token for that account.")
    )
    if words:
        message += f" Its names say {', '.join(repr(w) for w in words)}: the usual shape of a forgotten back door."
    return message + " Require authentication, or verify a password/OTP/signature before minting."


def pick_for(ctx: Context) -> Callable[[LinkedRoute, HandlerAnalysis], tuple[MintFlow, str] | None]:
    accepted = accepted_mints(ctx)
    return lambda route, analysis: _pick(route, analysis, accepted)


def check(ctx: Context) -> Iterator[Draft]:
    return route_drafts(ctx, CODE, pick_for(ctx), _message)
