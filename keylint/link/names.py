"""Names across modules: the scope chain, which project module a dotted name starts in, and following
a name through imports, re-exports (`from .base import signing_key` in a package `__init__`) and
star imports.

Every linker finds names through `Names.follow`, with one depth limit, so a name that one family
reaches (a key helper for KL101) is reached by every other (the same helper for KL401, a route's
handler, a model's base class).
"""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

from keylint.extract.facts import PythonFacts

T = TypeVar("T")

# How many modules, imports and bindings one walk may pass through: bounds import cycles and
# pathological chains alike, for value resolution, key identity, routes and models.
MAX_DEPTH = 24

ModuleSplit = tuple[tuple[str, tuple[str, ...]], ...]  # (project file, rest of the name) pairs


def scope_chain(scope: str) -> Iterator[str]:
    """`C.m`, `C`, then the module ("")."""
    while scope:
        yield scope
        scope = scope.rpartition(".")[0]
    yield ""


class Names:
    """The project's modules by dotted name, and name following over them."""

    def __init__(self, python: dict[str, PythonFacts], modules: dict[str, list[str]]) -> None:
        self.python = python
        self.modules = modules  # dotted name or suffix -> paths
        self._splits: dict[str, ModuleSplit] = {}  # memo of split_module

    def module_paths(self, dotted: str) -> list[str]:
        """Project files for a dotted module name: exact match first, else by suffix (src layouts)."""
        hits = self.modules.get(dotted, [])
        exact = [p for p in hits if self.python[p].module == dotted]
        return exact or hits[:4]

    def split_module(self, qualname: str) -> ModuleSplit:
        """(project file, rest of the name) for the longest leading part of `qualname` that names
        project modules. Asked ~100,000 times on a large project, for far fewer names: memoized."""
        split = self._splits.get(qualname)
        if split is None:
            split = self._splits[qualname] = self._split(qualname)
        return split

    def _split(self, qualname: str) -> ModuleSplit:
        parts = qualname.split(".")
        for i in range(len(parts), 0, -1):
            paths = self.module_paths(".".join(parts[:i]))
            if paths:
                return tuple((path, tuple(parts[i:])) for path in paths)
        return ()

    def follow(
        self,
        path: str,
        name: str,
        here: Callable[[str, str], T | None],
        *,
        qualified: bool = True,
        outside: Callable[[str], T | None] | None = None,
    ) -> T | None:
        """Find `name` as read at the top of module `path`: what `here(path, name)` says where a
        module defines it, else through imports, re-exports and star imports, across modules.

        `qualified`: the name is already import-resolved (extraction wrote `app.views.login`, not
        `views.login`), so this module's own imports are not applied to it again; names found inside
        another module on the way always are. `outside(qualname)` says what a dotted name that
        leaves the project is (a star import is only taken where it leads to a definition)."""
        return self._follow(path, name, here, outside, 0, qualified)

    def follow_qualified(self, qualname: str, here: Callable[[str, str], T | None], outside: Callable[[str], T | None] | None = None) -> T | None:
        """Find a fully qualified name (`app.settings.KEY`): in the project module it starts with."""
        return self._split_follow(qualname, here, outside, 0)

    def _follow(self, path: str, name: str, here: Callable[[str, str], T | None], outside: Callable[[str], T | None] | None, depth: int, qualified: bool) -> T | None:
        if depth > MAX_DEPTH or path not in self.python:
            return None
        found = here(path, name)
        if found is not None:
            return found
        py = self.python[path]
        cut = len(name)
        for separator in ".[":  # the local name a member (`a.b`) or item (`a[k]`) is read from
            i = name.find(separator)
            if 0 <= i < cut:
                cut = i
        head = name[:cut]
        if (depth > 0 or not qualified) and head in py.imports:
            rewritten = py.imports[head] + name[cut:]
            if rewritten != name:
                return self._follow(path, rewritten, here, outside, depth + 1, True)
        if "." not in name:
            for source in py.star_imports:  # `from .base import *`
                found = self._follow(path, f"{source}.{name}", here, None, depth + 1, True)
                if found is not None:
                    return found
            return None
        return self._split_follow(name, here, outside, depth)

    def _split_follow(self, qualname: str, here: Callable[[str, str], T | None], outside: Callable[[str], T | None] | None, depth: int) -> T | None:
        split = self.split_module(qualname)
        if not split:
            return outside(qualname) if outside is not None else None
        for target, parts in split:
            if parts:
                return self._follow(target, ".".join(parts), here, outside, depth + 1, True)
        return None

    # ---- what a name is, where a module defines it ----
    def function_here(self, path: str, name: str) -> tuple[str, str] | None:
        return (path, name) if name in self.python[path].functions else None

    def class_here(self, path: str, name: str) -> tuple[str, str] | None:
        return (path, name) if name in self.python[path].classes else None

    def function(self, path: str, name: str, *, qualified: bool = True) -> tuple[str, str] | None:
        """The (file, qualname) of the project function that `name`, read in `path`, names."""
        return self.follow(path, name, self.function_here, qualified=qualified)

    def klass(self, qualname: str) -> tuple[str, str] | None:
        """The (file, qualname) of the project class a fully qualified name names."""
        return self.follow_qualified(qualname, self.class_here)
