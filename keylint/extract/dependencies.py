"""Declared requirements of the libraries whose behaviour depends on their version.

PyJWT 2 ignores `verify=False` (the keyword was dropped in 2.0), so whether that call skips the
signature depends on the PyJWT the project declares. Requirements files, pyproject.toml, setup.py,
setup.cfg and Pipfile are read as text, line by line: no file is executed and no index is asked.
"""

from __future__ import annotations

import re

from keylint.extract.facts import Dependency

# Distributions whose declared version a rule reads (rules/tokens.toml `verify_removed_in_distribution`).
WATCHED = ("pyjwt",)
_FILES = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)|[^/]*requirements\.txt|pyproject\.toml|setup\.py|setup\.cfg|Pipfile)$", re.IGNORECASE)
# `pyjwt==1.5.2`, "PyJWT>=2.1,<3", `pyjwt = "^2.8"`, `pyjwt[crypto] ~= 2.0`; the spec runs to the end of the quoted string or line
_REQUIREMENT = re.compile(
    r"""(?:^|["'\s,\[])(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:=\s*["'])?(?P<spec>(?:[<>=!~^]=?|===)?\s*[0-9][^"'#;\s]*(?:\s*,\s*[<>=!~]=?\s*[0-9][^"'#;,\s]*)*|\*)?""",
)


def is_dependency_file(path: str) -> bool:
    return bool(_FILES.search(path))


def scan_dependencies(text: str) -> list[Dependency]:
    out: list[Dependency] = []
    for number, line in enumerate(text.splitlines(), start=1):
        lowered = line.lower()
        if not any(w in lowered for w in WATCHED):
            continue
        code = line.split("#", 1)[0]
        for m in _REQUIREMENT.finditer(code):
            name = m.group("name").lower().replace("_", "-")
            if name in WATCHED:
                spec = (m.group("spec") or "").strip()
                out.append(Dependency(name, "" if spec == "*" else spec, number))
    return out
