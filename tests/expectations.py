"""Read the findings a fixture project promises: `# expect:` annotations and EXPECTED.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

_CODE = r"KL\d{3}(?:\s+(?:critical|high|medium|low))?"  # `KL301 low`: the severity it must have, when stated
ANNOTATION = re.compile(rf"(?:#|//|;)\s*(?P<kind>expect|ok|todo-expect):\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)")
_STATED = re.compile(r"(KL\d{3})(?:\s+(critical|high|medium|low))?")
_COMMENT = re.compile(r"^\s*(#|//|;)")

Expected = set[tuple[str, int, str]]


def expected_findings(root: Path, files: list[str]) -> Expected:
    """(path, line, code) for every `# expect:` annotation (it names the next non-comment line)."""
    out = annotated(root, files, "expect")
    table = root / "EXPECTED.toml"
    if table.exists():
        for item in tomllib.loads(table.read_text(encoding="utf-8")).get("expect", []):
            for code in item["codes"]:
                out.add((item["path"], item["line"], code))
    return out


def annotated(root: Path, files: list[str], kind: str) -> Expected:
    """(path, line, code) for every annotation of `kind` (`expect`, `ok`, `todo-expect`)."""
    return set(_annotations(root, files, kind))


def expected_severities(root: Path, files: list[str]) -> dict[tuple[str, int, str], str]:
    """The severity an `# expect: KL301 low` annotation (or an EXPECTED.toml `severity`) states."""
    out = {k: v for k, v in _annotations(root, files, "expect").items() if v is not None}
    table = root / "EXPECTED.toml"
    if table.exists():
        for item in tomllib.loads(table.read_text(encoding="utf-8")).get("expect", []):
            if "severity" in item:
                for code in item["codes"]:
                    out[(item["path"], item["line"], code)] = item["severity"]
    return out


def _annotations(root: Path, files: list[str], kind: str) -> dict[tuple[str, int, str], str | None]:
    out: dict[tuple[str, int, str], str | None] = {}
    for rel in files:
        try:
            lines = (root / rel).read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for i, line in enumerate(lines):
            m = ANNOTATION.search(line)
            if m is None or m.group("kind") != kind:
                continue
            target = next((j for j in range(i + 1, len(lines)) if not _COMMENT.match(lines[j])), None)
            assert target is not None, f"{rel}:{i + 1}: annotation with no line after it"
            for code, level in _STATED.findall(m.group("codes")):
                out[(rel, target + 1, code)] = level or None
    return out


ExpectedPath = tuple[str, str, tuple[str, ...]]  # ("app/api.py:14", severity, ("app/config.py:4", ...))


def expected_paths(root: Path) -> set[ExpectedPath]:
    """The master-key paths (KL001) EXPECTED.toml promises as `[[path]]` tables: where the path is
    reported, its severity and its steps in order, each `file:line`."""
    table = root / "EXPECTED.toml"
    if not table.exists():
        return set()
    items = tomllib.loads(table.read_text(encoding="utf-8")).get("path", [])
    return {(item["at"], item["severity"], tuple(item["steps"])) for item in items}
