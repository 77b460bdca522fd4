"""Progress lines (the tree scan's, the sweep's): on stderr when it is a terminal, never
otherwise, never on stdout. History's is tested in test_history.py."""

from __future__ import annotations

import subprocess
import sys

from conftest import FIXTURES

_SCRIPT = """
import sys
import keylint.cli as cli
cli.PROGRESS_DELAY = 0.0  # these scans are short; the line is drawn for long ones
sys.stderr.isatty = lambda: {tty}
sys.exit(cli.main([{command!r}, {root!r}, "--no-cache", "--format", "json"]))
"""


def _run(tty: bool, command: str = "scan") -> subprocess.CompletedProcess[str]:
    root = str(FIXTURES / "kl1-flask-app")
    script = _SCRIPT.format(tty=tty, root=root, command=command)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300)


def test_progress_line_on_a_terminal() -> None:
    done = _run(tty=True)
    assert done.returncode == 1
    assert "files read" in done.stderr and "extracted" in done.stderr
    assert done.stderr.endswith("\033[K")  # the line is cleared before the report is read
    assert "files read" not in done.stdout


def test_no_progress_line_when_stderr_is_not_a_terminal() -> None:
    done = _run(tty=False)
    assert done.returncode == 1
    assert done.stderr == ""


def test_sweep_progress_line_only_on_a_terminal() -> None:
    shown, hidden = _run(tty=True, command="sweep"), _run(tty=False, command="sweep")
    assert shown.returncode == hidden.returncode == 0
    assert " files  " in shown.stderr and shown.stderr.endswith("\033[K") and hidden.stderr == ""
    assert shown.stdout == hidden.stdout
