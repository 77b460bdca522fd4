"""KL001 master-key-path: one key, a minting route and an enumerable subject joined into the chain an attacker walks (keylint.link.paths)."""

from __future__ import annotations

from typing import Iterator

from keylint.checks import kl201_public_token_minting_route as kl201
from keylint.checks import kl202_token_minting_for_any_subject as kl202
from keylint.checks.base import Context, Draft
from keylint.checks.minting import minting_entries, report_at
from keylint.link.paths import AttackPath, MintingRoute, PathFinder

CODE = "KL001"


def minting_routes(ctx: Context) -> list[MintingRoute]:
    """The routes KL201 and KL202 report, with the mint each is about (their own choice)."""
    out: list[MintingRoute] = []
    seen: set[tuple[str, int]] = set()
    for_kl201 = kl201.pick_for(ctx)
    for _, route, entry, analysis in minting_entries(ctx):
        for code, pick in ((kl201.CODE, for_kl201), (kl202.CODE, kl202._pick)):
            picked = pick(route, analysis)
            if picked is None:
                continue
            at = report_at(route, entry)
            if (at[0], at[1].line) not in seen:
                seen.add((at[0], at[1].line))
                out.append(MintingRoute(code, route, entry, picked[0], picked[1], at))
    return out


def to_draft(p: AttackPath) -> Draft:
    kinds = " -> ".join(s.kind for s in p.steps)
    return Draft(
        code=CODE,
        path=p.path,
        span=p.span,
        message=f"Master-key path: {p.story[:1].upper()}{p.story[1:]} ({kinds}.)",
        token=p.token,
        severity=p.severity,
        related=tuple((s.path, s.span, s.message) for s in p.steps),
        steps=tuple((s.path, s.span, s.message) for s in p.steps),
        parts=tuple((x.code, x.path, x.span) for x in p.parts),
    )


def check(ctx: Context) -> Iterator[Draft]:
    finder = PathFinder(ctx.tokens, ctx.keys, ctx.routes, ctx.models, ctx.ids.token_subjects)
    for p in finder.paths(minting_routes(ctx)):
        yield to_draft(p)
