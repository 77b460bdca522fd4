"""keylint's own repository scans clean (its fixtures, tests and rule examples are excluded in pyproject.toml)."""

from __future__ import annotations

from conftest import REPO
from keylint.cli import main


def test_keylint_scans_its_own_repository_clean(capsys) -> None:
    assert main(["scan", str(REPO), "--no-cache", "--format", "json"]) == 0, capsys.readouterr().out
    assert capsys.readouterr().err == ""
