"""Baselines: `keylint baseline` records findings; `scan --baseline` reports only new ones, across line moves."""

from __future__ import annotations

import json

from conftest import assert_valid_sarif
from keylint.cli import main

SETTINGS = 'import jwt\n\nSECRET = "baseline-test-signing-key-0001"\n\n\ndef sign(c):\n    return jwt.encode(c, SECRET)\n'
NEW_KEY = 'import jwt\n\n\ndef admin(c):\n    return jwt.encode(c, "a-brand-new-hard-coded-key-0002")\n'


def _json_findings(capsys) -> set[tuple[str, str, int]]:
    out = json.loads(capsys.readouterr().out)
    return {(f["code"], f["path"], f["line"]) for f in out["findings"]}


def test_baseline_file_holds_no_secrets_lines_or_times(project, capsys) -> None:
    root = project({"app/settings.py": SETTINGS, "deploy/.env": "JWT_SECRET=env-file-secret-value-0003\n"})
    assert main(["baseline", str(root), "--no-cache"]) == 0
    text = (root / ".keylint-baseline.json").read_text()
    document = json.loads(text)
    assert document["keylint_baseline"] == 1
    assert {(e["rule"], e["path"]) for e in document["findings"]} == {("KL101", "app/settings.py"), ("KL111", "deploy/.env")}
    assert all(set(e) == {"rule", "path", "fingerprint"} for e in document["findings"])
    for secret in ("baseline-test-signing-key-0001", "env-file-secret-value-0003"):
        assert secret not in text
    # the baseline file itself is not a finding
    assert main(["scan", str(root), "--no-cache", "--baseline", str(root / ".keylint-baseline.json")]) == 0
    # deterministic: writing again gives the same bytes
    assert main(["baseline", str(root), "--no-cache"]) == 0
    assert (root / ".keylint-baseline.json").read_text() == text


def test_scan_with_baseline_reports_only_new_findings_after_lines_move(project, capsys) -> None:
    root = project({"app/settings.py": SETTINGS})
    assert main(["baseline", str(root), "--no-cache"]) == 0
    baseline = root / ".keylint-baseline.json"
    # unrelated edits move the baselined key down by four lines
    (root / "app/settings.py").write_text('"""Settings."""\nimport os\n\nDEBUG = os.getenv("DEBUG")\n' + SETTINGS)
    capsys.readouterr()
    assert main(["scan", str(root), "--no-cache", "--baseline", str(baseline), "--format", "json"]) == 0
    assert _json_findings(capsys) == set()
    # a new key is still reported, and only it
    (root / "app/admin.py").write_text(NEW_KEY)
    assert main(["scan", str(root), "--no-cache", "--baseline", str(baseline), "--format", "json"]) == 1
    assert _json_findings(capsys) == {("KL101", "app/admin.py", 5)}
    assert main(["scan", str(root), "--no-cache", "--baseline", str(baseline), "--format", "sarif"]) == 1
    sarif = assert_valid_sarif(capsys.readouterr().out)
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]] == ["app/admin.py"]
    # without the baseline both are reported
    assert main(["scan", str(root), "--no-cache", "--format", "json"]) == 1
    assert _json_findings(capsys) == {("KL101", "app/admin.py", 5), ("KL101", "app/settings.py", 7)}


def test_baseline_from_configuration(project, capsys) -> None:
    root = project({"app/settings.py": SETTINGS})
    (root / "keylint.toml").write_text('baseline = "security/keylint-baseline.json"\n')
    assert main(["baseline", str(root), "--no-cache"]) == 0
    assert (root / "security/keylint-baseline.json").is_file()
    assert main(["scan", str(root), "--no-cache"]) == 0
    assert "1 finding in baseline" in capsys.readouterr().err
    assert main(["scan", str(root), "--no-cache", "--no-baseline"]) == 1


def test_changed_key_is_not_covered_by_the_baseline(project, capsys) -> None:
    root = project({"app/settings.py": SETTINGS})
    assert main(["baseline", str(root), "--no-cache"]) == 0
    (root / "app/settings.py").write_text(SETTINGS.replace("0001", "9999"))
    capsys.readouterr()
    assert main(["scan", str(root), "--no-cache", "--baseline", str(root / ".keylint-baseline.json"), "--format", "json"]) == 1
    assert _json_findings(capsys) == {("KL101", "app/settings.py", 3)}


def test_bad_baseline_is_a_usage_error(project, capsys) -> None:
    root = project({"ok.py": "x = 1\n"})
    assert main(["scan", str(root), "--no-cache", "--baseline", str(root / "missing.json")]) == 2
    assert "keylint baseline" in capsys.readouterr().err
    (root / "bad.json").write_text('{"findings": [{"rule": 1}]}')
    assert main(["scan", str(root), "--no-cache", "--baseline", str(root / "bad.json")]) == 2
    (root / "keylint.toml").write_text("baseline = 3\n")
    assert main(["scan", str(root), "--no-cache"]) == 2
    assert "'baseline' must be a str" in capsys.readouterr().err
