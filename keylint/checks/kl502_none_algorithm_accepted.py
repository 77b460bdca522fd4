"""KL502 none-algorithm-accepted: "none" among the accepted or signing algorithms, or a token's own
header that switches verification off."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft

CODE = "KL502"


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, call in tp.calls("decode"):
        found = tp.algorithm_names(path, call.algorithms)
        if found is not None and any(n.lower() == "none" for n in found[0]):
            message = f'{call.api}() accepts the "none" algorithm: a token with no signature at all is accepted. Remove it from algorithms.'
        elif call.none_guard and tp.signature_off(path, call):
            message = (
                f'{call.api}() skips the signature when the token\'s own unverified header says alg "none": '
                "anyone can send an unsigned token and be accepted. Verify every token with the key and a fixed algorithm list."
            )
        else:
            continue
        yield Draft(CODE, path, call.span, message, token=f"alg-none:{call.api}:{call.scope}")
    for path, call in tp.calls("encode"):
        if tp.unsigned(path, call):
            message = f'{call.api}() mints an unsigned token (algorithm "none"): anyone can change its claims. Sign it.'
            yield Draft(CODE, path, call.span, message, token=f"alg-none:{call.api}:{call.scope}")
    for path, setting in [*tp.settings("algorithm"), *tp.settings("algorithms")]:
        found = tp.algorithm_names(path, setting.value)
        if found is not None and any(n.lower() == "none" for n in found[0]):
            yield Draft(
                CODE, path, setting.span,
                f'{setting.name} includes the "none" algorithm: tokens without a signature are minted or accepted.',
                token=f"alg-none-setting:{setting.name}",
            )
