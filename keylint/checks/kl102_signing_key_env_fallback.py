"""KL102 signing-key-env-fallback: a literal default for a key read from the environment."""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.checks.sinks import describe
from keylint.extract.facts import Alt, Concat, Env, Expr, Secret
from keylint.link.keys import Origin

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
    found: dict[tuple[str, Secret], tuple[Origin, str]] = {}
    for flow in keys.flows:
        path, sink, origins = flow.path, flow.sink, flow.origins
        for o in origins:
            if o.kind == "env-default" and o.secret is not None and not o.secret.empty:
                found.setdefault((o.path, o.secret), (o, f"; the value is used as {describe(path, sink)}"))
    # Keys recognised by name alone: the variable or the name it is bound to says it is a key.
    for path, py in project.python.items():
        for b in py.bindings:
            for env in _envs(b.value):
                if not (names.matches(b.name) or (env.var is not None and names.matches(env.var))):
                    continue
                for o in keys.origins(path, Env(env.var, env.default, env.span, env.via)):
                    if o.kind == "env-default" and o.secret is not None and not o.secret.empty and o.secret.shape == "text":
                        found.setdefault((o.path, o.secret), (o, ""))
    for (path, secret), (origin, use) in sorted(found.items(), key=lambda item: (item[0][0], item[0][1].span)):
        var = f"environment variable {origin.env_var}" if origin.env_var else "the environment"
        yield Draft(
            code=CODE,
            path=path,
            span=secret.span,
            message=(
                f"Signing key falls back to the hard-coded default {secret.hint} when {var} is unset "
                f"(read with {origin.env_via}){use}. Production runs with this key if the variable is ever missing; "
                "fail at start-up instead."
            ),
            token=f"env-default:{origin.env_var}:{secret.digest}",
            secret_columns=(secret.span.column, secret.span.end_column) if secret.span.line == secret.span.end_line else None,
            key=secret.digest,
        )
