"""KL401 shared-signing-key: one key signs tokens of several purposes or privilege levels."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.link.tokens import Site, TokenProject
from keylint.model import Severity

CODE = "KL401"
_MAX_RELATED = 20
# purposes that are not tokens say what the key does there
_PHRASES = {
    "encryption": "Stored data is encrypted here with {key}, which also serves {listed}.",
    "obfuscation": "Public ids are salted here (Hashids) with {key}, which also serves {listed}.",
}
# where a purpose is reported: a site that mints, then a library's key default, then a setting, then a verifier
_SITE_ORDER = {"mint": 0, "choice": 0, "library-default": 1, "default": 1, "verify": 3}


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    for group in tp.groups():
        app = group[0].app
        # verifiers count only for a key nothing in the application signs with: it still accepts tokens
        signs = any(s.kind != "verify" and not s.what.startswith("setting ") for s in group)
        counted = [s for s in group if s.kind != "verify"] if signs else group
        # access and refresh tokens on one key is every JWT library's design (KL402 asks that they be
        # told apart); it is a finding only with a third purpose
        purposes = {_kind(s.purpose) for s in counted}
        framework = _framework(tp, group)
        if framework is not None:
            purposes.add("framework")
        if len(purposes) < 2:
            continue
        own = max(purposes, key=lambda p: tp.rank.get(p, -1))  # the key's own purpose: not reported
        key = tp.describe_key(frozenset(a for s in group for a in s.atoms))
        for purpose in sorted(purposes - {own}, key=lambda p: tp.rank.get(p, 99)):
            candidates = sorted((s for s in counted if _kind(s.purpose) == purpose and _reportable(s)), key=lambda s: (_SITE_ORDER.get(s.kind, 2) + (s.what.startswith("setting ")), s.path, s.span))
            if not candidates:
                continue
            site = candidates[0]
            others = sorted((purposes - {purpose}), key=lambda p: tp.rank.get(p, 99))
            yield _draft(tp, site, key, others, framework, app, group)


def _kind(purpose: str) -> str:
    return "access" if purpose == "refresh" else purpose


def _framework(tp: TokenProject, group: list[Site]) -> str | None:
    """"evidenced" when the key is the framework secret and the framework signs with it in this
    application (sessions, CSRF, a login manager, Django's own apps); "named" when only the
    setting's name says so; None when the key is not the framework secret."""
    if any(s.purpose == "framework" for s in group if s.kind != "verify" and not s.what.startswith("setting ")):
        return "evidenced"  # a session middleware signing with this very key
    for a in {a for s in group for a in s.atoms}:
        entry = tp.key_purposes.get(a.name) if a.kind == "setting" else None
        if entry is not None and entry["purpose"] == "framework" and tp._framework_ok(entry):
            return "evidenced" if tp.framework_signs(group[0].app) else "named"
    return None


def _reportable(site: Site) -> bool:
    """A library's ordinary access/refresh minting follows its key setting, which is reported instead."""
    return not (site.kind == "mint" and site.purpose in ("access", "refresh"))


def _draft(tp: TokenProject, site: Site, key: str, others: list[str], framework: str | None, app: str, group: list[Site]) -> Draft:
    listed = _join([tp.label(p) for p in others])
    if site.kind == "default":
        setting = next((str(e["setting"]) for e in tp.defaults if e["library"] == site.library), "its key setting")
        message = (
            f"{site.library} signs its tokens with the framework secret SECRET_KEY because {setting} is not set, "
            f"so {key} serves {tp.label(site.purpose)} and {listed}."
        )
    elif site.kind == "library-default":
        default = next((str(e["default"]) for e in tp.defaults if e["library"] == site.library), "SECRET_KEY")
        message = (
            f"{site.library}'s own default for {site.what.removeprefix('default ')} is the framework secret {default}: "
            f"every project that does not set it signs {tp.label(site.purpose)} with the key of its {listed}."
        )
    elif site.purpose == "other-key":
        name = site.what.removeprefix("key ")
        message = f"{name} holds {key}, where nothing else sets it: the key named for another use is the secret that also serves {listed}."
    elif site.claim:
        message = (
            f"Admin and ordinary tokens are both minted here with {key}, told apart only by the {site.claim!r} claim: "
            "whoever holds the key mints either."
        )
    elif site.purpose in _PHRASES:
        message = _PHRASES[site.purpose].format(key=key, listed=listed)
    else:
        message = f"{tp.label(site.purpose, capital=True)} are signed here with {key}, which also serves {listed}."
    if site.kind == "verify":
        message = message.replace("are signed here with", "are verified here with", 1)
    message += " One leaked key forges all of them: give each purpose its own key (with a kid)"
    message += ", and keep the framework secret for the framework." if framework is not None else "."
    if framework == "named" and others == ["framework"]:
        message += " Nothing in the application signs sessions, CSRF tokens or login cookies with it, so the key serves one purpose today."
    related = tuple((s.path, s.span, f"{s.what} at {where(s.path, s.span)}: {tp.label(s.purpose)}") for s in group if s is not site)[:_MAX_RELATED]
    return Draft(CODE, site.path, site.span, message, token=f"shared-key:{site.what}:{site.purpose}:{key}", related=related, severity=_severity(site, others, framework, app))


def _severity(site: Site, others: list[str], framework: str | None, app: str) -> Severity | None:
    if app.startswith(("script:", "example:", "docs:")) or site.kind == "library-default":
        return Severity.LOW  # not the application's key; a library's default is its users' problem, reported low
    if framework == "named" and others == ["framework"]:
        return Severity.LOW  # the framework secret by name only: nothing else is signed with it yet
    if site.claim:
        return Severity.MEDIUM  # privilege in a claim: one key by design, reported as a weaker signal
    return None


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
