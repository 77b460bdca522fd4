"""Which deployment environment a settings or configuration file belongs to, told by its path.

`settings/prod.py`, `.env.production`, `values-prod.yaml`, `deploy/staging/app.yaml`,
`docker-compose.override.dev.yml`, `tests/settings.py`, `.github/workflows/ci.yml`: the file name's
words are read first (`prod.py` in `settings/` is production), then the folders from the innermost
out. Plain data and string work only: extraction (the prefilter) and the checks both ask it.
"""

from __future__ import annotations

import re

PRODUCTION = "production"
# environment -> the words that name it in a file or folder name
ENVIRONMENT_WORDS: dict[str, frozenset[str]] = {
    PRODUCTION: frozenset({"prod", "production", "prd"}),
    "staging": frozenset({"staging", "stage", "stg", "preprod", "uat"}),
    "development": frozenset({"dev", "development", "develop", "local", "devcontainer"}),
    "test": frozenset({"test", "tests", "testing", "unittest", "unittests", "e2e", "ci", "cicd"}),
}
_BY_WORD = {word: env for env, words in ENVIRONMENT_WORDS.items() for word in words}
# Folders and files of CI services: the configuration of the test environment.
_CI_FOLDERS = frozenset({".github", ".circleci", ".ci", ".buildkite", ".gitlab"})
_CI_FILES = frozenset({".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml"})
# Folders that hold settings modules, and words of a settings module's own name.
_SETTINGS_FOLDERS = frozenset({"settings", "config", "configs", "conf", "configuration", "environments", "envs"})
_SETTINGS_WORDS = frozenset({"settings", "config", "conf", "configuration"})
_WORD = re.compile(r"[a-z0-9]+")


def _words(name: str) -> list[str]:
    return _WORD.findall(name.lower())


def environment_of(path: str) -> str | None:
    """The environment `path` (repository-relative, POSIX) configures, or None when its name says none."""
    *folders, name = path.split("/")
    if name.lower() in _CI_FILES:
        return "test"
    for word in _words(name):
        if word in _BY_WORD:
            return _BY_WORD[word]
    for folder in reversed(folders):
        if folder.lower() in _CI_FOLDERS:
            return "test"
        for word in _words(folder):
            if word in _BY_WORD:
                return _BY_WORD[word]
    return None


def is_settings_module(path: str) -> bool:
    """A Python module that configures an application: in a settings/config folder, or named so
    (`settings_prod.py`, `local_settings.py`, `config/production.py`)."""
    *folders, name = path.split("/")
    stem = name.rsplit(".", 1)[0]
    return any(f.lower() in _SETTINGS_FOLDERS for f in folders) or bool(_SETTINGS_WORDS.intersection(_words(stem)))


def is_environment_settings(path: str) -> bool:
    """A settings module of a named environment: parsed even when it holds no key itself, since
    the module it star-imports (`from .base import *`) puts that module's keys into the environment."""
    return path.endswith(".py") and is_settings_module(path) and environment_of(path) is not None
