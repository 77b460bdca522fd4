"""The rule registry: each entry is (codes it can emit, check function)."""

from __future__ import annotations

from typing import Callable, Iterable

from keylint.checks import file_rules, kl101_hardcoded_signing_key, kl102_signing_key_env_fallback, kl103_weak_signing_key
from keylint.checks import kl201_public_token_minting_route, kl202_token_minting_for_any_subject
from keylint.checks import kl301_autoincrement_id_in_response
from keylint.checks.base import Context, Draft

Check = Callable[[Context], Iterable[Draft]]

REGISTRY: tuple[tuple[tuple[str, ...], Check], ...] = (
    ((kl101_hardcoded_signing_key.CODE,), kl101_hardcoded_signing_key.check),
    ((kl102_signing_key_env_fallback.CODE,), kl102_signing_key_env_fallback.check),
    ((kl103_weak_signing_key.CODE,), kl103_weak_signing_key.check),
    ((kl201_public_token_minting_route.CODE,), kl201_public_token_minting_route.check),
    ((kl202_token_minting_for_any_subject.CODE,), kl202_token_minting_for_any_subject.check),
    ((kl301_autoincrement_id_in_response.CODE,), kl301_autoincrement_id_in_response.check),
    (file_rules.CODES, file_rules.check),
)


def run_checks(ctx: Context, enabled: Callable[[str], bool]) -> list[Draft]:
    out: list[Draft] = []
    for codes, check in REGISTRY:
        if any(enabled(c) for c in codes):
            out.extend(d for d in check(ctx) if enabled(d.code))
    return out
