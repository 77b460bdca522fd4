"""KL504 claim-verification-disabled: expiry, audience or issuer checks turned off."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.token_facts import Const
CODE = "KL504"
_CLAIMS = {"verify_exp": "expiry (exp)", "verify_aud": "audience (aud)", "verify_iss": "issuer (iss)"}


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, call in tp.calls("decode"):
        if tp.signature_off(path, call):
            continue  # KL501 already says nothing is checked
        off = [label for option, label in _CLAIMS.items() if tp.flag(path, call.options, option) is False]
        if off:
            yield Draft(
                CODE, path, call.span,
                f"{call.api}() turns off the {' and '.join(off)} check: expired tokens, or tokens minted for another "
                "service or purpose, are accepted. Keep the checks on and pass the expected values.",
                token=f"claims-off:{call.api}:{call.scope}:{','.join(off)}",
            )
    for path, setting in tp.settings("verify-claim"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} = False turns off a claim check: tokens are accepted after they expire.",
                token=f"claims-off-setting:{setting.name}",
            )
