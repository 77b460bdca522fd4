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


_ROUTES = '''import jwt
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.route("/support/token", methods=["GET", "POST"])
def support_token():
    return {"token": jwt.encode({"sub": request.json["user"]}, app.config["JWT_KEY"], algorithm="HS256")}


@app.route("/accounts/<int:account_id>", methods=["GET", "POST"])
def account(account_id):
    return {"name": Account.query.get(account_id).name}
'''


def test_route_findings_keep_their_fingerprints_and_spell_methods_one_way(project) -> None:
    """Messages name a route `GET|POST /path` in every rule; the fingerprints are the ones keylint
    gave these findings before (KL302's token spelled `GET/POST`), so existing baselines still match."""
    report = scan_project(project({"app.py": _ROUTES}))
    found = {f.code: f for f in report.findings if f.code in ("KL201", "KL302")}
    assert {code: f.fingerprint for code, f in found.items()} == {
        "KL201": "b904bd8c5a702838319457f218d38271",
        "KL302": "311f0a20b57f26cb87724dd43a0855f5",
    }
    assert found["KL201"].message.startswith("GET|POST /support/token ")
    assert found["KL302"].message.startswith("GET|POST /accounts/<int:account_id> ")
