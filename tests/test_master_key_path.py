"""KL001 master-key paths in every output format, the parts they raise, and the known-key step."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from conftest import FIXTURES, assert_valid_sarif, scan_project
from keylint.catalog import load_catalog
from keylint.cli import main
from keylint.report import github, json_format, sarif, text

FASTAPI = FIXTURES / "kl0-path-fastapi"
PATH_AT = ("app/api/internal.py", 14)


def _path(report):
    (found,) = [f for f in report.findings if f.code == "KL001"]
    return found


def test_sarif_carries_the_steps_as_one_code_flow_in_order() -> None:
    report = scan_project(FASTAPI)
    log = assert_valid_sarif(sarif.render(report, load_catalog()))
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "KL001"]
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = [(s["location"]["physicalLocation"]["artifactLocation"]["uri"].removeprefix("fixtures/kl0-path-fastapi/"),
              s["location"]["physicalLocation"]["region"]["startLine"]) for s in thread["locations"]]
    assert steps == [("app/config.py", 4), ("app/tokens.py", 14), ("app/api/internal.py", 14), ("app/models.py", 12), ("app/deps.py", 12)]
    assert all(s["location"]["message"]["text"] for s in thread["locations"])
    assert "auto-increment" in thread["locations"][3]["location"]["message"]["text"]
    assert len(result["relatedLocations"]) == len(steps)
    assert result["level"] == "error" and result["properties"]["severity"] == "critical"
    assert sarif.render(scan_project(FASTAPI), load_catalog()) == sarif.render(report, load_catalog())  # byte-identical


def test_the_parts_of_a_path_name_it_and_take_its_severity() -> None:
    report = scan_project(FASTAPI)
    by_place = {(f.location.path, f.location.span.line, f.code): f for f in report.findings}
    for place in [("app/config.py", 4, "KL101"), ("app/tokens.py", 20, "KL401"), (*PATH_AT, "KL201")]:
        part = by_place[place]
        assert "Part of master-key path KL001 at app/api/internal.py:14" in part.message, place
        assert part.severity.value == "critical", place
    webhook = by_place[("app/webhooks.py", 4, "KL101")]  # a key that only verifies: not on the path
    assert "master-key path" not in webhook.message and webhook.severity.value == "high"


def test_text_tells_each_path_before_the_findings() -> None:
    out = text.render(scan_project(FASTAPI), load_catalog(), color=False)
    assert out.startswith("Attack paths\n")
    story, findings = out.split("\nFindings\n", 1)
    assert "Anyone can call POST /internal/token with body.user_id" in story
    assert "1. app/config.py:4:" in story and "5. app/deps.py:12:" in story
    assert "fastapi-path-fixture-signing-key" not in out  # never the key


def test_json_lists_paths_with_their_steps() -> None:
    data = json.loads(json_format.render(scan_project(FASTAPI), load_catalog()))
    (p,) = data["paths"]
    assert (p["path"], p["line"], p["severity"]) == (*PATH_AT, "critical")
    assert [(s["path"], s["line"]) for s in p["steps"]] == [
        ("app/config.py", 4), ("app/tokens.py", 14), ("app/api/internal.py", 14), ("app/models.py", 12), ("app/deps.py", 12)]
    assert p["fingerprint"] == next(f["fingerprint"] for f in data["findings"] if f["code"] == "KL001")


def test_github_gives_one_annotation_per_path_with_its_steps() -> None:
    lines = github.render(scan_project(FASTAPI), load_catalog()).splitlines()
    paths = [line for line in lines if "title=KL001" in line]
    assert len(paths) == 1
    assert "%0A1. app/config.py:4: " in paths[0] and "%0A5. app/deps.py:12: " in paths[0]


def test_a_known_production_key_makes_the_offline_path_critical(tmp_path: Path, capsys, monkeypatch) -> None:
    root = FIXTURES / "kl0-path-aiohttp-offline"
    assert _path(scan_project(root)).severity.value == "high"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"aiohttp-path-fixture-token-key-0006-long-enough")))
    assert main(["fingerprint"]) == 0
    known = tmp_path / "known-keys.txt"
    known.write_text(capsys.readouterr().out.split()[0] + " production\n")
    main(["scan", str(root), "--known-keys", str(known), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    (p,) = data["paths"]
    assert p["severity"] == "critical" and "known production key" in p["steps"][0]["message"]
    codes = {(f["path"], f["line"]): f for f in data["findings"] if f["code"] != "KL001"}
    assert codes[("api/settings.py", 2)]["code"] == "KL116"
    assert "Part of master-key path KL001" in codes[("api/settings.py", 2)]["message"]


def test_the_analysis_cache_keeps_the_steps(tmp_path: Path) -> None:
    cold = _path(scan_project(FASTAPI, cache_dir=tmp_path / "cache"))
    warm = _path(scan_project(FASTAPI, cache_dir=tmp_path / "cache"))
    assert warm.steps == cold.steps and len(warm.steps) == 5
    assert warm.severity == cold.severity and warm.message == cold.message
