"""The CLI contract other tooling depends on: formats, outputs, selection, exit codes, colour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, assert_valid_sarif
from keylint import __version__
from keylint.cli import main

KEYED = {"app.py": 'import jwt\nSECRET = "cli-test-signing-key-1234"\njwt.encode({"exp": 1}, SECRET)\n'}


def test_exit_codes(project, capsys) -> None:
    clean = project({"ok.py": "x = 1\n"})
    assert main(["scan", str(clean), "--no-cache"]) == 0
    (clean / "app.py").write_text(KEYED["app.py"])
    assert main(["scan", str(clean), "--no-cache"]) == 1
    assert main(["scan", str(clean), "--no-cache", "--exit-zero"]) == 0
    assert main(["scan", str(clean / "missing"), "--no-cache"]) == 2
    (clean / "keylint.toml").write_text("selct = ['KL1']\n")
    assert main(["scan", str(clean), "--no-cache", "--exit-zero"]) == 2  # --exit-zero never hides 2
    assert "unknown key 'selct'" in capsys.readouterr().err


def test_fail_on_counts_only_findings_at_or_above_it(project, capsys) -> None:
    # a high finding in app code, a low one in a test file: the exit code follows the threshold
    root = project({**KEYED, "tests/test_auth.py": KEYED["app.py"]})
    main(["scan", str(root), "--no-cache", "--format", "json"])
    assert {(f["path"], f["severity"]) for f in json.loads(capsys.readouterr().out)["findings"]} == {("app.py", "high"), ("tests/test_auth.py", "low")}
    assert main(["scan", str(root), "--no-cache", "--fail-on", "high"]) == 1
    assert main(["scan", str(root), "--no-cache", "--fail-on", "critical"]) == 0
    assert "app.py" in capsys.readouterr().out  # findings below the threshold are still shown
    assert main(["scan", str(root / "tests"), "--no-cache", "--fail-on", "medium"]) == 0
    assert main(["scan", str(root / "tests"), "--no-cache"]) == 1  # default: every finding counts
    (root / "keylint.toml").write_text('fail-on = "critical"\n')
    assert main(["scan", str(root), "--no-cache"]) == 0
    assert main(["scan", str(root), "--no-cache", "--fail-on", "low"]) == 1  # the flag wins
    (root / "keylint.toml").write_text('fail-on = "severe"\n')
    assert main(["scan", str(root), "--no-cache"]) == 2
    assert "'fail-on' must be one of low, medium, high, critical" in capsys.readouterr().err


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--format", "xml"])
    assert exc.value.code == 2


def test_select_and_ignore(project, capsys) -> None:
    root = project({**KEYED, "cfg.env": "JWT_SECRET=abcdefghijklmnop1234\n"})
    main(["scan", str(root), "--no-cache", "--format", "json", "--select", "KL111"])
    assert {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"KL111"}
    main(["scan", str(root), "--no-cache", "--format", "json", "--ignore", "KL11"])
    assert {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"KL101"}


def test_output_and_sarif_output_in_one_run(project, tmp_path: Path) -> None:
    root = project(KEYED)
    out, sarif = tmp_path / "report.json", tmp_path / "report.sarif"
    assert main(["scan", str(root), "--no-cache", "--format", "json", "--output", str(out), "--sarif-output", str(sarif)]) == 1
    data = json.loads(out.read_text())
    assert data["schema_version"] == 1 and data["findings"][0]["code"] == "KL101"
    assert assert_valid_sarif(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "KL101"


def test_rules_and_rule_commands(capsys) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert "KL101  hardcoded-signing-key" in listing and "KL113" in listing
    assert main(["rule", "KL102"]) == 0
    doc = capsys.readouterr().out
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References"):
        assert section in doc
    assert main(["rule", "KL999"]) == 2


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flag", "env", "colored"),
    [("auto", {}, False), ("always", {}, True), ("never", {"FORCE_COLOR": "1"}, False), ("auto", {"FORCE_COLOR": "1"}, True), ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
)
def test_color_rules(project, capsys, monkeypatch, flag: str, env: dict, colored: bool) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    root = project(KEYED)
    main(["scan", str(root), "--no-cache", "--color", flag])
    assert ("\x1b[" in capsys.readouterr().out) is colored


def test_github_annotations_escape_and_place(project, capsys) -> None:
    root = project(KEYED)
    main(["scan", str(root), "--no-cache", "--format", "github"])
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("::error file=app.py,line=2,endLine=2,col=10,endColumn=37,title=KL101 hardcoded-signing-key::")
    assert "cli-test-signing-key-1234" not in line


def test_text_output_names_place_and_redacts(capsys) -> None:
    assert main(["scan", str(FIXTURES / "kl1-flask-app"), "--no-cache", "--color", "never"]) == 1
    out = capsys.readouterr().out
    assert "app/config.py:6:18: KL101 [high] hardcoded-signing-key" in out
    assert "super-secret-key" not in out and "<redacted>" in out
