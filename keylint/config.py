"""Configuration: `[tool.keylint]` in the nearest pyproject.toml, or keylint.toml; flags override.

Validated once into a frozen `Config`. Unknown keys and wrong types are errors (exit 2): a typo
that silently turns a check off is a security bug.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
SEVERITY_NAMES = ("low", "medium", "high", "critical")  # keylint.model.Severity, in rank order
# Test code and its data, examples, docs and CI configuration: scanned like everything else,
# reported at low severity. `unittests/`, `testdata/`, `spec/` ... are the same folders under the
# names other projects and ecosystems give them (Go's testdata, RSpec's spec, end-to-end suites);
# `.devcontainer/` configures a developer's container as `.github/` configures CI.
DEFAULT_TEST_PATHS = (
    "tests/", "test/", "testing/", "unittests/", "unit_tests/", "integration_tests/", "e2e/", "spec/",
    "testdata/", "test_data/", "fixtures/", "examples/", "example/", "docs/", ".github/", ".ci/", ".devcontainer/",
    "test_*.py", "*_test.py", "*_testing.py", "tests.py", "test.py", "conftest.py",
)


class ConfigError(Exception):
    """Bad configuration; the message says where and what."""


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    config_file: Path | None = None
    select: tuple[str, ...] = ("KL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    extend_catalogs: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    test_severity: str = "low"  # low | same: findings under test paths are reported as low
    fail_on_error: bool = False  # exit 2 when a file could not be read or parsed
    fail_on: str = "low"  # the exit code counts findings at or above this severity (low | medium | high | critical)
    baseline: str | None = None  # absolute path of the baseline file: findings in it are not reported
    known_keys: str | None = None  # absolute path of a known-keys file: a key listed there is KL116
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def enabled(self, code: str) -> bool:
        chosen = max((p for p in self.select if code.startswith(p)), key=len, default=None)
        dropped = max((p for p in self.ignore if code.startswith(p)), key=len, default=None)
        if chosen is None:
            return False
        return dropped is None or len(chosen) > len(dropped)


# key -> (attribute, expected type, element type for lists)
_KEYS: dict[str, tuple[str, type, type | None]] = {
    "select": ("select", list, str),
    "ignore": ("ignore", list, str),
    "per-file-ignores": ("per_file_ignores", dict, None),
    "exclude": ("exclude", list, str),
    "extend-exclude": ("extend_exclude", list, str),
    "extend-catalogs": ("extend_catalogs", list, str),
    "max-file-size": ("max_file_size", int, None),
    "test-paths": ("test_paths", list, str),
    "test-severity": ("test_severity", str, None),
    "fail-on-error": ("fail_on_error", bool, None),
    "fail-on": ("fail_on", str, None),
    "baseline": ("baseline", str, None),
    "known-keys": ("known_keys", str, None),
}


def find_root(start: Path) -> Path:
    """The project root: the nearest folder up from `start` with keylint.toml, pyproject.toml or .git."""
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ("keylint.toml", "pyproject.toml", ".git")):
            return folder
    return here


def _read_table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        return tool.get("keylint") if isinstance(tool, dict) else None
    return data.get("tool", {}).get("keylint", data) if "tool" in data else data


def _validate(table: dict[str, Any], where: Path, root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in [tool.keylint] (known: {', '.join(sorted(_KEYS))})")
        attr, kind, element = _KEYS[key]
        if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
            raise ConfigError(f"{where}: {key!r} must be a {kind.__name__}, not {type(raw).__name__}")
        value: Any = raw  # of the checked kind, which the table below names only at run time
        if element is not None and not all(isinstance(v, element) for v in value):
            raise ConfigError(f"{where}: every item of {key!r} must be a {element.__name__}")
        if key == "per-file-ignores":
            pairs = []
            for pattern, codes in value.items():
                if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                    raise ConfigError(f"{where}: per-file-ignores[{pattern!r}] must be a list of codes")
                pairs.append((pattern, tuple(codes)))
            value = tuple(pairs)
        elif key == "extend-catalogs":
            value = tuple(str((where.parent / v).resolve()) for v in value)
        elif key in ("baseline", "known-keys"):
            value = str((where.parent / value).resolve())
        elif key == "fail-on" and value not in SEVERITY_NAMES:
            raise ConfigError(f"{where}: 'fail-on' must be one of {', '.join(SEVERITY_NAMES)}")
        elif key == "test-severity" and value not in ("low", "same"):
            raise ConfigError(f"{where}: 'test-severity' must be 'low' or 'same'")
        elif key == "max-file-size" and value <= 0:
            raise ConfigError(f"{where}: 'max-file-size' must be positive")
        elif isinstance(value, list):
            value = tuple(value)
        out[attr] = value
    return out


def load_config(root: Path, config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Config for `root`: the explicit file, else keylint.toml / pyproject.toml found walking up."""
    values: dict[str, Any] = {}
    source: Path | None = None
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: no such configuration file")
        table = _read_table(config_file)
        source = config_file
        values = _validate(table or {}, config_file, root)
    else:
        for folder in (root, *root.parents):
            for name in ("keylint.toml", "pyproject.toml"):
                candidate = folder / name
                if candidate.is_file():
                    table = _read_table(candidate)
                    if table is not None:
                        source = candidate
                        values = _validate(table, candidate, root)
                        break
            if source is not None or (folder / ".git").exists():
                break
    config = Config(root=root, config_file=source, **values)
    if overrides:
        config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    return config


def cache_dir_default() -> Path:
    env = os.environ.get("KEYLINT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "keylint"
