"""Linking reads plain facts: importing a family's linker must not load the LibCST parser."""

from __future__ import annotations

import subprocess
import sys


def _loads_libcst(module: str) -> bool:
    code = f"import sys, {module}; print('libcst' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip() == "True"


def test_token_linker_does_not_load_libcst() -> None:
    assert not _loads_libcst("keylint.link.tokens")


def test_token_facts_do_not_load_libcst() -> None:
    assert not _loads_libcst("keylint.extract.token_facts")
