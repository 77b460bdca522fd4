"""The GitHub Action and the README workflow: valid against GitHub's schemas, and the action's shell
step run for real (bash, git, keylint) with a fake `$GITHUB_OUTPUT`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO, assert_valid_sarif

ACTION = REPO / "action.yml"
KEY_FILE = 'import jwt\n\n\ndef token(claims):\n    return jwt.encode(claims, "action-test-hard-coded-key-00001")\n'


def _check_jsonschema(schema: str, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(document)],
        capture_output=True, text=True, timeout=120, check=False,
    )


def _readme_workflow() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- workflow: [^>]*-->\n```yaml\n(.*?)```", readme, re.DOTALL)
    assert m is not None, "README lost its GitHub workflow block"
    return m.group(1)


def test_action_is_valid_against_the_github_action_schema() -> None:
    done = _check_jsonschema("vendor.github-actions", ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_workflow_is_valid_and_uploads_sarif(tmp_path: Path) -> None:
    text = _readme_workflow()
    (tmp_path / "keylint.yml").write_text(text)
    done = _check_jsonschema("vendor.github-workflows", tmp_path / "keylint.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    job = yaml.safe_load(text)["jobs"]["keylint"]
    assert job["permissions"]["security-events"] == "write"
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["category"] == "keylint" and upload["if"].startswith("always()")
    assert any("exit 1" in s.get("run", "") for s in job["steps"])


def test_no_expression_is_spliced_into_a_script() -> None:
    action = yaml.safe_load(ACTION.read_text())
    workflow = yaml.safe_load(_readme_workflow())
    scripts = [s["run"] for s in action["runs"]["steps"] + workflow["jobs"]["keylint"]["steps"] if "run" in s]
    assert scripts and all("${{" not in script for script in scripts)


def _scan_step() -> tuple[str, dict[str, str]]:
    action = yaml.safe_load(ACTION.read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    assert step["shell"] == "bash"
    return step["run"], step["env"]


def _run_scan_step(workspace: Path, tmp_path: Path, inputs: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """Run the action's scan step as the runner would: `bash -e` with the step's env, inputs filled in."""
    action = yaml.safe_load(ACTION.read_text())
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | inputs
    script, env_spec = _scan_step()
    env = dict(os.environ)
    for name, expression in env_spec.items():
        m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", expression)
        assert m is not None, f"{name}: only plain input expressions are expected in env"
        env[name] = values[m.group(1)]
    output = tmp_path / "github_output"
    output.write_text("")
    env["GITHUB_OUTPUT"] = str(output)
    env["GITHUB_ACTION_PATH"] = str(REPO)
    env["KEYLINT_CACHE_DIR"] = str(tmp_path / "cache")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    assert shutil.which("keylint", path=env["PATH"]), "the keylint command must be installed (pip install -e .)"
    (tmp_path / "step.sh").write_text(script)
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")], cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done.returncode, done.stdout + done.stderr, outputs


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / "app").mkdir(parents=True)
    (root / "app/auth.py").write_text(KEY_FILE)
    (root / "app/util.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_action_step_fails_on_findings_and_writes_outputs(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    code, output, outputs = _run_scan_step(root, tmp_path, {})
    assert code == 1
    assert outputs == {"exit-code": "1", "sarif-file": "keylint.sarif"}
    sarif = assert_valid_sarif((root / "keylint.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["KL101"]
    # the annotation lands on the line and columns of the literal in the pull request's file
    annotation = next(line for line in output.splitlines() if line.startswith("::error "))
    props = dict(p.split("=", 1) for p in annotation[len("::error ") :].split("::", 1)[0].split(","))
    line = KEY_FILE.splitlines()[4]
    assert props["file"] == "app/auth.py" and props["line"] == props["endLine"] == "5"
    assert line[int(props["col"]) - 1 : int(props["endColumn"]) - 1] == '"action-test-hard-coded-key-00001"'
    assert props["title"] == "KL101 hardcoded-signing-key"
    assert "action-test-hard-coded-key-00001" not in output


def test_action_step_can_defer_failure(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    code, _, outputs = _run_scan_step(root, tmp_path, {"fail-on-findings": "false", "sarif-file": "out/k.sarif"})
    assert code == 0
    assert outputs == {"exit-code": "1", "sarif-file": "out/k.sarif"}
    assert_valid_sarif((root / "out/k.sarif").read_text())


def test_action_inputs_are_split_not_evaluated(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    code, _, outputs = _run_scan_step(root, tmp_path, {"paths": "app/util.py\napp/*.py", "args": "--ignore KL1 $(touch pwned) ;touch pwned2"})
    # `app/*.py` is a literal (missing) path and `$(touch pwned)` a literal argument: keylint refuses them
    assert code == 2 and outputs["exit-code"] == "2"
    assert not (root / "pwned").exists() and not (root / "pwned2").exists()
    code, _, outputs = _run_scan_step(root, tmp_path, {"paths": "app/util.py  app", "args": "--ignore KL1", "sarif-file": ""})
    assert code == 0 and outputs == {"exit-code": "0", "sarif-file": ""}


def test_github_annotations_escape_paths_and_skip_columns_across_lines(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n"
    (root / "keys,old").mkdir()
    (root / "keys,old/id:rsa.txt").write_text(pem)
    code, output, _ = _run_scan_step(root, tmp_path, {"paths": "keys,old", "sarif-file": ""})
    assert code == 1
    annotations = [line for line in output.splitlines() if line.startswith("::")]
    assert annotations and all(a.startswith("::error file=keys%2Cold/id%3Arsa.txt,line=1,") for a in annotations)
