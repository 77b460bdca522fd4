"""KL503 decode-without-algorithms: the verifier lets the token choose its own algorithm."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
CODE = "KL503"


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, call in tp.calls("decode"):
        if tp.signature_off(path, call):
            continue  # KL501: nothing is verified at all
        found = tp.algorithm_names(path, call.algorithms)
        if found is None:
            problem = "without an explicit algorithms= list, so the token's own header chooses the algorithm"
        elif found[2]:
            problem = "with the algorithm taken from the unverified token header"
        else:
            kinds = {tp.algorithms.get(n.lower()) for n in found[0]}
            if not {"symmetric", "asymmetric"} <= kinds:
                continue
            problem = f"accepting both symmetric and asymmetric algorithms ({', '.join(found[0])}) for one key"
        yield Draft(
            CODE, path, call.span,
            f"{call.api}() verifies {problem}: a public key can then be used as an HMAC secret to forge tokens "
            "(algorithm confusion). Pass algorithms= with the one algorithm this key is for.",
            token=f"alg-confusion:{call.api}:{call.scope}:{problem.split(',')[0]}",
        )
