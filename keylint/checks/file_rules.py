"""KL110, KL111, KL112, KL113, KL303: decided per file by the secret scanner, config heuristics and OpenAPI reader.

Extraction already made these findings (`FileFacts.findings`); the check passes them on so that
selection, suppression and reporting treat them like every other rule.
"""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft

CODES = ("KL110", "KL111", "KL112", "KL113", "KL303")


def check(ctx: Context) -> Iterator[Draft]:
    for path, facts in ctx.project.files.items():
        for f in facts.findings:
            yield Draft(f.code, path, f.span, f.message, f.token, f.secret_columns, severity=f.severity, key=f.key)
