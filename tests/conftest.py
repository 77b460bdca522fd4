"""Shared test helpers: scanning a project for real, and validating every SARIF log against the schema."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest

from keylint.catalog import load_catalog
from keylint.config import load_config
from keylint.engine import ScanOptions, scan
from keylint.model import Report
from keylint.report.sarif import render as render_sarif

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_valid_sarif(text: str) -> dict:
    """Parse and validate a SARIF log; every test that produces SARIF calls this."""
    log = json.loads(text)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    for run in log["runs"]:
        assert "results" in run  # R2: upload-sarif rejects a run without it
        for result in run["results"]:
            assert len(result["locations"]) == 1
    return log


def scan_project(root: Path, selected: list[str] | None = None, jobs: int = 1, cache_dir: Path | None = None, prefilter: bool = True, **overrides: object) -> Report:
    config = load_config(root, None, overrides or None)
    report = scan(config, selected, ScanOptions(jobs=jobs, cache_dir=cache_dir, prefilter=prefilter))
    assert_valid_sarif(render_sarif(report, load_catalog(config.extend_catalogs)))
    return report


@pytest.fixture
def project(tmp_path: Path):
    """Write a project from {relative path: text} and return its root (marked by keylint.toml)."""

    def make(files: dict[str, str | bytes]) -> Path:
        (tmp_path / "keylint.toml").write_text("")
        for rel, content in files.items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return tmp_path

    return make
