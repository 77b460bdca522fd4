"""KL503 decode-without-algorithms: the verifier lets the token choose its own algorithm."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.extract.token_facts import TokenCall
from keylint.link.tokens import TokenProject
from keylint.model import Severity, Span

CODE = "KL503"


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    found: dict[tuple[str, str, str], list[tuple[TokenCall, str]]] = {}
    for path, call in tp.calls("decode"):
        if tp.signature_off(path, call):
            continue  # nothing is verified at all: KL501 (or KL502) says so
        if tp.call_entries.get(call.api, {}).get("algorithms_from") == "instance":
            continue  # the accepted algorithms belong to the object the call is made on
        problem = _problem(tp, path, call)
        if problem is not None:
            found.setdefault((path, call.scope, problem), []).append((call, problem))
    for (path, scope, problem), calls in found.items():
        # one verifier written twice in one function (both arms of an if): one finding, the other related
        call = calls[0][0]
        others: tuple[tuple[str, Span, str], ...] = tuple((path, c.span, f"the same verifier at {where(path, c.span)}") for c, _ in calls[1:])
        asymmetric = any(_asymmetric(tp, path, c) for c, _ in calls)
        consequence = (
            "a public key can then be used as an HMAC secret to forge tokens (algorithm confusion)"
            if asymmetric
            else "with only shared secrets in play this is hardening, but a key that is later made asymmetric becomes forgeable"
        )
        yield Draft(
            CODE, path, call.span,
            f"{call.api}() verifies {problem}: {consequence}. Pass algorithms= with the one algorithm this key is for.",
            token=f"alg-confusion:{call.api}:{scope}:{problem.split(',')[0]}",
            related=others,
            severity=None if asymmetric else Severity.MEDIUM,
        )


def _problem(tp: TokenProject, path: str, call: TokenCall) -> str | None:
    found = tp.algorithm_names(path, call.algorithms)
    if found is None:
        return "without an explicit algorithms= list, so the token's own header chooses the algorithm"
    if found[2]:
        return "with the algorithm taken from the unverified token header"
    kinds = {tp.algorithms.get(n.lower()) for n in found[0]}
    if {"symmetric", "asymmetric"} <= kinds:
        return f"accepting both symmetric and asymmetric algorithms ({', '.join(found[0])}) for one key"
    return None


def _asymmetric(tp: TokenProject, path: str, call: TokenCall) -> bool:
    """Whether an asymmetric public key could be confused with an HMAC secret here: the key is
    one, both kinds are accepted, or nothing says the key is a shared secret and the application
    has asymmetric algorithms or key sets in play."""
    found = tp.algorithm_names(path, call.algorithms)
    if found is not None and {"symmetric", "asymmetric"} <= {tp.algorithms.get(n.lower()) for n in found[0]}:
        return True
    kind = tp.key_kind(path, call)
    if kind is not None:
        return kind == "asymmetric"
    return tp.asymmetric_in_play(tp.apps.judged_by(path))
