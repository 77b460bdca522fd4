"""keylint as a pre-commit hook, run the way users run it: real git, real pre-commit, real commits.

The hook repository is a snapshot of this checkout's work tree (tracked and untracked, not
ignored files, the way `pre-commit try-repo` snapshots a work tree), committed into a temporary repository that a
`.pre-commit-config.yaml` points at. pre-commit installs it into a virtualenv with pip once per
session; every test then commits in its own temporary repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

KEY_FILE = 'import jwt\n\n\ndef token(claims):\n    return jwt.encode(claims, "precommit-test-hard-coded-key-0001")\n'
CLEAN_KEY_FILE = 'import os\n\nimport jwt\n\n\ndef token(claims):\n    return jwt.encode(claims, os.environ["JWT_KEY"])\n'


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def _git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = _run(["git", *args], cwd, env)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, str]:
    """(environment, hook repository path, its commit), with the hook's virtualenv installed."""
    base = tmp_path_factory.mktemp("precommit")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
        "KEYLINT_CACHE_DIR": str(base / "keylint-cache"),
        "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    (base / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    hook = base / "hook-repo"
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, env)
    assert listed.returncode == 0, "the pre-commit test snapshots this checkout's work tree; it needs a git clone"
    for rel in listed.stdout.split("\0"):
        if rel.startswith(("keylint/", "rules/")) or rel in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
            if (REPO / rel).is_file():
                (hook / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, hook / rel)
    _git(hook, env, "init", "-q")
    _git(hook, env, "add", "-A")
    _git(hook, env, "commit", "-q", "-m", "snapshot")
    rev = _git(hook, env, "rev-parse", "HEAD").stdout.strip()
    return env, str(hook), rev


def _project(tmp_path: Path, hook_env: tuple[dict[str, str], str, str], hook_id: str = "keylint") -> Path:
    env, hook, rev = hook_env
    root = tmp_path / "project"
    root.mkdir()
    _git(root, env, "init", "-q")
    (root / ".pre-commit-config.yaml").write_text(f"repos:\n  - repo: {hook}\n    rev: {rev}\n    hooks:\n      - id: {hook_id}\n")
    done = _run([sys.executable, "-m", "pre_commit", "install", "--install-hooks"], root, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def _commit(root: Path, env: dict[str, str], message: str) -> tuple[int, str]:
    """Exit code and everything the hook printed (git sends hook output to stderr)."""
    done = _run(["git", "commit", "-m", message], root, env)
    return done.returncode, done.stdout + done.stderr


def test_manifest_is_valid() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_commit_with_a_key_fails_and_passes_once_removed(tmp_path: Path, hook_env) -> None:
    env = hook_env[0]
    root = _project(tmp_path, hook_env)
    (root / "auth.py").write_text(KEY_FILE)
    (root / "util.py").write_text("def add(a, b):\n    return a + b\n")
    _git(root, env, "add", ".")
    code, output = _commit(root, env, "add auth")
    assert code == 1, output
    assert "auth.py:5:31: KL101" in output
    assert "precommit-test-hard-coded-key-0001" not in output
    assert _run(["git", "rev-parse", "--verify", "HEAD"], root, env).returncode != 0  # nothing was committed

    (root / "auth.py").write_text(CLEAN_KEY_FILE)
    _git(root, env, "add", ".")
    code, output = _commit(root, env, "add auth")
    assert code == 0, output
    assert "keylint" in output and "Passed" in output


def test_cross_module_key_found_when_only_the_user_is_committed(tmp_path: Path, hook_env) -> None:
    env = hook_env[0]
    root = _project(tmp_path, hook_env)
    (root / "app").mkdir()
    (root / "app/__init__.py").write_text("")
    (root / "app/settings.py").write_text('JWT_KEY = "cross-module-precommit-key-00001"\n')
    (root / "app/auth.py").write_text("def token(claims):\n    return claims\n")
    _git(root, env, "add", ".")
    _git(root, env, "commit", "-q", "--no-verify", "-m", "existing code")
    # only auth.py changes: pre-commit passes only auth.py, the key lives in settings.py
    (root / "app/auth.py").write_text("import jwt\n\nfrom app.settings import JWT_KEY\n\n\ndef token(claims):\n    return jwt.encode(claims, JWT_KEY)\n")
    _git(root, env, "add", "app/auth.py")
    code, output = _commit(root, env, "sign tokens")
    assert code == 1, output
    assert "app/settings.py:1:11: KL101" in output
    assert "app/auth.py:7" in output  # the use that brought it in, as a related location


def test_whole_repository_hook(tmp_path: Path, hook_env) -> None:
    env = hook_env[0]
    root = _project(tmp_path, hook_env, "keylint-repo")
    (root / "legacy.py").write_text(KEY_FILE)
    _git(root, env, "add", "legacy.py")
    _git(root, env, "commit", "-q", "--no-verify", "-m", "old key")
    (root / "README.md").write_text("docs only\n")
    _git(root, env, "add", "README.md")
    code, output = _commit(root, env, "docs")
    assert code == 1, output
    assert "legacy.py:5:31: KL101" in output
