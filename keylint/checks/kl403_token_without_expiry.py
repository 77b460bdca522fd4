"""KL403 token-without-expiry: tokens minted without `exp`, or lifetimes configured as unlimited or absurdly long."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.token_facts import Const, Duration, Val

CODE = "KL403"
# A lifetime beyond this outlives any key rotation and any user: effectively no expiry.
ABSURD_SECONDS = 10 * 365 * 86400


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
        elif _absurd(expiry):
            yield Draft(
                CODE, path, call.span,
                f"Token minted by {call.api.rpartition('.')[2]}() with a lifetime of {_years(expiry)}: it effectively never expires. "
                "Give it a lifetime of minutes (access) or days (refresh).",
                token=f"absurd-exp-mint:{call.api}:{call.scope}",
            )
    for path, setting in tp.settings("unlimited-if-false"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} = False makes every token it governs valid forever. Set a lifetime (a timedelta).",
                token=f"unlimited-setting:{setting.name}",
            )
        elif _absurd(value):
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} is {_years(value)}: every token it governs is effectively valid forever. "
                "Set a lifetime of minutes (access) or days (refresh).",
                token=f"absurd-setting:{setting.name}",
            )


def _absurd(value: Val | None) -> bool:
    return isinstance(value, Duration) and value.seconds > ABSURD_SECONDS


def _years(value: Val | None) -> str:
    seconds = value.seconds if isinstance(value, Duration) else 0.0
    return f"about {seconds / (365 * 86400):,.0f} years"
