"""SARIF that GitHub code scanning accepts: schema-valid, complete rules, deterministic, redacted."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, assert_valid_sarif, scan_project
from keylint.catalog import load_catalog
from keylint.cli import main
from keylint.report.sarif import render


def _sarif(root: Path) -> dict:
    return assert_valid_sarif(render(scan_project(root), load_catalog()))


def test_rules_carry_what_code_scanning_needs() -> None:
    log = _sarif(FIXTURES / "kl1-flask-app")
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "keylint/"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r.code for r in load_catalog().rules)
    for rule in rules:
        props = rule["properties"]
        assert "security" in props["tags"] and any(t.startswith("external/cwe/cwe-") for t in props["tags"])
        assert isinstance(props["security-severity"], str) and 0.1 <= float(props["security-severity"]) <= 10.0
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert rule["help"]["markdown"].startswith(f"# {rule['id']} {rule['name']}")
        assert len(rule["shortDescription"]["text"]) <= 1024 and len(rule["fullDescription"]["text"]) <= 1024


def test_results_have_one_relative_location_and_both_fingerprints() -> None:
    run = _sarif(FIXTURES / "kl1-flask-app")["runs"][0]
    assert run["results"]
    for result in run["results"]:
        (loc,) = result["locations"]
        artifact = loc["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith("/")
        assert set(result["partialFingerprints"]) == {"primaryLocationLineHash", "keylint/v1"}
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_cross_module_result_points_at_its_use() -> None:
    run = _sarif(FIXTURES / "kl1-flask-app")["runs"][0]
    # the fixture project lies inside this repository: URIs are relative to the repository root
    here = "fixtures/kl1-flask-app/"
    reset = [r for r in run["results"] if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == here + "app/links.py" and r["ruleId"] == "KL101"]
    related_uris = {rl["physicalLocation"]["artifactLocation"]["uri"] for r in reset for rl in r.get("relatedLocations", [])}
    assert here + "app/admin.py" in related_uris


def test_uris_are_relative_to_the_repository_in_a_monorepo(tmp_path: Path, capsys) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "pyproject.toml").write_text("[project]\nname = 'api'\n")
    (tmp_path / "backend" / "settings.py").write_text('SECRET_KEY = "monorepo-backend-secret-key-0"\n')
    sarif = tmp_path / "out.sarif"
    assert main(["scan", str(tmp_path / "backend"), "--no-cache", "--format", "github", "--sarif-output", str(sarif)]) == 1
    assert capsys.readouterr().out.startswith("::error file=backend/settings.py,line=1,")
    (result,) = assert_valid_sarif(sarif.read_text())["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "backend/settings.py"


def test_empty_run_still_has_results(project) -> None:
    log = _sarif(project({"clean.py": "print('hello')\n"}))
    assert log["runs"][0]["results"] == []


def test_same_tree_gives_byte_identical_sarif(tmp_path: Path) -> None:
    root = FIXTURES / "kl1-config-files"
    outs = []
    for i in range(2):
        out = tmp_path / f"{i}.sarif"
        assert main(["scan", str(root), "--format", "sarif", "--output", str(out), "--no-cache", "--jobs", str(i + 1)]) == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert_valid_sarif(outs[0].decode())


def test_unparsable_file_is_a_notification_and_still_secret_scanned(project) -> None:
    root = project({"py2.py": 'print "hello"\nTOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"\n', "ok.py": 'SECRET_KEY = "still-found-in-other-files"\n'})
    report = scan_project(root)
    log = assert_valid_sarif(render(report, load_catalog()))
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("py2.py" in n["message"]["text"] for n in notes)
    assert {(f.location.path, f.code) for f in report.findings} == {("py2.py", "KL112"), ("ok.py", "KL101")}


def test_a_token_matched_only_in_part_is_redacted_to_its_end(project) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJlLXRhaWw"
    report = scan_project(project({"debug.py": f'DEBUG_TOKEN = "{token}"\n'}))
    (finding,) = [f for f in report.findings if f.code == "KL112"]
    assert finding.snippet == 'DEBUG_TOKEN = "<redacted>"'
    assert (finding.location.span.column, finding.location.span.end_column) == (16, 16 + len(token))
