"""KL402 unscoped-token: tokens without an audience where one application mints several kinds, and
without a key id where its keys rotate."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.link.applications import TESTS
from keylint.model import Severity

CODE = "KL402"
_CONSEQUENCES = (
    ("a token minted for one purpose is accepted by every verifier of another; set aud per purpose.", "no audience"),
    ("a verifier cannot tell which key signed it, so keys cannot be rotated one at a time; set a kid header.", "no key id"),
)


def check(ctx: Context) -> Iterator[Draft]:
    """Tests are no deployment: a test's bare mint or decode only echoes a fault of the application
    it tests, so test modules are reported only where the application itself is, once per module
    (the module's other sites as related locations)."""
    own: list[Draft] = []
    in_tests: dict[str, list[Draft]] = {}
    apps = ctx.tokens.apps
    for draft in _sites(ctx):
        if apps.of(draft.path) == TESTS:
            in_tests.setdefault(draft.path, []).append(draft)
        else:
            own.append(draft)
    yield from own
    if not any(apps.own(d.path) for d in own):
        return
    for path in sorted(in_tests):
        first, *rest = in_tests[path]
        yield replace(first, related=tuple((d.path, d.span, "another unscoped site of this test module") for d in rest))


def _sites(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    apps = tp.apps
    # purposes are counted per application: tests are measured against the application they test,
    # examples and standalone scripts stand alone; kinds told apart by a type claim every verifier reads are scoped
    several: dict[str, int] = {}
    rotation: dict[str, tuple[bool, str]] = {}

    def kinds(app: str) -> int:
        if app not in several:
            several[app] = 0 if tp.type_scoped(app) else len(tp.minted_purposes(app))
        return several[app]

    def rotates(app: str) -> tuple[bool, str]:
        if app not in rotation:
            rotation[app] = tp.rotates(app)
        return rotation[app]

    for path, call in tp.calls("encode"):
        app = apps.judged_by(path)
        reasons = []
        count = kinds(app)
        if count >= 2 and call.claims is not None and not call.claims.open and "aud" not in call.claims.keys:
            reasons.append(f"no audience (aud) although the {_what(app)} mints tokens for {count} purposes")
        rotating, why = rotates(app)
        if rotating and call.kid is False:
            reasons.append(f"no key id (kid) header although {why}")
        if reasons:
            yield Draft(
                CODE, path, call.span,
                f"Token minted with {' and '.join(reasons)}: "
                + " ".join(consequence for consequence, reason in _CONSEQUENCES if any(r.startswith(reason) for r in reasons)),
                token=f"unscoped-mint:{call.api}:{call.scope}:{','.join(sorted(call.claims.keys if call.claims else ()))}",
                severity=_severity(app),
            )
    for path, call in tp.calls("decode"):
        app = apps.judged_by(path)
        count = kinds(app)
        if count < 2:
            continue
        if call.audience or tp.signature_off(path, call) or tp.flag(path, call.options, "verify_aud") is False:
            continue  # KL501 / KL504 say what is wrong with those
        if call.api == "jose.jws.verify" or call.api == "jwcrypto.jwt.JWT":
            continue  # a JWS has no claims to check; jwcrypto checks aud through check_claims
        yield Draft(
            CODE, path, call.span,
            f"Token verified without checking its audience (no audience=) in {_what(app, article=True)} that mints tokens for "
            f"{count} purposes: a token minted for another purpose passes here. Pass audience= for the purpose this endpoint accepts.",
            token=f"unscoped-verify:{call.api}:{call.scope}",
            severity=_severity(app),
        )


def _what(app: str, article: bool = False) -> str:
    noun = "example" if app.startswith("example:") else "script" if app.startswith("script:") else "project"
    return f"{'an' if noun == 'example' else 'a'} {noun}" if article else noun


def _severity(app: str) -> Severity | None:
    return Severity.LOW if app.startswith(("script:", "example:", "docs:")) else None
