"""KL102 signing-key-env-fallback: a literal default for a key read from the environment."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.sinks import describe
from keylint.extract.facts import Alt, Concat, Env, Expr, Secret
from keylint.link.keys import Origin
from keylint.model import Span

CODE = "KL102"


def _envs(expr: Expr) -> Iterator[Env]:
    if isinstance(expr, Env):
        yield expr
    elif isinstance(expr, (Alt, Concat)):
        for part in expr.options if isinstance(expr, Alt) else expr.parts:
            yield from _envs(part)


def check(ctx: Context) -> Iterator[Draft]:
    project, names = ctx.project, ctx.catalog.key_names
    keys = ctx.keys
    found: dict[tuple[str, Span, str], tuple[Origin, Secret, str]] = {}
    for flow in keys.flows:
        path, sink, origins = flow.path, flow.sink, flow.origins
        for o in origins:
            if o.kind == "env-default" and o.secret is not None and not o.secret.empty:
                found.setdefault((*o.reported_at(), o.secret.digest), (o, o.secret, f"; the value is used as {describe(path, sink)}"))
    # Keys recognised by name alone: the variable or the name it is bound to says it is a key.
    for path, py in project.python.items():
        for b in py.bindings:
            for env in _envs(b.value):
                if not (names.matches(b.name) or (env.var is not None and names.matches(env.var))):
                    continue
                for o in keys.origins(path, Env(env.var, env.default, env.span, env.via)):
                    if o.kind == "env-default" and o.secret is not None and not o.secret.empty and o.secret.shape == "text":
                        found.setdefault((*o.reported_at(), o.secret.digest), (o, o.secret, ""))
    for (path, span, _), (origin, secret, use) in sorted(found.items(), key=lambda item: item[0]):
        var = f"environment variable {origin.env_var}" if origin.env_var else "the environment"
        at_literal = (path, span) == (origin.path, secret.span)
        written = "" if at_literal else f" written at {origin.path}:{secret.span.line}"
        yield Draft(
            code=CODE,
            path=path,
            span=span,
            message=(
                f"Signing key falls back to the hard-coded default {secret.hint}{written} when {var} is unset "
                f"(read with {origin.env_via}){use}. Production runs with this key if the variable is ever missing; "
                "fail at start-up instead."
            ),
            token=f"env-default:{origin.env_var}:{secret.digest}",
            secret_columns=(secret.span.column, secret.span.end_column) if at_literal and secret.span.line == secret.span.end_line else None,
            key=secret.digest,
            related=() if at_literal else ((origin.path, secret.span, "the hard-coded default"),),
        )
