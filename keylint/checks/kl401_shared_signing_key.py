"""KL401 shared-signing-key: one key signs tokens of several purposes or privilege levels."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.link.tokens import Site

CODE = "KL401"
_MAX_RELATED = 20


def check(ctx: Context) -> Iterator[Draft]:
    tp = ctx.tokens
    rank = {name: i for i, name in enumerate(tp.purposes)}  # catalog order: most privileged first
    for group in tp.groups():
        atoms = frozenset(a for s in group for a in s.atoms)
        purposes = {s.purpose for s in group}
        # a key read as the framework secret (`app.config["SECRET_KEY"]`) also signs its sessions
        for a in atoms:
            entry = tp.key_purposes.get(a.name) if a.kind == "setting" else None
            if entry is not None and entry["purpose"] == "framework" and tp._framework_ok(entry):
                purposes.add("framework")
        if len(purposes) < 2:
            continue
        own = max(purposes, key=lambda p: rank.get(p, -1))  # the key's own purpose: not reported
        key = tp.describe_key(atoms)
        for site in group:
            if not _reported(site, own):
                continue
            others = sorted({s.purpose for s in group if s.purpose != site.purpose} | ({"framework"} if "framework" in purposes and site.purpose != "framework" else set()), key=lambda p: rank.get(p, 99))
            listed = _join([tp.label(p) for p in others])
            if site.kind == "default":
                setting = next((str(e["setting"]) for e in tp.defaults if e["library"] == site.library), "its key setting")
                message = (
                    f"{site.library} signs its tokens with the framework secret SECRET_KEY because {setting} is not set, "
                    f"so {key} serves {tp.label(site.purpose)} and {listed}."
                )
            else:
                message = f"{tp.label(site.purpose, capital=True)} are signed here with {key}, which also serves {listed}."
            message += " One leaked key forges all of them: give each purpose its own key (with a kid)"
            message += ", and keep the framework secret for the framework." if "framework" in purposes else "."
            related = tuple(
                (s.path, s.span, f"{s.what} at {where(s.path, s.span)}: {tp.label(s.purpose)}") for s in group if s is not site
            )[:_MAX_RELATED]
            yield Draft(CODE, site.path, site.span, message, token=f"shared-key:{site.what}:{site.purpose}:{key}", related=related)


def _reported(site: Site, own: str) -> bool:
    """Every use for another purpose than the key's own; a library's ordinary access/refresh minting
    follows the key setting, which is reported instead; a relied-on library default always is."""
    if site.kind == "default":
        return True
    if site.purpose == own:
        return False
    return not (site.kind == "mint" and site.purpose in ("access", "refresh"))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
