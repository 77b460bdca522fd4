"""CI starts warm: the fact cache of one run, carried to a fresh clone (as the action's actions/cache
step does), makes the next scan parse only the files that changed, with the same SARIF as a scan
without any cache."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import REPO, assert_valid_sarif

import keylint.engine
from keylint.cli import main

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
FILES = {
    "app/__init__.py": "",
    "app/settings.py": 'SECRET_KEY = "ci-cache-test-key-that-is-long-enough-01"\n',
    "app/tokens.py": 'import jwt\nfrom app.settings import SECRET_KEY\n\n\ndef mint(uid):\n    return jwt.encode({"sub": uid}, SECRET_KEY, algorithm="HS256")\n',
    "app/views.py": 'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get("/health")\ndef health():\n    return "ok"\n',
    "config/.env": "JWT_SECRET=ci-cache-test-env-value-0123456789\n",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=ENV, capture_output=True, check=True)


def _extracted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the scan sends to extraction (parsing), by path."""
    sent: list[str] = []
    real = keylint.engine._run

    def recording(tasks, options, *rest):
        sent.extend(task[0] for task in tasks)
        return real(tasks, options, *rest)

    monkeypatch.setattr(keylint.engine, "_run", recording)
    return sent


def _sarif(root: Path, *extra: str) -> str:
    out = root.parent / f"{root.name}.sarif"
    assert main(["scan", str(root), "--format", "sarif", "--output", str(out), *extra]) == 1
    return out.read_text()


def test_a_cache_carried_to_a_fresh_clone_parses_only_the_changed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tmp_path / "run1"
    first.mkdir()
    _git(first, "init", "-q")
    for rel, text in FILES.items():
        (first / rel).parent.mkdir(parents=True, exist_ok=True)
        (first / rel).write_text(text)
    _git(first, "add", "-A")
    _git(first, "commit", "-q", "-m", "start")
    _sarif(first, "--cache-dir", str(tmp_path / "cache"))

    # the next CI run: a fresh clone elsewhere, one commit later, with the cache restored
    second = tmp_path / "run2"
    _git(tmp_path, "clone", "-q", str(first), str(second))
    (second / "app/tokens.py").write_text(FILES["app/tokens.py"] + '\n\ndef admin(uid):\n    return jwt.encode({"sub": uid, "role": "admin"}, SECRET_KEY, algorithm="HS256")\n')
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "cache", restored)
    sent = _extracted(monkeypatch)
    warm = _sarif(second, "--cache-dir", str(restored))
    assert sent == ["app/tokens.py"]

    sent.clear()
    cold = _sarif(second, "--no-cache")
    assert set(sent) == set(FILES)  # without a cache every file is extracted (an imported unparsed module twice)
    assert warm == cold
    assert_valid_sarif(warm)


def test_the_action_restores_and_saves_the_cache_where_keylint_looks() -> None:
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    cache = next(s for s in steps if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.cache/keylint"  # keylint's default cache folder on a runner
    assert cache["with"]["restore-keys"].strip() == "${{ steps.cache-key.outputs.key }}-"  # a partial hit is safe
    assert cache["with"]["key"].startswith("${{ steps.cache-key.outputs.key }}-${{ github.run_id }}")
    key_step = next(s for s in steps if s.get("id") == "cache-key")
    assert "CODE_DIGEST" in key_step["run"] and "load_catalog().digest" in key_step["run"] and "RUNNER_OS" in key_step["run"]
    assert steps.index(key_step) < steps.index(cache) < next(i for i, s in enumerate(steps) if s.get("id") == "scan")
