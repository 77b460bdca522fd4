"""KL5xx verification: what counts as verified, how the declared PyJWT decides `verify=`, and severities."""

from __future__ import annotations

from conftest import FIXTURES, scan_project
from keylint.link.tokens import _majors


def _found(root, codes: tuple[str, ...]) -> dict[tuple[str, int, str], tuple[str, str]]:
    return {(f.location.path, f.location.span.line, f.code): (f.severity.value, f.message) for f in scan_project(root).findings if f.code in codes}


def test_claims_only_logged_are_low_and_a_script_is_judged_by_what_it_serves() -> None:
    found = _found(FIXTURES / "kl5-peek-verify", ("KL501",))
    assert found[("api/peek.py", 68, "KL501")][0] == "low"
    assert ("scripts/inspect_token.py", 12, "KL501") not in found  # a CLI that serves nothing
    assert found[("scripts/preview_server.py", 14, "KL501")][0] == "critical"  # a script that serves a route
    assert found[("api/peek.py", 22, "KL501")][0] == "critical"  # claims returned as the user's
    assert "by hand" in found[("api/by_hand.py", 14, "KL501")][1]


def test_verify_false_follows_the_declared_pyjwt() -> None:
    assert not _found(FIXTURES / "kl5-pyjwt2-verify-ignored", ("KL501",)).keys() - {("svc/tokens.py", 17, "KL501")}
    (severity, message), = _found(FIXTURES / "kl5-pyjwt1-verify-honoured", ("KL501",)).values()
    assert severity == "critical" and "declares a PyJWT 1.x (setup.py:7)" in message
    undeclared = _found(FIXTURES / "kl5-verification", ("KL501",))[("api/unverified.py", 30, "KL501")][1]
    assert "declares no PyJWT version" in undeclared


def test_requirement_specs_give_the_major_versions_they_allow() -> None:
    assert _majors("==1.5.2") == (1, 1)
    assert _majors(">=2.1.0,<3.0.0") == (2, 2)
    assert _majors("<2") == (0, 1)
    assert _majors("~=1.7") == (1, 1)
    assert _majors(">=1.5") == (1, None)
    assert _majors("") is None


def test_algorithm_confusion_is_high_only_where_an_asymmetric_key_is_in_play() -> None:
    found = _found(FIXTURES / "kl5-verification", ("KL503",))
    shared, public = found[("api/algorithms.py", 33, "KL503")], found[("api/algorithms.py", 47, "KL503")]
    assert shared[0] == "medium" and "hardening" in shared[1]
    assert public[0] == "high" and "algorithm confusion" in public[1]


def test_one_verifier_in_both_arms_of_an_if_is_one_finding() -> None:
    findings = [f for f in scan_project(FIXTURES / "kl5-verification").findings if f.code == "KL503" and f.location.path == "api/algorithms.py" and f.location.span.line in (40, 42)]
    assert len(findings) == 1 and [r.location.span.line for r in findings[0].related] == [42]


def test_a_lifetime_of_a_million_days_is_no_expiry() -> None:
    (severity, message), = [v for k, v in _found(FIXTURES / "kl4-flask-jwt-default", ("KL403",)).items()]
    assert "about 2,740 years" in message
