"""KL504 claim-verification-disabled: expiry, audience or issuer checks turned off, or never run."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.token_facts import Const, TokenCall

CODE = "KL504"
_CLAIMS = {"verify_exp": "expiry (exp)", "verify_aud": "audience (aud)", "verify_iss": "issuer (iss)"}


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    # a helper that returns the claims it decoded leaves validate() to its callers
    validated_by_caller = {name for tf in tp.facts.values() for name in tf.validated_returns}
    for path, call in tp.calls("decode"):
        if tp.signature_off(path, call):
            continue  # KL501 already says nothing is checked
        off = [label for option, label in _CLAIMS.items() if tp.flag(path, call.options, option) is False]
        checks = tp.value(path, call.claim_checks)
        if isinstance(checks, Const) and checks.value is False:
            off.append("expiry (exp) and not-before (nbf)")
        if off:
            yield Draft(
                CODE, path, call.span,
                f"{call.api}() turns off the {' and '.join(off)} check: expired tokens, or tokens minted for another "
                "service or purpose, are accepted. Keep the checks on and pass the expected values.",
                token=f"claims-off:{call.api}:{call.scope}:{','.join(off)}",
            )
        elif call.validated is False and not _returned_to_a_validating_caller(call, validated_by_caller):
            method = tp.call_entries.get(call.api, {}).get("validate_method", "validate")
            yield Draft(
                CODE, path, call.span,
                f"{call.api}() checks the signature only, and {method}() is never called on its claims here: exp, nbf, "
                f"iss and aud are not checked, so expired tokens are accepted. Call claims.{method}() before using them.",
                token=f"claims-unchecked:{call.api}:{call.scope}",
            )
    for path, setting in tp.settings("verify-claim"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            if setting.default:
                message = f"{setting.name} is False by default: every project that does not set it accepts tokens after they expire."
            else:
                message = f"{setting.name} = False turns off a claim check: tokens are accepted after they expire."
            yield Draft(
                CODE, path, setting.span,
                message,
                token=f"claims-off-setting:{setting.name}",
            )
    for entry, path, span in tp.relied_setting_defaults("verify-claim"):
        if entry.get("default") is False:
            yield Draft(
                CODE, path, span,
                f"{entry['library']} is used without {entry['name']}, which is False unless set: the claim check it "
                "governs is off, so tokens are accepted after they expire. Set it to True.",
                token=f"claims-off-default:{entry['name']}",
            )


def _returned_to_a_validating_caller(call: TokenCall, validated: set[str]) -> bool:
    """The decoded claims are returned, and a caller of this function calls validate() on them."""
    return any(u.kind == "return" for u in call.uses) and call.scope.rpartition(".")[2] in validated
