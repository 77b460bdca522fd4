"""KL404 key-shared-across-environments: production's key is also in another environment's settings.

Each settings module or configuration file of a named environment (keylint.environments) holds
keys: its own key-named bindings, and those of the modules it star-imports that it does not bind
again (`from .base import *` in prod.py puts base.py's keys into production); a configuration
file's key values (KL110/KL111). The same key, by digest, in production and in development, staging
or test settings is reported once, at the place production takes it from, with the other
environments' places as related locations. Keys found only outside production (a test key shared
by dev and test settings) are not reported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from keylint.checks.base import Context, Draft, where
from keylint.environments import PRODUCTION, environment_of, is_settings_module
from keylint.extract.config_files import is_example_file
from keylint.extract.facts import Binding
from keylint.link import Project
from keylint.model import Span

CODE = "KL404"
_MAX_RELATED = 20
_FILE_START = Span(1, 1, 1, 1)  # a settings module as a whole (it inherits the key, no line holds it)
_CONFIG_CODES = ("KL110", "KL111")


@dataclass(frozen=True, slots=True)
class _Place:
    """Where an environment takes a key from."""

    environment: str
    settings: str  # the environment's settings module or configuration file
    path: str  # the file holding the key: `settings`, or a module it inherits the key from
    span: Span
    name: str  # the setting or entry that holds it
    fallback: bool  # a default for an environment variable, not the value itself

    @property
    def inherited(self) -> bool:
        return self.path != self.settings


def _inherited(project: Project, path: str, seen: frozenset[str] = frozenset()) -> dict[str, tuple[str, Binding]]:
    """Module-level bindings of `path` and of the modules it star-imports, later ones winning, as
    Python binds them: name -> (the module that binds it, the binding)."""
    if path in seen or path not in project.python:
        return {}
    seen = seen | {path}
    py = project.python[path]
    out: dict[str, tuple[str, Binding]] = {}
    for source in py.star_imports:
        for target in project.names.module_paths(source)[:1]:
            out.update(_inherited(project, target, seen))
    for b in py.bindings:
        if b.scope == "":
            out[b.name] = (path, b)
    return out


def _python_places(ctx: Context, path: str, environment: str) -> Iterator[tuple[str, _Place]]:
    project, names = ctx.project, ctx.catalog.key_names
    py = project.python[path]
    own = [(path, b) for b in py.bindings if b.scope == "<config>" or b.scope in py.classes]
    for name_path, b in [*_inherited(project, path).values(), *own]:
        if not (names.matches(b.name) or b.name in ctx.catalog.setting_names):
            continue
        for o in ctx.keys.origins(name_path, b.value):
            secret = o.secret
            if o.kind not in ("literal", "env-default") or secret is None or secret.empty or secret.shape != "text":
                continue
            yield secret.digest, _Place(environment, path, o.path, secret.span, b.name, o.kind == "env-default")


def _places(ctx: Context) -> dict[str, list[_Place]]:
    """key digest -> every place an environment takes it from."""
    project = ctx.project
    found: dict[str, list[_Place]] = {}
    for path, facts in project.files.items():
        environment = environment_of(path)
        if environment is None:
            continue  # a base module counts through the environments that inherit it
        items: list[tuple[str, _Place]] = []
        if path in project.python:
            if is_settings_module(path):
                items = list(_python_places(ctx, path, environment))
        elif not is_example_file(path):
            items = [(f.key, _Place(environment, path, path, f.span, "", False)) for f in facts.findings if f.code in _CONFIG_CODES and f.key]
        for digest, place in items:
            if place not in found.setdefault(digest, []):
                found[digest].append(place)
    return found


def _order(place: _Place) -> tuple[bool, str, str, Span]:
    """Production's own value first, then what it inherits."""
    return (place.inherited, place.settings, place.path, place.span)


def _held(place: _Place, digest: str) -> str:
    what = f"{place.name} at " if place.name else "The key at "
    return f"{what}{where(place.path, place.span)} (sha256:{digest[:12]}…)"


def _other(place: _Place) -> str:
    if place.inherited:
        return f"{place.environment} settings {place.settings} (inherited)"
    how = " as the default of an environment variable" if place.fallback else ""
    return f"{place.environment} settings {where(place.path, place.span)}{how}"


def check(ctx: Context) -> Iterator[Draft]:
    for digest, places in sorted(_places(ctx).items()):
        # production counts where it runs with the key; one that only falls back to it is KL102's
        production = sorted((p for p in places if p.environment == PRODUCTION and not p.fallback), key=_order)
        others = sorted((p for p in places if p.environment != PRODUCTION), key=lambda p: (p.environment, _order(p)))
        others = [p for i, p in enumerate(others) if not any((q.settings, q.path, q.span) == (p.settings, p.path, p.span) for q in others[:i])]
        if not production or not others:
            continue
        main = production[0]
        listed = [_other(p) for p in others[:3]] + ([f"{len(others) - 3} more"] if len(others) > 3 else [])
        message = (
            _held(main, digest)
            + (f", which production settings {main.settings} inherit," if main.inherited else "")
            + f" is production's key and also the key of {_join(sorted({p.environment for p in others}))}: {_join(listed)}."
            " Every developer checkout and test run holds production's key; give each environment its own key"
            " and load production's from a secret manager."
        )
        related: list[tuple[str, Span, str]] = []
        for p in [*production, *others]:
            if p.inherited:
                item = (p.settings, _FILE_START, f"{p.environment} settings inherit the key from {where(p.path, p.span)}")
                if item not in related:
                    related.append(item)
            elif (p.path, p.span) != (main.path, main.span) and not any(r[:2] == (p.path, p.span) for r in related):
                related.append((p.path, p.span, f"the same key in {p.environment} settings"))
        yield Draft(
            code=CODE,
            path=main.path,
            span=main.span,
            message=message,
            token=f"env-shared:{digest}",
            secret_columns=(main.span.column, main.span.end_column) if main.span.line == main.span.end_line else None,
            related=tuple(related[:_MAX_RELATED]),
            key=digest,
        )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
