"""KL501 unverified-token-decode: token claims read without checking the signature."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.token_facts import Const
CODE = "KL501"
# Header fields a verifier legitimately reads before verifying (to pick the key).
_HEADER_FIELDS = frozenset({"kid", "alg", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256", "crit"})


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    verified = tp.verifying_scopes()
    for path, call in tp.calls("decode"):
        if tp.signature_off(path, call) and (path, call.scope) not in verified:
            how = "verify=False" if call.verify is not None and tp.signature_off(path, call, options=False) else 'options={"verify_signature": False}'
            yield Draft(
                CODE, path, call.span,
                f"{call.api}() with {how} returns whatever claims the token holds: anyone can forge a token and be "
                "accepted here. Verify the signature with the right key and an explicit algorithm list.",
                token=f"unverified-decode:{call.api}:{call.scope}",
            )
    for path, call in tp.calls("unverified-claims", "unverified-header"):
        if (path, call.scope) in verified:
            continue  # peek, then verify: the usual way to choose the key
        if call.operation == "unverified-header" and not (set(call.used_keys) - _HEADER_FIELDS):
            continue
        yield Draft(
            CODE, path, call.span,
            f"{call.api}() reads token claims without verifying the signature, and nothing in {call.scope or 'this module'} "
            "verifies them: a forged token is trusted. Decode with the key and an explicit algorithm list instead.",
            token=f"unverified-read:{call.api}:{call.scope}",
        )
    for path, setting in tp.settings("verify-signature"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} = False turns off signature verification: every forged token is accepted.",
                token=f"verify-setting:{setting.name}",
            )
