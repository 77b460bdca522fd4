"""Key flows for KL1xx: every sink (a signer call's key, a key setting) with the origins of its value.

The origin policy of the value walk (`keylint.link.values`) answers "is this key a literal?": a
literal, the literal default of an environment read, or a key made by a weak generator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable

from keylint.extract.facts import Env, Expr, Lit, Secret, Sink, Weak
from keylint.link.project import Project
from keylint.link.values import ValueWalk
from keylint.model import Span


@dataclass(frozen=True, slots=True)
class Origin:
    """One place a key value can come from."""

    kind: str  # "literal" | "env-default" | "weak"
    path: str
    secret: Secret | None = None  # literal, or the literal default of an env read
    weak: Weak | None = None
    env_var: str | None = None
    env_via: str | None = None
    env_at: tuple[str, Span] | None = None  # the environment read whose default is this named constant
    constant: bool = False  # a literal reached through a constant's name (`DEFAULT_KEY = "..."`)

    def reported_at(self) -> tuple[str, Span]:
        """Where KL101/KL102 report it: the environment read, when its default is a constant written
        on another line (the read is the line to change); else the literal itself."""
        assert self.secret is not None
        if self.env_at is not None and (self.env_at[0], self.env_at[1].line) != (self.path, self.secret.span.line):
            return self.env_at
        return self.path, self.secret.span


@dataclass(frozen=True, slots=True)
class KeyFlow:
    path: str  # where the sink is
    sink: Sink
    origins: list[Origin]


class _Origins:
    """Leaf policy: the literal values a key can take. A concatenation is a literal only when every
    part is; parameters take the arguments of the call being followed."""

    empty: list[Origin] = []
    binds_arguments = True
    names_members = False

    def join(self, parts: Iterable[list[Origin]]) -> list[Origin]:
        return [o for part in parts for o in part]

    def literal(self, path: str, lit: Lit) -> list[Origin]:
        return [Origin("literal", path, secret=lit.secret)]

    def weak(self, path: str, weak: Weak) -> list[Origin]:
        return [Origin("weak", path, weak=weak)]

    def env(self, path: str, env: Env, default: Callable[[], list[Origin]]) -> list[Origin]:
        if env.default is None:
            return []
        return [
            Origin("env-default", o.path, o.secret, env_var=env.var, env_via=env.via, env_at=(path, env.span) if o.constant else None)
            if o.kind == "literal"
            else o
            for o in default()
        ]

    def concat(self, parts: list[list[Origin]]) -> list[Origin]:
        if all(parts) and all(o.kind == "literal" for part in parts for o in part):
            return [o for part in parts for o in part]
        return []

    def setting(self, name: str, found: list[Origin]) -> list[Origin]:
        return found

    def binding(self, path: str, scope: str, name: str, found: list[Origin], bound: bool) -> list[Origin]:
        if scope == "" or name.isupper():  # a constant, not a parameter's default or a local
            return [replace(o, constant=True) if o.kind == "literal" and not o.constant else o for o in found]
        return found

    def member(self, of: list[Origin], attr: str) -> list[Origin]:
        return []


ORIGINS = _Origins()


class KeyFlows:
    """The origins of every key in a project; computed once, shared by the KL1xx checks."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._walk = ValueWalk(project, ORIGINS)
        self.flows: list[KeyFlow] = [KeyFlow(path, sink, self.origins(path, sink.key)) for path, sink in project.sinks()]

    def origins(self, path: str, expr: Expr | None) -> list[Origin]:
        """Where the value of `expr`, read in `path`, can come from."""
        return self._walk.walk(path, expr)
