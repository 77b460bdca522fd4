"""Link per-file facts into one project: module map, imports, and key-flow resolution.

`Project.resolve` answers "where can this value come from?" across modules, classes, settings and
function returns, with a depth bound and a visited set so that cyclic imports terminate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator

from keylint.extract.facts import (
    Alt,
    Attr,
    Binding,
    ClassAttr,
    Concat,
    Env,
    Expr,
    FileFacts,
    Item,
    Lit,
    Module,
    PythonFacts,
    Ref,
    Returned,
    Secret,
    Setting,
    Sink,
    Weak,
)

_MAX_DEPTH = 24


@dataclass(frozen=True, slots=True)
class Origin:
    """One place a key value can come from."""

    kind: str  # "literal" | "env-default" | "weak"
    path: str
    secret: Secret | None = None  # literal, or the literal default of an env read
    weak: Weak | None = None
    env_var: str | None = None
    env_via: str | None = None


def _scope_chain(scope: str) -> Iterator[str]:
    while scope:
        yield scope
        scope = scope.rpartition(".")[0]
    yield ""


class Project:
    def __init__(self, files: Iterable[FileFacts]) -> None:
        self.files: dict[str, FileFacts] = {f.path: f for f in sorted(files, key=lambda f: f.path)}
        self.python: dict[str, PythonFacts] = {p: f.python for p, f in self.files.items() if f.python is not None}
        self.bindings: dict[tuple[str, str, str], list[Binding]] = defaultdict(list)
        self.by_name: dict[str, list[tuple[str, Binding]]] = defaultdict(list)
        self.modules: dict[str, list[str]] = defaultdict(list)  # dotted name or suffix -> paths
        self._flows: list[tuple[str, Sink, list[Origin]]] | None = None
        self._splits: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}  # memo of _split_module
        # Call frames of the functions being resolved: (path, function, parameter) -> (caller path, argument)
        self._frames: list[dict[tuple[str, str, str], tuple[str, Expr]]] = []
        # what the family linkers build over this project, by family (models_link, routes_link,
        # tokens_link): kept here, not in a module-level table, so it is freed with the project
        self.linked: dict[str, object] = {}
        for path, py in self.python.items():
            for b in py.bindings:
                self.bindings[(path, b.scope, b.name)].append(b)
                if b.scope == "<config>" or b.scope == "" or b.scope in py.classes:
                    self.by_name[b.name].append((path, b))
            parts = py.module.split(".")
            for i in range(len(parts)):
                self.modules[".".join(parts[i:])].append(path)

    # ---- lookups ----
    def sinks(self) -> Iterator[tuple[str, Sink]]:
        for path, py in self.python.items():
            for sink in py.sinks:
                yield path, sink

    def key_flows(self) -> list[tuple[str, Sink, list[Origin]]]:
        """Every sink with the origins of its key; computed once, shared by the KL1xx checks."""
        if self._flows is None:
            self._flows = [(path, sink, self.resolve(path, sink.key)) for path, sink in self.sinks()]
        return self._flows

    def module_paths(self, dotted: str) -> list[str]:
        """Project files for a dotted module name: exact match first, else by suffix (src layouts)."""
        hits = self.modules.get(dotted, [])
        exact = [p for p in hits if self.python[p].module == dotted]
        return exact or hits[:4]

    def _split_module(self, qualname: str) -> Iterator[tuple[str, list[str]]]:
        """(project file, rest of the name) for the longest leading part of `qualname` that names
        project modules. Asked ~100,000 times on a large project, for far fewer names: memoized."""
        split = self._splits.get(qualname)
        if split is None:
            split = self._splits[qualname] = self._split(qualname)
        for path, rest in split:
            yield path, list(rest)

    def _split(self, qualname: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            paths = self.module_paths(".".join(parts[:i]))
            if paths:
                return tuple((path, tuple(parts[i:])) for path in paths)
        return ()

    # ---- resolution ----
    def resolve(self, path: str, expr: Expr | None, depth: int = 0, seen: frozenset[object] = frozenset()) -> list[Origin]:
        if expr is None or depth > _MAX_DEPTH:
            return []
        d = depth + 1
        if isinstance(expr, Lit):
            return [Origin("literal", path, secret=expr.secret)]
        if isinstance(expr, Weak):
            return [Origin("weak", path, weak=expr)]
        if isinstance(expr, Env):
            if expr.default is None:
                return []
            out = []
            for o in self.resolve(path, expr.default, d, seen):
                if o.kind == "literal":
                    out.append(Origin("env-default", o.path, secret=o.secret, env_var=expr.var, env_via=expr.via))
                else:
                    out.append(o)
            return out
        if isinstance(expr, Ref):
            return self._ref(path, expr.name, expr.scope, d, seen)
        if isinstance(expr, ClassAttr):
            return self._values(path, expr.cls, expr.attr, d, seen)
        if isinstance(expr, Attr):
            return self._attr(path, expr, d, seen)
        if isinstance(expr, Item):
            if isinstance(expr.base, Ref):
                return self._ref(path, f"{expr.base.name}[{expr.key}]", expr.base.scope, d, seen)
            if isinstance(expr.base, Module):
                return self._module(f"{expr.base.qualname}[{expr.key}]", d, seen)
            return []
        if isinstance(expr, Module):
            return self._module(expr.qualname, d, seen)
        if isinstance(expr, Setting):
            return self._setting(expr.name, d, seen)
        if isinstance(expr, Concat):
            parts = [self.resolve(path, p, d, seen) for p in expr.parts]
            if all(parts) and all(o.kind == "literal" for part in parts for o in part):
                return [o for part in parts for o in part]
            return []
        if isinstance(expr, Alt):
            return [o for option in expr.options for o in self.resolve(path, option, d, seen)]
        if isinstance(expr, Returned):
            return self._returned(path, expr, d, seen)
        return []

    def _values(self, path: str, scope: str, name: str, depth: int, seen: frozenset[object]) -> list[Origin]:
        key = (path, scope, name)
        if key in seen:
            return []
        seen = seen | {key}
        for frame in reversed(self._frames):
            if key in frame:  # a parameter of a function we entered from a call: the argument wins
                caller_path, argument = frame[key]
                return self.resolve(caller_path, argument, depth, seen)
        return [o for b in self.bindings.get(key, ()) for o in self.resolve(path, b.value, depth, seen)]

    def _ref(self, path: str, name: str, scope: str, depth: int, seen: frozenset[object]) -> list[Origin]:
        for s in _scope_chain(scope):
            if (path, s, name) in self.bindings or any((path, s, name) in f for f in self._frames):
                return self._values(path, s, name, depth, seen)
        py = self.python.get(path)
        if py is None:
            return []
        head, _, rest = name.partition("[")
        if head in py.imports:
            target = py.imports[head] + (f"[{rest}" if rest else "")
            return self._module(target, depth, seen)
        for source in py.star_imports:  # `from .base import *`
            found = self._module(f"{source}.{name}", depth, seen)
            if found:
                return found
        return []

    def attr_target(self, path: str, expr: Attr) -> tuple[str, str, str] | str | None:
        """Where `base.attr` points: a (path, class, attribute) binding for a class of this module
        (`Config.SECRET_KEY`) or an instance of a project class (`settings.KEY`), else the qualified
        name to look up as a module member (`keys.PARTNER_JWK`), else None."""
        base = expr.base
        py = self.python.get(path)
        if isinstance(base, Ref) and py is not None:
            for s in _scope_chain(base.scope):
                cls = f"{s}.{base.name}".strip(".")
                if cls in py.classes:
                    return path, cls, expr.attr
            instance = self._instance_class(path, base.name, base.scope)
            if instance is not None:
                return instance[0], instance[1], expr.attr
            if base.name in py.imports:
                return f"{py.imports[base.name]}.{expr.attr}"
        if isinstance(base, Module):
            return f"{base.qualname}.{expr.attr}"
        return None

    def _attr(self, path: str, expr: Attr, depth: int, seen: frozenset[object]) -> list[Origin]:
        target = self.attr_target(path, expr)
        if isinstance(target, tuple):
            return self._values(*target, depth, seen)
        return self._module(target, depth, seen) if target is not None else []

    def _instance_class(self, path: str, name: str, scope: str) -> tuple[str, str] | None:
        """`settings = Settings()`: the (path, class) whose instance `name` is, if a project class."""
        py = self.python[path]
        for s in _scope_chain(scope):
            for b in self.bindings.get((path, s, name), ()):
                if isinstance(b.value, Returned) and isinstance(b.value.func, Ref):
                    if b.value.func.name in py.classes:
                        return path, b.value.func.name
                    imported = py.imports.get(b.value.func.name)
                    if imported:
                        for target, rest in self._split_module(imported):
                            if len(rest) == 1 and rest[0] in self.python[target].classes:
                                return target, rest[0]
        return None

    def _module(self, qualname: str, depth: int, seen: frozenset[object]) -> list[Origin]:
        key = ("<module>", qualname)
        if key in seen or depth > _MAX_DEPTH:
            return []  # import cycles (a imports b imports a) end here
        seen, depth = seen | {key}, depth + 1
        if qualname.startswith("django.conf.settings."):
            return self._setting(qualname[len("django.conf.settings.") :], depth, seen)
        for path, rest in self._split_module(qualname):
            py = self.python[path]
            if not rest:
                return []
            if len(rest) == 1:
                return self._ref(path, rest[0], "", depth, seen)
            head, attr = ".".join(rest[:-1]), rest[-1]
            if head in py.classes:
                return self._values(path, head, attr, depth, seen)
            cls = self._instance_class(path, head, "")
            if cls is not None:
                return self._values(cls[0], cls[1], attr, depth, seen)
            if head in py.imports:
                return self._module(f"{py.imports[head]}.{attr}", depth, seen)
        return []

    def _setting(self, name: str, depth: int, seen: frozenset[object]) -> list[Origin]:
        key = ("<setting>", name)
        if key in seen:
            return []
        seen = seen | {key}
        return [o for path, b in self.by_name.get(name, ()) for o in self.resolve(path, b.value, depth, seen)]

    def _returned(self, path: str, call: Returned, depth: int, seen: frozenset[object]) -> list[Origin]:
        py = self.python.get(path)
        if py is None:
            return []
        func = call.func
        if isinstance(func, Ref):
            for s in _scope_chain(func.scope):
                qual = f"{s}.{func.name}".strip(".")
                if qual in py.functions:
                    return self._call(path, path, qual, call, depth, seen)
            if func.name in py.imports:
                return self._returned_module(path, py.imports[func.name], call, depth, seen)
        if isinstance(func, Module):
            return self._returned_module(path, func.qualname, call, depth, seen)
        return []

    def _returned_module(self, caller: str, qualname: str, call: Returned, depth: int, seen: frozenset[object]) -> list[Origin]:
        key = ("<returned>", qualname)
        if key in seen or depth > _MAX_DEPTH:
            return []
        seen = seen | {key}
        for path, rest in self._split_module(qualname):
            py, qual = self.python[path], ".".join(rest)
            if qual in py.functions:
                return self._call(caller, path, qual, call, depth, seen)
            if len(rest) == 1 and rest[0] in py.imports:  # re-exported: `from .base import signing_key`
                return self._returned_module(caller, py.imports[rest[0]], call, depth + 1, seen)
            for source in py.star_imports:
                found = self._returned_module(caller, f"{source}.{qual}", call, depth + 1, seen)
                if found:
                    return found
        return []

    def _call(self, caller: str, path: str, qual: str, call: Returned, depth: int, seen: frozenset[object]) -> list[Origin]:
        """The return values of `qual` in `path`, its parameters bound to the call's arguments."""
        params = self.python[path].params.get(qual, ())
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
