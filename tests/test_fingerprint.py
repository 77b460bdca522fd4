"""GitHub's primaryLocationLineHash against codeql-action's vectors, and keylint's own fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import DATA, scan_project
from keylint.fingerprint import line_hashes

VECTORS = json.loads((DATA / "primaryLocationLineHash-vectors.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=[str(i) for i in range(len(VECTORS))])
def test_line_hashes_match_github_vectors(case: dict) -> None:
    assert line_hashes(case["input"]) == case["expected_line_hashes"]


def test_stopping_early_gives_the_same_prefix() -> None:
    text = "".join(f"line {i} = {i * 7}\n" for i in range(300))
    full = line_hashes(text)
    assert line_hashes(text, stop_after_line=40)[:40] == full[:40]


def test_fingerprint_survives_lines_inserted_above(project) -> None:
    body = 'import jwt\nKEY = "fingerprint-stability-key-123"\n\ndef t(u):\n    return jwt.encode({"sub": u, "exp": 1}, KEY)\n'
    root: Path = project({"app.py": body})
    before = {(f.code, f.fingerprint) for f in scan_project(root).findings}
    (root / "app.py").write_text("# a comment\n# another\nimport os\n" + body, encoding="utf-8")
    after_report = scan_project(root)
    after = {(f.code, f.fingerprint) for f in after_report.findings}
    assert before and before == after
    assert [f.location.span.line for f in after_report.findings] == [5]


def test_identical_findings_in_one_file_get_distinct_fingerprints(project) -> None:
    # (a key literal written twice is one KL101 with a related location: identical KL501 findings stay two)
    decode = '    return jwt.decode(t, options={"verify_signature": False})\n'
    root = project({"a.py": f"import jwt\n\ndef a(t):\n{decode}\ndef b(t):\n{decode}"})
    prints = [f.fingerprint for f in scan_project(root).findings if f.code == "KL501"]
    assert len(prints) == 2 and len(set(prints)) == 2
