"""What the route linker hands the checks: linked routes, their handlers, who may call them, and what
a handler does (the tokens it mints, from what, on what proof)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from keylint.extract.routes.facts import ClassInfo, CredentialCheck, Mint, Origin, PathParam, Route
from keylint.model import Span

Node = tuple[str, str]  # (file, container name within it)
Where = tuple[str, Span, str]  # (file, span, what happens there)
Origins = frozenset[Origin]  # where a value comes from, once parameters and project calls are resolved


@dataclass(frozen=True, slots=True)
class Access:
    state: str  # "public" | "authenticated" | "role"
    evidence: str  # what protects it, or why it is public


@dataclass(frozen=True, slots=True)
class Handler:
    """An entry point of a route: a function, or one HTTP method / viewset action of a class-based view."""

    path: str  # file of the function
    function: str  # qualname within that file
    span: Span  # its `def`
    methods: tuple[str, ...]
    suffix: str = ""  # extra path for DRF @action / detail routes


@dataclass(frozen=True, slots=True)
class LinkedRoute:
    path: str  # file where the route is declared
    route: Route
    framework: str
    full_path: str
    path_params: tuple[PathParam, ...]
    methods: tuple[str, ...]
    handlers: tuple[Handler, ...]
    chain: tuple[Where, ...]  # registration and mounts, route first
    access: Access
    class_path: str | None = None  # class-based views: the file and class
    class_name: str | None = None

    @property
    def label(self) -> str:
        """How every rule names a route: `GET|POST /api/users/{id}` (`ANY` when no method is known)."""
        return f"{'|'.join(self.methods) if self.methods else 'ANY'} {self.full_path}"


@dataclass(frozen=True, slots=True)
class MintFlow:
    path: str
    mint: Mint
    subject: Origins
    subject_text: str  # the subject as written where it enters the call chain (`body.user_id`)
    via: tuple[Where, ...]  # call sites from the entry point to the mint
    subjectless: bool = False  # the payload names no account (`{"role": "service"}`): `subject` is where its values come from


@dataclass(slots=True)
class HandlerAnalysis:
    """What a handler does, its calls into project functions followed."""

    mints: list[MintFlow] = field(default_factory=list)
    checks: list[tuple[str, CredentialCheck]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    ownership: bool = False
    functions: list[str] = field(default_factory=list)  # names of the functions visited (for messages)


def join_path(*pieces: str | None) -> str:
    out = ""
    for piece in pieces:
        if not piece:
            continue
        p = piece.lstrip("^").rstrip("$")
        if not p:
            continue
        out = out.rstrip("/") + "/" + p.lstrip("/")
    return out if out.startswith("/") else "/" + out


# What protects a route, decided from where it is declared and registered: (file, route, framework,
# its full path, its handlers, the class-based view, dependencies, the containers it is mounted through)
AccessJudge = Callable[[str, Route, str, str, "list[Handler]", "tuple[str, ClassInfo] | None", "list[str]", "list[Node]"], Access]
