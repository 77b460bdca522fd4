"""KL403 token-without-expiry: tokens minted without `exp`, or lifetimes configured as unlimited."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.token_facts import Const
CODE = "KL403"


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, call in tp.calls("encode"):
        claims = call.claims
        if claims is not None and not claims.open and "exp" not in claims.keys:
            yield Draft(
                CODE, path, call.span,
                f"Token minted by {call.api}() without an expiry (exp claim): it stays valid for as long as the key does, "
                "so a leaked or stolen token never stops working. Add exp (minutes for access tokens).",
                token=f"no-exp:{call.api}:{call.scope}:{','.join(claims.keys)}",
            )
    for path, call in tp.calls("mint"):
        expiry = tp.value(path, call.expiry)
        if isinstance(expiry, Const) and expiry.value is False:
            yield Draft(
                CODE, path, call.span,
                f"Token minted by {call.api.rpartition('.')[2]}() with expires_delta=False: it never expires. Give it a lifetime.",
                token=f"no-exp-mint:{call.api}:{call.scope}",
            )
    for path, setting in tp.settings("unlimited-if-false"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} = False makes every token it governs valid forever. Set a lifetime (a timedelta).",
                token=f"unlimited-setting:{setting.name}",
            )
