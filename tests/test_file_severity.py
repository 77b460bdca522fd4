"""Severity of the findings decided from one file: what the evidence in the file says a finding risks."""

from __future__ import annotations

from conftest import scan_project

AWS = "AKIA" + "Q3VZ7KD2M4XH6PLT"  # shaped like an access key id, not a documented example


def _severities(report) -> dict[tuple[str, str], str]:
    return {(f.location.path, f.code): f.severity.value for f in report.findings}


def test_test_data_folders_of_other_ecosystems_are_test_paths(project) -> None:
    files = {f"{folder}/client.py": f'ACCESS = "{AWS}"\n' for folder in ("unittests/scans", "testdata", "spec", "e2e/smoke", "app")}
    found = _severities(scan_project(project(files)))
    assert found == {
        ("unittests/scans/client.py", "KL113"): "low",
        ("testdata/client.py", "KL113"): "low",
        ("spec/client.py", "KL113"): "low",
        ("e2e/smoke/client.py", "KL113"): "low",
        ("app/client.py", "KL113"): "high",
    }


def test_an_encrypted_private_key_is_below_a_clear_one() -> None:
    from conftest import FIXTURES

    found = _severities(scan_project(FIXTURES / "kl1-key-material"))
    assert found[("keys/service.pem", "KL110")] == "critical"
    assert found[("keys/partner.p8", "KL110")] == "high"  # PKCS#8 ENCRYPTED PRIVATE KEY
    assert found[("keys/legacy-encrypted.pem", "KL110")] == "high"  # Proc-Type: 4,ENCRYPTED


def test_data_files_are_low_and_configuration_stays_high() -> None:
    from conftest import FIXTURES

    found = _severities(scan_project(FIXTURES / "kl1-config-values"))
    assert found[("db/users.json", "KL111")] == "low"  # an ORM fixture
    assert found[("replay/checkout.yaml", "KL111")] == "low"  # a recorded HTTP session
    assert found[("config/service.yml", "KL111")] == "high"


def test_an_expired_token_or_one_in_documentation_is_low_and_a_live_one_is_not() -> None:
    from conftest import FIXTURES

    found = _severities(scan_project(FIXTURES / "kl1-one-per-cause"))
    assert found[("scripts/replay.py", "KL112")] == "low"  # exp in 2001
    assert found[("README.md", "KL112")] == "low"  # documentation
    assert found[("scripts/smoke.sh", "KL112")] == "medium"  # exp in 2100, in a script


def test_a_key_pasted_into_an_example_file_is_reported_low() -> None:
    from conftest import FIXTURES

    found = _severities(scan_project(FIXTURES / "kl1-config-files"))
    assert found[(".env.example", "KL111")] == "low"
    assert found[(".env", "KL111")] == "high"


def test_test_data_is_silent_by_name_and_configuration_is_not() -> None:
    from conftest import FIXTURES

    found = _severities(scan_project(FIXTURES / "kl1-test-data"))
    assert found[("config/leak-alerts.json", "KL111")] == "high"  # configuration outside tests
    assert found[("tests/.env.test", "KL111")] == "low"  # configuration of the test suite
    assert found[("tests/scans/leaks-report.json", "KL113")] == "low"  # a GitHub token, in test data too
    assert not {path for path, _ in found} & {"tests/scans/sca-response.json", "tests/pages/knife-review.html"}
