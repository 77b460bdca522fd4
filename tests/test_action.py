"""The GitHub Action and the README workflow: valid against GitHub's schemas, and the action's shell
step run for real (bash, git, keylint) with a fake `$GITHUB_OUTPUT`."""

from __future__ import annotations

import json
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


def _readme_workflow(marker: str = "workflow") -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker}: [^>]*-->\n```yaml\n(.*?)```", readme, re.DOTALL)
    assert m is not None, f"README lost its GitHub workflow block ({marker})"
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
    inventory = yaml.safe_load(_readme_workflow("inventory-workflow"))
    steps = action["runs"]["steps"] + workflow["jobs"]["keylint"]["steps"] + [s for job in inventory["jobs"].values() for s in job["steps"]]
    scripts = [s["run"] for s in steps if "run" in s]
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


def test_readme_inventory_workflow_is_valid_and_merges_the_matrix(tmp_path: Path) -> None:
    text = _readme_workflow("inventory-workflow")
    (tmp_path / "inventory.yml").write_text(text)
    done = _check_jsonschema("vendor.github-workflows", tmp_path / "inventory.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = yaml.safe_load(text)["jobs"]
    assert jobs["inventory"]["strategy"]["matrix"]["repository"] and jobs["merge"]["needs"] == "inventory"
    checkout = jobs["inventory"]["steps"][0]
    assert checkout["with"]["repository"] == "${{ matrix.repository }}" and checkout["with"]["persist-credentials"] is False
    upload = next(s for s in jobs["inventory"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    download = next(s for s in jobs["merge"]["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert upload["with"]["name"].startswith("inventory-") and download["with"]["pattern"] == "inventory-*"
    assert any("keylint inventory --merge" in s.get("run", "") for s in jobs["merge"]["steps"])


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` step as the runner runs it: bash -e, the step's env, keylint of this checkout on PATH."""
    full = {**os.environ, **env, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    (cwd / ".step.sh").write_text(script)
    try:
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", ".step.sh"], cwd=cwd, env=full, capture_output=True, text=True, timeout=300, check=False)
    finally:
        (cwd / ".step.sh").unlink()


def test_readme_inventory_workflow_steps_run_for_real(tmp_path: Path) -> None:
    """Each matrix job's inventory step in its checkout, the artifacts laid out as download-artifact
    lays them out, then the merge step: one key in two repositories is one known, critical row."""
    jobs = yaml.safe_load(_readme_workflow("inventory-workflow"))["jobs"]
    inventory_step = next(s for s in jobs["inventory"]["steps"] if s.get("name") == "Inventory")
    merge_step = next(s for s in jobs["merge"]["steps"] if s.get("name") == "Merge")
    shared = "matrix-shared-jwt-secret-5e2a9c7f1d3b"
    sources = {"acme/shop": {".env.production": f"JWT_SECRET={shared}\n"}, "acme/billing": {"billing/tokens.py": f'import jwt\nKEY = "{shared}"\njwt.encode({{"exp": 1}}, KEY)\n'}, "acme/docs": {"README.md": "no keys\n"}}
    workspace = tmp_path / "merge"
    for index, (repository, files) in enumerate(sources.items()):
        checkout = tmp_path / repository.replace("/", "-")
        for rel, content in files.items():
            (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
            (checkout / rel).write_text(content)
        subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
        done = _run_step(inventory_step["run"], checkout, {"REPOSITORY": repository, "KEYLINT_CACHE_DIR": str(tmp_path / "cache")})
        assert done.returncode == 0, done.stderr
        artifact = workspace / "inventories" / f"inventory-{index}"
        artifact.mkdir(parents=True)
        (checkout / "inventory.json").rename(artifact / "inventory.json")
    known = subprocess.run(["keylint", "fingerprint"], input=shared, capture_output=True, text=True, check=True).stdout
    (workspace / "production-keys.txt").write_text(known.replace("stdin", "payments JWT key"))
    done = _run_step(merge_step["run"], workspace, {})
    assert done.returncode == 1, done.stdout + done.stderr  # a known production key fails the job
    merged = json.loads((workspace / "keys.json").read_text())
    assert merged["repositories"] == ["acme/billing", "acme/docs", "acme/shop"]
    [row] = merged["keys"]
    assert row["severity"] == "critical" and row["repositories"] == ["acme/billing", "acme/shop"]
    assert {(p["repository"], p["path"], p["code"]) for p in row["places"]} == {("acme/shop", ".env.production", "KL111"), ("acme/billing", "billing/tokens.py", "KL101")}
    assert "in 2 repositories" in done.stdout and shared not in done.stdout + (workspace / "keys.json").read_text()


def test_readme_history_workflow_is_valid_and_its_scan_reports_a_deleted_key(tmp_path: Path) -> None:
    text = _readme_workflow("history-workflow")
    (tmp_path / "history.yml").write_text(text)
    done = _check_jsonschema("vendor.github-workflows", tmp_path / "history.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    steps = yaml.safe_load(text)["jobs"]["history"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    inputs = {k: str(v) for k, v in steps[1]["with"].items()}
    assert "--history" in inputs["args"].split()
    root = _workspace(tmp_path)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "auth"], cwd=root, check=True)
    (root / "app/auth.py").write_text('import os\n\nimport jwt\n\n\ndef token(claims):\n    return jwt.encode(claims, os.environ["K"])\n')
    subprocess.run([*git, "commit", "-qam", "key from the environment"], cwd=root, check=True)
    code, output, outputs = _run_scan_step(root, tmp_path, inputs)
    assert code == 0 and outputs["exit-code"] == "1" and outputs["sarif-file"] == "keylint.sarif"  # fail-on-findings: "false"
    errors = [line for line in output.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1 and errors[0].startswith("::error file=app/auth.py,line=5,") and "deleted from every branch" in errors[0]
    sarif = (root / "keylint.sarif").read_text()
    (run,) = assert_valid_sarif(sarif)["runs"]
    (result,) = run["results"]
    assert run["automationDetails"]["id"] == "keylint-history/" and result["properties"]["deleted"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/auth.py"
    assert "action-test-hard-coded-key-00001" not in output + sarif
