"""Inline suppressions and per-file ignores."""

from __future__ import annotations

from conftest import scan_project


def test_suppression_on_the_line_or_the_line_above(project) -> None:
    root = project(
        {
            "a.py": (
                'SECRET_KEY = "suppressed-on-the-same-line"  # keylint: ignore[KL101] test settings only\n'
                "# keylint: ignore[KL101, KL102] rotated in 2024, kept for old links\n"
                'JWT_SECRET = "suppressed-from-the-line-above"\n'
                'SIGNING_KEY = "not-suppressed-at-all-00000"\n'
            )
        }
    )
    report = scan_project(root)
    assert [(f.location.span.line, f.code) for f in report.findings] == [(4, "KL101")]
    assert report.errors == ()


def test_bare_suppression_is_reported_and_suppresses_nothing(project) -> None:
    root = project({"a.py": 'SECRET_KEY = "bare-ignore-does-nothing-0"  # keylint: ignore\n'})
    report = scan_project(root)
    assert [f.code for f in report.findings] == ["KL101"]
    assert [(e.path, e.line, e.kind) for e in report.errors] == [("a.py", 1, "suppression")]


def test_wrong_code_does_not_suppress(project) -> None:
    root = project({"a.py": 'SECRET_KEY = "other-code-does-not-help-0"  # keylint: ignore[KL111]\n'})
    assert [f.code for f in scan_project(root).findings] == ["KL101"]


def test_per_file_ignores(project) -> None:
    root = project({"scripts/x.py": 'SECRET_KEY = "ignored-in-scripts-folder-00"\n', "app.py": 'SECRET_KEY = "reported-in-the-app-000000"\n'})
    (root / "keylint.toml").write_text('[per-file-ignores]\n"scripts/*" = ["KL1"]\n')
    assert [f.location.path for f in scan_project(root).findings] == ["app.py"]


def test_prose_that_explains_the_syntax_is_not_a_suppression(project) -> None:
    root = project({"README.md": "A bare `# keylint: ignore` suppresses nothing.\n", "a.py": "x = 1\n"})
    assert scan_project(root).errors == ()
