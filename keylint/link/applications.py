"""Which application a file belongs to: purposes are counted per application, not per repository.

A repository holds the application, and programs that are not part of it: its tests, each example
program (`examples/<name>`), each documentation page, and each standalone script (a module that runs
as a program and that no module of the project imports: a CLI, an exploit or forgery script). Their
tokens do not make "the application mints tokens for N purposes", and a key they share only among
themselves is not the application's key.
"""

from __future__ import annotations

from typing import Callable

from keylint.link.project import Project

APPLICATION = ""  # the project's own application
TESTS = "tests"
_EXAMPLE_FOLDERS = ("examples", "example")
_DOC_FOLDERS = ("docs", "doc")


class Applications:
    def __init__(self, project: Project, is_test: Callable[[str], bool], scripts: set[str]) -> None:
        """`is_test`: the configured test paths (tests, fixtures, examples, docs); `scripts`: the
        modules that run as programs (`if __name__ == "__main__":`)."""
        self.is_test = is_test
        imported: set[str] = set()
        for py in project.python.values():
            for qualname in (*py.imports.values(), *py.star_imports):
                parts = qualname.split(".")
                imported.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        self.scripts = {p for p in scripts if p in project.python and not _imported(project.python[p].module, imported)}
        self._memo: dict[str, str] = {}

    def of(self, path: str) -> str:
        """"" for the application; "tests"; "example:<folder or file>"; "docs:<file>"; "script:<file>"."""
        found = self._memo.get(path)
        if found is None:
            found = self._memo[path] = self._of(path)
        return found

    def _of(self, path: str) -> str:
        parts = path.split("/")
        if self.is_test(path):
            for i, part in enumerate(parts[:-1]):
                if part in _EXAMPLE_FOLDERS:
                    return "example:" + "/".join(parts[: i + 2])
                if part in _DOC_FOLDERS:
                    return f"docs:{path}"
            return TESTS
        if path in self.scripts:
            return f"script:{path}"
        return APPLICATION

    def own(self, path: str) -> bool:
        """Part of the application itself (not a test, example, doc page or standalone script)."""
        return self.of(path) == APPLICATION

    def judged_by(self, path: str) -> str:
        """The application whose purposes a site is measured against: tests exercise the application;
        every other program stands alone."""
        app = self.of(path)
        return APPLICATION if app == TESTS else app


def _imported(module: str, imported: set[str]) -> bool:
    """Whether another module imports `module` (by its dotted name or a suffix of it: src layouts)."""
    parts = module.split(".")
    return any(".".join(parts[i:]) in imported for i in range(len(parts)))
