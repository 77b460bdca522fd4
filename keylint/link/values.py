"""One walk over the value language of the facts (`Lit, Ref, ClassAttr, Attr, Item, Module, Setting,
Env, Weak, Concat, Alt, Returned`), with pluggable leaves.

`ValueWalk(project, policy)` follows an expression through bindings, scopes, classes, instances of
project classes, module members (found by `Names.follow`: imports, re-exports, star imports), framework
settings and the return values of project functions, with a depth bound and a visited set so that
cycles end. Where the walk reaches a leaf, or finishes a binding, the policy says what that means:

- `keylint.link.keys.ORIGINS`: where a key value can come from (`Origin`s: a literal, the literal
  default of an environment read, a weak generator), for KL1xx;
- `keylint.link.tokens.KeyIdentity`: which key it is (`KeyAtom`s: the same literal, environment
  variable, setting name or opaque constant), for KL4xx.

Both dispatch on the same expression kinds through the same helpers, so what one family reaches the
other does too. This walk is a hot path (every sink of a project, every signing site).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, Iterable, Protocol, TypeVar

from keylint.extract.facts import Alt, Attr, ClassAttr, Concat, Env, Expr, Item, Lit, Module, Ref, Returned, Setting, Weak
from keylint.link.names import MAX_DEPTH, scope_chain
from keylint.link.project import Project

T = TypeVar("T")
Seen = frozenset[object]

_DJANGO_SETTINGS = "django.conf.settings."


class LeafPolicy(Protocol[T]):
    """What a value walk yields at its leaves, and how it joins what it found."""

    @property
    def empty(self) -> T: ...

    @property
    def binds_arguments(self) -> bool:
        """Whether a function's parameters take the values its call passes (frames)."""
        ...

    @property
    def names_members(self) -> bool:
        """Whether `CONST.attr` of an opaque constant is worth naming (`member`)."""
        ...

    def join(self, parts: Iterable[T]) -> T: ...

    def literal(self, path: str, lit: Lit) -> T: ...

    def weak(self, path: str, weak: Weak) -> T: ...

    def env(self, path: str, env: Env, default: Callable[[], T]) -> T: ...

    def concat(self, parts: list[T]) -> T: ...

    def setting(self, name: str, found: T) -> T:
        """A framework setting read by name, with what its bindings hold."""
        ...

    def binding(self, path: str, scope: str, name: str, found: T, bound: bool) -> T:
        """`scope::name` of `path` (bound: it has bindings), with what they hold."""
        ...

    def member(self, of: T, attr: str) -> T:
        """Attribute `attr` of a value that was found as `of`."""
        ...


# ---- where a name is defined: what `Names.follow` finds for a value walk ----


class _Site:
    """Where a name is defined, for a value walk."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class _Binding(_Site):
    path: str
    scope: str
    name: str


@dataclass(frozen=True, slots=True)
class _Member(_Site):
    """`CONST.attr` where CONST is a module binding of `path`."""

    path: str
    name: str
    attr: str


@dataclass(frozen=True, slots=True)
class _Setting(_Site):
    name: str


class ValueWalk(Generic[T]):
    def __init__(self, project: Project, policy: LeafPolicy[T]) -> None:
        self.project = project
        self.names = project.names
        self.policy = policy
        # Call frames of the functions being walked: (path, function, parameter) -> (caller path, argument)
        self._frames: list[dict[tuple[str, str, str], tuple[str, Expr]]] = []

    def walk(self, path: str, expr: Expr | None, depth: int = 0, seen: Seen = frozenset()) -> T:
        policy = self.policy
        if expr is None or depth > MAX_DEPTH:
            return policy.empty
        d = depth + 1
        if isinstance(expr, Lit):
            return policy.literal(path, expr)
        if isinstance(expr, Weak):
            return policy.weak(path, expr)
        if isinstance(expr, Env):
            default = expr.default
            return policy.env(path, expr, lambda: self.walk(path, default, d, seen) if default is not None else policy.empty)
        if isinstance(expr, Ref):
            return self._ref(path, expr.name, expr.scope, d, seen, expr.line)
        if isinstance(expr, ClassAttr):
            return self._values(path, expr.cls, expr.attr, d, seen)
        if isinstance(expr, Attr):
            found = self._attr(path, expr, d, seen)
            if not found and policy.names_members:
                return policy.member(self.walk(path, expr.base, d, seen), expr.attr)
            return found
        if isinstance(expr, Item):
            if isinstance(expr.base, Ref):
                return self._ref(path, f"{expr.base.name}[{expr.key}]", expr.base.scope, d, seen, expr.base.line)
            if isinstance(expr.base, Module):
                return self._qualified(f"{expr.base.qualname}[{expr.key}]", d, seen)
            return policy.empty
        if isinstance(expr, Module):
            return self._qualified(expr.qualname, d, seen)
        if isinstance(expr, Setting):
            return self._setting(expr.name, d, seen)
        if isinstance(expr, Concat):
            return policy.concat([self.walk(path, p, d, seen) for p in expr.parts])
        if isinstance(expr, Alt):
            return policy.join([self.walk(path, option, d, seen) for option in expr.options])
        if isinstance(expr, Returned):
            return self._returned(path, expr, d, seen)
        return policy.empty

    # ---- names ----
    def _values(self, path: str, scope: str, name: str, depth: int, seen: Seen, before: int = 0) -> T:
        """What `scope::name` holds; with `before` (a line of the same scope), only what the bindings
        written above that line hold, if there are any (else a loop may carry a later one back)."""
        key = (path, scope, name)
        if key in seen:
            return self.policy.empty
        seen = seen | {key}
        for frame in reversed(self._frames):
            if key in frame:  # a parameter of a function we entered from a call: the argument wins
                caller_path, argument = frame[key]
                return self.walk(caller_path, argument, depth, seen)
        bindings = self.project.bindings.get(key, ())
        if before:
            bindings = [b for b in bindings if b.line < before] or bindings
        found = self.policy.join([self.walk(path, b.value, depth, seen) for b in bindings])
        return self.policy.binding(path, scope, name, found, bool(bindings))

    def _ref(self, path: str, name: str, scope: str, depth: int, seen: Seen, line: int = 0) -> T:
        bindings = self.project.bindings
        for s in scope_chain(scope):
            if (path, s, name) in bindings or (self._frames and any((path, s, name) in f for f in self._frames)):
                # source order holds within one scope; a function reads a module name when it runs
                return self._values(path, s, name, depth, seen, line if s == scope else 0)
        site: _Site | None = self.names.follow(path, name, self._site, qualified=False, outside=_setting_site)
        return self._at(site, depth, seen)

    def _qualified(self, qualname: str, depth: int, seen: Seen) -> T:
        """A fully qualified name (`app.settings.KEY`, `django.conf.settings.X`)."""
        site: _Site | None = self.names.follow_qualified(qualname, self._site, outside=_setting_site)
        return self._at(site, depth, seen)

    def _site(self, path: str, name: str) -> _Site | None:
        """What `name` is, read at the top of module `path`, if the module defines it."""
        if (path, "", name) in self.project.bindings:
            return _Binding(path, "", name)
        head, dot, attr = name.rpartition(".")
        if not dot:
            return None
        py = self.project.python[path]
        if head in py.classes:
            return _Binding(path, head, attr)
        instance = self.instance_class(path, head, "")
        if instance is not None:
            return _Binding(instance[0], instance[1], attr)
        if self.policy.names_members and "." not in head and head not in py.imports and (path, "", head) in self.project.bindings:
            return _Member(path, head, attr)
        return None

    def _at(self, site: _Site | None, depth: int, seen: Seen) -> T:
        if isinstance(site, _Binding):
            return self._values(site.path, site.scope, site.name, depth, seen)
        if isinstance(site, _Member):
            return self.policy.member(self._values(site.path, "", site.name, depth, seen), site.attr)
        if isinstance(site, _Setting):
            return self._setting(site.name, depth, seen)
        return self.policy.empty

    def attr_target(self, path: str, expr: Attr) -> tuple[str, str, str] | str | None:
        """Where `base.attr` points: a (path, class, attribute) binding for a class of this module
        (`Config.SECRET_KEY`) or an instance of a project class (`settings.KEY`), else the qualified
        name to look up as a module member (`keys.PARTNER_JWK`), else None."""
        base = expr.base
        py = self.project.python.get(path)
        if isinstance(base, Ref) and py is not None:
            for s in scope_chain(base.scope):
                cls = f"{s}.{base.name}".strip(".")
                if cls in py.classes:
                    return path, cls, expr.attr
            instance = self.instance_class(path, base.name, base.scope)
            if instance is not None:
                return instance[0], instance[1], expr.attr
            if base.name in py.imports:
                return f"{py.imports[base.name]}.{expr.attr}"
        if isinstance(base, Module):
            return f"{base.qualname}.{expr.attr}"
        return None

    def _attr(self, path: str, expr: Attr, depth: int, seen: Seen) -> T:
        target = self.attr_target(path, expr)
        if isinstance(target, tuple):
            return self._values(*target, depth, seen)
        return self._qualified(target, depth, seen) if target is not None else self.policy.empty

    def instance_class(self, path: str, name: str, scope: str) -> tuple[str, str] | None:
        """`settings = Settings()`: the (path, class) whose instance `name` is, if a project class."""
        py = self.project.python[path]
        for s in scope_chain(scope):
            for b in self.project.bindings.get((path, s, name), ()):
                if isinstance(b.value, Returned) and isinstance(b.value.func, Ref):
                    if b.value.func.name in py.classes:
                        return path, b.value.func.name
                    imported = py.imports.get(b.value.func.name)
                    if imported:
                        found = self.names.klass(imported)
                        if found is not None:
                            return found
        return None

    def _setting(self, name: str, depth: int, seen: Seen) -> T:
        key = ("<setting>", name)
        if key in seen:
            return self.policy.empty
        seen = seen | {key}
        found = self.policy.join([self.walk(path, b.value, depth, seen) for path, b in self.project.by_name.get(name, ())])
        return self.policy.setting(name, found)

    # ---- function returns ----
    def _returned(self, path: str, call: Returned, depth: int, seen: Seen) -> T:
        """What a project function returns; with `binds_arguments`, its parameters bound to the call's
        arguments (`get_key("user")` and `get_key("admin")` are different keys unless it returns one
        constant)."""
        py = self.project.python.get(path)
        if py is None:
            return self.policy.empty
        func = call.func
        target: tuple[str, str] | None = None
        if isinstance(func, Ref):
            for s in scope_chain(func.scope):
                qual = f"{s}.{func.name}".strip(".")
                if qual in py.functions:
                    target = (path, qual)
                    break
            else:
                target = self.names.function(path, func.name, qualified=False)
        elif isinstance(func, Module):
            target = self.names.follow_qualified(func.qualname, self.names.function_here)
        if target is None:
            return self.policy.empty
        if not self.policy.binds_arguments:
            return self._values(target[0], target[1], "<return>", depth, seen)
        return self._call(path, target[0], target[1], call, depth, seen)

    def _call(self, caller: str, path: str, qual: str, call: Returned, depth: int, seen: Seen) -> T:
        """The return values of `qual` in `path`, its parameters bound to the call's arguments."""
        params = self.project.python[path].params.get(qual, ())
        if params and params[0] in ("self", "cls") and "." in qual:
            params = params[1:]
        frame: dict[tuple[str, str, str], tuple[str, Expr]] = {}
        for name, argument in zip(params, call.args):
            frame[(path, qual, name)] = (caller, argument)
        for name, argument in call.kwargs:
            frame[(path, qual, name)] = (caller, argument)
        self._frames.append(frame)
        try:
            return self._values(path, qual, "<return>", depth, seen)
        finally:
            self._frames.pop()


def _setting_site(name: str) -> _Site | None:
    """A name that leaves the project: Django's settings object is read by setting name."""
    return _Setting(name[len(_DJANGO_SETTINGS) :]) if name.startswith(_DJANGO_SETTINGS) else None
