"""One finding per root cause: repeats are related locations, one literal is one finding."""

from __future__ import annotations

from conftest import FIXTURES, scan_project


def test_a_token_repeated_in_one_file_is_one_finding_with_the_repeat_related() -> None:
    report = scan_project(FIXTURES / "kl1-one-per-cause")
    (token,) = [f for f in report.findings if f.code == "KL112" and f.location.path == "scripts/smoke.sh"]
    assert token.location.span.line == 4
    assert [(r.location.path, r.location.span.line) for r in token.related] == [("scripts/smoke.sh", 7)]
    assert "again on line 7" in token.message


def test_a_private_key_used_to_sign_is_one_finding_carrying_both_facts() -> None:
    report = scan_project(FIXTURES / "kl1-one-per-cause")
    found = [f for f in report.findings if f.location.path == "app/signing.py"]
    assert [f.code for f in found] == ["KL110"]
    assert "Also KL101" in found[0].message and "jwt.encode" in found[0].message
    assert [r.location.span.line for r in found[0].related] == [15]  # where it signs


def test_each_rule_alone_still_reports_its_own_finding() -> None:
    report = scan_project(FIXTURES / "kl1-one-per-cause", select=["KL101"])
    assert [(f.location.path, f.code) for f in report.findings] == [("app/signing.py", "KL101")]


def test_a_password_is_reported_once_per_value_and_file_at_low() -> None:
    report = scan_project(FIXTURES / "kl1-config-values", select=["KL114"])
    found = {(f.location.path, f.location.span.line): f for f in report.findings}
    assert sorted(found) == [("deploy/compose.yml", 12), ("deploy/values.yaml", 15)]
    smtp = found[("deploy/compose.yml", 12)]
    assert [r.location.span.line for r in smtp.related] == [22]
    assert {f.severity.value for f in report.findings} == {"low"}


def test_a_key_literal_written_at_two_verifiers_is_one_kl101_with_the_repeat_related() -> None:
    report = scan_project(FIXTURES / "kl1-key-named-values", select=["KL101"])
    (key,) = [f for f in report.findings if f.location.path == "shop/verify.py"]
    assert key.location.span.line == 12
    assert [(r.location.path, r.location.span.line) for r in key.related] == [("shop/verify.py", 17)]
    assert "written 1 more time in this file" in key.message


def test_a_value_found_by_its_name_alone_is_called_a_secret_not_a_signing_key() -> None:
    report = scan_project(FIXTURES / "kl1-key-named-values", select=["KL101"])
    found = {f.location.span.line: f.message for f in report.findings if f.location.path == "shop/metadata.py"}
    assert found[52].startswith("Hard-coded secret ") and "HS256" not in found[52]  # a dict item, no signer
    assert found[42].startswith("Hard-coded signing key ")  # the constant jwt.encode signs with


def test_an_empty_key_given_to_a_signer_is_reported_as_empty(project) -> None:
    root = project({"app/tokens.py": "import jwt\n\ndef mint(sub):\n    return jwt.encode({'sub': sub, 'exp': 1}, '', algorithm='HS256')\n"})
    (key,) = [f for f in scan_project(root, select=["KL101"]).findings]
    assert key.location.span.line == 4 and key.message.startswith("An empty signing key is used as the key of jwt.encode()")
