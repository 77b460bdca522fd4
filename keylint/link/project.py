"""The linked project's core: its files, its Python modules by dotted name, and the bindings index
every value walk reads (`scope::name = value`, by place and by bare name)."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator

from keylint.extract.facts import Binding, FileFacts, PythonFacts, Sink
from keylint.link.names import Names


class Project:
    def __init__(self, files: Iterable[FileFacts]) -> None:
        self.files: dict[str, FileFacts] = {f.path: f for f in sorted(files, key=lambda f: f.path)}
        self.python: dict[str, PythonFacts] = {p: f.python for p, f in self.files.items() if f.python is not None}
        self.bindings: dict[tuple[str, str, str], list[Binding]] = defaultdict(list)
        # settings and class attributes by bare name: `settings.X` may be bound in any of them
        self.by_name: dict[str, list[tuple[str, Binding]]] = defaultdict(list)
        modules: dict[str, list[str]] = defaultdict(list)  # dotted name or suffix -> paths
        for path, py in self.python.items():
            for b in py.bindings:
                self.bindings[(path, b.scope, b.name)].append(b)
                if b.scope == "<config>" or b.scope == "" or b.scope in py.classes:
                    self.by_name[b.name].append((path, b))
            parts = py.module.split(".")
            for i in range(len(parts)):
                modules[".".join(parts[i:])].append(path)
        self.names = Names(self.python, modules)

    def sinks(self) -> Iterator[tuple[str, Sink]]:
        for path, py in self.python.items():
            for sink in py.sinks:
                yield path, sink
