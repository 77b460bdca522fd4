"""KL502 none-algorithm-accepted: "none" among the accepted or signing algorithms."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
CODE = "KL502"


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, call in tp.calls("decode", "encode"):
        found = tp.algorithm_names(path, call.algorithms if call.operation == "decode" else call.algorithm)
        if found is None or not any(n.lower() == "none" for n in found[0]):
            continue
        if call.operation == "decode":
            message = f'{call.api}() accepts the "none" algorithm: a token with no signature at all is accepted. Remove it from algorithms.'
        else:
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
