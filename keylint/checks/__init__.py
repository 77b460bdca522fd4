"""The rule registry: each entry is (codes it can emit, check function)."""

from __future__ import annotations

from typing import Callable, Iterable

from keylint.checks import kl001_master_key_path
from keylint.checks import file_rules, kl101_hardcoded_signing_key, kl102_signing_key_env_fallback, kl103_weak_signing_key
from keylint.checks import kl201_public_token_minting_route, kl202_token_minting_for_any_subject
from keylint.checks import kl301_autoincrement_id_in_response, kl302_autoincrement_id_in_route
from keylint.checks import kl401_shared_signing_key, kl402_unscoped_token, kl403_token_without_expiry, kl404_key_shared_across_environments
from keylint.checks import kl501_unverified_token_decode, kl502_none_algorithm_accepted, kl503_decode_without_algorithms, kl504_claim_verification_disabled
from keylint.checks import kl505_key_from_token_header, kl506_key_fetched_insecurely, kl507_key_from_writable_path
from keylint.checks.base import Context, Draft
from keylint.supersede import same_literal_once

Check = Callable[[Context], Iterable[Draft]]

REGISTRY: tuple[tuple[tuple[str, ...], Check], ...] = (
    ((kl101_hardcoded_signing_key.CODE,), kl101_hardcoded_signing_key.check),
    ((kl102_signing_key_env_fallback.CODE,), kl102_signing_key_env_fallback.check),
    ((kl103_weak_signing_key.CODE,), kl103_weak_signing_key.check),
    ((kl201_public_token_minting_route.CODE,), kl201_public_token_minting_route.check),
    ((kl202_token_minting_for_any_subject.CODE,), kl202_token_minting_for_any_subject.check),
    ((kl301_autoincrement_id_in_response.CODE,), kl301_autoincrement_id_in_response.check),
    ((kl302_autoincrement_id_in_route.CODE,), kl302_autoincrement_id_in_route.check),
    ((kl401_shared_signing_key.CODE,), kl401_shared_signing_key.check),
    ((kl402_unscoped_token.CODE,), kl402_unscoped_token.check),
    ((kl403_token_without_expiry.CODE,), kl403_token_without_expiry.check),
    ((kl404_key_shared_across_environments.CODE,), kl404_key_shared_across_environments.check),
    ((kl501_unverified_token_decode.CODE,), kl501_unverified_token_decode.check),
    ((kl502_none_algorithm_accepted.CODE,), kl502_none_algorithm_accepted.check),
    ((kl503_decode_without_algorithms.CODE,), kl503_decode_without_algorithms.check),
    ((kl504_claim_verification_disabled.CODE,), kl504_claim_verification_disabled.check),
    ((kl505_key_from_token_header.CODE,), kl505_key_from_token_header.check),
    ((kl506_key_fetched_insecurely.CODE,), kl506_key_fetched_insecurely.check),
    ((kl507_key_from_writable_path.CODE,), kl507_key_from_writable_path.check),
    (file_rules.CODES, file_rules.check),
    ((kl001_master_key_path.CODE,), kl001_master_key_path.check),
)
# Rules decided after the checks, from their drafts, by the engine's `_after_checks`: a key proven
# by a token read back from the files (KL115) and a key of the known-keys file (KL116). Each needs
# what the cached analysis must not hold (secret values, the known-keys file).
AFTER_CHECKS: tuple[str, ...] = ("KL115", "KL116")


def run_checks(ctx: Context, enabled: Callable[[str], bool]) -> list[Draft]:
    out: list[Draft] = []
    for codes, check in REGISTRY:
        if any(enabled(c) for c in codes):
            out.extend(d for d in check(ctx) if enabled(d.code))
    return same_literal_once(out, ctx.catalog)
