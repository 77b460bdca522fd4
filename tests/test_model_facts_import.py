"""Linking the KL3xx facts does not load LibCST: the fact classes live apart from the visitor."""

from __future__ import annotations

import subprocess
import sys


def test_model_linking_does_not_import_libcst() -> None:
    code = (
        "import sys\n"
        "import keylint.extract.model_facts, keylint.link.models\n"
        "loaded = sorted(m for m in sys.modules if m == 'libcst' or m.startswith('libcst.'))\n"
        "print(loaded[:3])\n"
        "raise SystemExit(1 if loaded else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
