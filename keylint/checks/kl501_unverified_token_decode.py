"""KL501 unverified-token-decode: token claims read without checking the signature."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.extract.routes.facts import FAMILY as ROUTES, RouteFacts
from keylint.extract.token_facts import Const, TokenCall
from keylint.link.tokens import TokenProject
from keylint.model import Severity

CODE = "KL501"
# Header fields a verifier legitimately reads before verifying (to pick the key).
_HEADER_FIELDS = frozenset({"kid", "alg", "typ", "cty", "jku", "x5u", "x5t", "x5t#S256", "crit"})


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for path, read in tp.unverified_reads():
        if read.operation == "unverified-header" and not (set(read.used_keys) - _HEADER_FIELDS):
            continue  # reading kid/alg to choose the key reveals no claim
        if read.operation == "decode" and read.none_guard:
            continue  # the token's own header switched verification off: KL502 reports it
        if read.operation != "unverified-header" and tp.timing_only(read):
            continue  # reading exp to decide when to refresh trusts no identity or permission
        if tp.verified_before_use(path, read):
            continue  # peek, then verify the same token: the usual way to choose the key
        if _serves_nothing(ctx, path):
            continue  # a standalone CLI (a diagnostic printing a token's claims): only its own user hands it tokens
        yield Draft(CODE, path, read.span, _message(tp, path, read), token=_token(read), severity=_severity(tp, path, read))
    for path, setting in tp.settings("verify-signature"):
        value = tp.value(path, setting.value)
        if isinstance(value, Const) and value.value is False:
            yield Draft(
                CODE, path, setting.span,
                f"{setting.name} = False turns off signature verification: every forged token is accepted.",
                token=f"verify-setting:{setting.name}",
            )


def _serves_nothing(ctx: Context, path: str) -> bool:
    """A standalone script (runs as a program, no module imports it) that declares no route: the
    tokens it reads come from whoever runs it, and nothing it decides on them grants anybody else
    anything."""
    if path not in ctx.tokens.apps.scripts:  # under a test path too: a diagnostic named test_*.py
        return False
    routes = ctx.project.python[path].families.get(ROUTES)
    return not (isinstance(routes, RouteFacts) and (routes.routes or routes.mounts or routes.hooks))


def _message(tp: TokenProject, path: str, read: TokenCall) -> str:
    if read.operation == "decode":
        by_verify = tp.verify_flag_off(path, read) and tp.flag(path, read.options, "verify_signature") is not False
        how = "verify=False" if by_verify else 'options={"verify_signature": False}'
        message = (
            f"{read.api}() with {how} returns whatever claims the token holds: anyone can forge a token and be "
            "accepted here. Verify the signature with the right key and an explicit algorithm list."
        )
        if by_verify:
            ignored, where = tp.verify_ignored(read)
            if ignored is False:
                message += f" The project declares a PyJWT 1.x ({where}), which honours verify=False."
            elif ignored is None and where == "" and read.library == "PyJWT":
                message += " (PyJWT 1.x skips the signature here; PyJWT 2 ignores verify=, and the project declares no PyJWT version.)"
        return message
    what = "decodes the token's payload by hand (split, base64, json.loads)" if read.library == "" else f"{read.api}() reads token claims"
    return (
        f"{what} without verifying the signature, and the same token is not verified in {read.scope or 'this module'} "
        "before its claims are used: a forged token is trusted. Decode with the key and an explicit algorithm list instead."
    )


def _token(read: TokenCall) -> str:
    kind = "unverified-decode" if read.operation == "decode" else "unverified-read"
    return f"{kind}:{read.api}:{read.scope}"


def _severity(tp: TokenProject, path: str, read: TokenCall) -> Severity | None:
    """At most low where nothing is decided on the claims (they are only printed, logged or
    asserted on), and in examples and docs. A standalone script that gets here serves routes: it is
    a deployment of its own."""
    if tp.output_only(read) or tp.apps.of(path).startswith(("example:", "docs:")):
        return Severity.LOW
    return None
