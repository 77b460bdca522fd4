"""KL402 unscoped-token: tokens without an audience where one key serves several purposes, and
without a key id where keys rotate."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
CODE = "KL402"
_CONSEQUENCES = (
    ("a token minted for one purpose is accepted by every verifier of another; set aud per purpose.", "no audience"),
    ("a verifier cannot tell which key signed it, so keys cannot be rotated one at a time; set a kid header.", "no key id"),
)


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    purposes = {tp.purpose_of(c.claims, c.words) or "access" for _, c in tp.calls("encode")}
    purposes |= {tp.purpose_of(c.claims, c.words) or str(tp.call_entries.get(c.api, {}).get("purpose", "access")) for _, c in tp.calls("mint")}
    several = len(purposes) >= 2
    rotates, why = tp.rotates()
    for path, call in tp.calls("encode"):
        reasons = []
        if several and call.claims is not None and not call.claims.open and "aud" not in call.claims.keys:
            reasons.append(f"no audience (aud) although the project mints tokens for {len(purposes)} purposes")
        if rotates and call.kid is False:
            reasons.append(f"no key id (kid) header although {why}")
        if reasons:
            yield Draft(
                CODE, path, call.span,
                f"Token minted with {' and '.join(reasons)}: "
                + " ".join(consequence for consequence, reason in _CONSEQUENCES if any(r.startswith(reason) for r in reasons)),
                token=f"unscoped-mint:{call.api}:{call.scope}:{','.join(sorted(call.claims.keys if call.claims else ()))}",
            )
    if not several:
        return
    for path, call in tp.calls("decode"):
        if call.audience or tp.signature_off(path, call) or tp.flag(path, call.options, "verify_aud") is False:
            continue  # KL501 / KL504 say what is wrong with those
        if call.api == "jose.jws.verify":
            continue  # a JWS, not a JWT: no claims to check
        yield Draft(
            CODE, path, call.span,
            f"Token verified without checking its audience (no audience=) in a project that mints tokens for "
            f"{len(purposes)} purposes: a token minted for another purpose passes here. Pass audience= for the purpose this endpoint accepts.",
            token=f"unscoped-verify:{call.api}:{call.scope}",
        )
