"""KL404: production's key in another environment's settings, told by file names and star imports."""

from __future__ import annotations

import pytest

from conftest import scan_project
from keylint.environments import environment_of, is_environment_settings, is_settings_module

KEY = "Zq4vN8rT2mW6yB1kH5dJ9sF3gL7cX0pA"


@pytest.mark.parametrize(
    ("path", "environment"),
    [
        ("settings/prod.py", "production"),
        ("config/production.py", "production"),
        (".env.production", "production"),
        ("deploy/helm/values-prod.yaml", "production"),
        ("deploy/prod/values.yaml", "production"),
        ("k8s/overlays/staging/secrets.yaml", "staging"),
        (".env.development", "development"),
        (".env.local", "development"),
        ("docker-compose.override.dev.yml", "development"),
        (".devcontainer/docker-compose.yml", "development"),
        ("tests/settings.py", "test"),
        ("docker-compose.override.unit_tests.yml", "test"),
        (".github/workflows/ci.yml", "test"),
        (".gitlab-ci.yml", "test"),
        ("prod/tests/settings.py", "test"),  # the innermost name wins
        (".env", None),
        ("settings/base.py", None),
        ("docker-compose.yml", None),
        ("app/products.py", None),  # "products" is not "prod"
    ],
)
def test_environment_is_told_by_the_file_name_then_the_folders(path: str, environment: str | None) -> None:
    assert environment_of(path) == environment


def test_settings_modules() -> None:
    assert is_settings_module("shop/settings/base.py") and is_settings_module("local_settings.py")
    assert is_environment_settings("config/production.py") and not is_environment_settings("config/base.py")
    assert not is_settings_module("shop/views.py") and not is_environment_settings("tests/test_views.py")


def _found(root) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.span.line, f.code) for f in scan_project(root).findings}


def test_dotenv_files_of_two_environments(project) -> None:
    root = project({".env.development": f"JWT_SECRET={KEY}\n", ".env.production": f"DEBUG=0\nJWT_SECRET={KEY}\n"})
    report = scan_project(root)
    assert {(f.location.path, f.location.span.line, f.code) for f in report.findings} == {
        (".env.development", 1, "KL111"),
        (".env.production", 2, "KL404"),  # replaces production's KL111: one finding per root cause
    }
    shared = next(f for f in report.findings if f.code == "KL404")
    assert shared.severity.value == "high" and "development" in shared.message and "KL111" in shared.message
    assert [(r.location.path, r.location.span.line) for r in shared.related] == [(".env.development", 1)]
    assert KEY not in shared.message and KEY[:8] not in shared.message


def test_a_key_in_base_settings_is_in_every_environment_that_star_imports_it(project) -> None:
    root = project(
        {
            "app/__init__.py": "",
            "app/settings/__init__.py": "",
            "app/settings/base.py": f'ADMIN_TOKEN_SECRET = "{KEY}"\n',
            "app/settings/dev.py": "from .base import *\nDEBUG = True\n",
            "app/settings/prod.py": "from .base import *\nDEBUG = False\n",
        }
    )
    report = scan_project(root)
    assert {(f.location.path, f.code) for f in report.findings} == {("app/settings/base.py", "KL404")}
    related = {(r.location.path, r.message) for r in report.findings[0].related}
    assert ("app/settings/prod.py", "production settings inherit the key from app/settings/base.py:1") in related
    assert ("app/settings/dev.py", "development settings inherit the key from app/settings/base.py:1") in related


def test_production_that_sets_its_own_key_shares_nothing(project) -> None:
    root = project(
        {
            "app/settings/__init__.py": "",
            "app/settings/base.py": f'ADMIN_TOKEN_SECRET = "{KEY}"\n',
            "app/settings/dev.py": "from .base import *\n",
            "app/settings/prod.py": 'import os\nfrom .base import *\nADMIN_TOKEN_SECRET = os.environ["ADMIN_TOKEN_SECRET"]\n',
        }
    )
    assert _found(root) == {("app/settings/base.py", 1, "KL101")}


def test_a_key_shared_only_by_development_and_test_is_not_reported(project) -> None:
    root = project(
        {
            ".env.development": f"SESSION_SECRET={KEY}\n",
            ".env.test": f"SESSION_SECRET={KEY}\n",
            ".env.production": "SESSION_SECRET=${VAULT_SESSION_SECRET}\n",
        }
    )
    assert _found(root) == {(".env.development", 1, "KL111"), (".env.test", 1, "KL111")}


def test_production_falling_back_to_the_key_is_kl102_not_kl404(project) -> None:
    root = project(
        {
            "app/settings/__init__.py": "",
            "app/settings/base.py": f'import os\nSIGNING_KEY = os.getenv("SIGNING_KEY", "{KEY}")\n',
            "app/settings/dev.py": "from .base import *\n",
            "app/settings/prod.py": "from .base import *\n",
        }
    )
    assert _found(root) == {("app/settings/base.py", 2, "KL102")}


def test_different_keys_or_example_files_are_not_shared(project) -> None:
    root = project(
        {
            ".env.development": "JWT_SECRET=dev-only-4f1e7c2a9b3d8e6f0a5c\n",
            ".env.production": f"JWT_SECRET={KEY}\n",
            ".env.production.example": f"JWT_SECRET={KEY}\n",
        }
    )
    assert {code for _, _, code in _found(root)} == {"KL111"}


def test_kl404_can_be_selected_alone_and_ignored(project) -> None:
    files = {".env.development": f"JWT_SECRET={KEY}\n", ".env.production": f"JWT_SECRET={KEY}\n"}
    assert {f.code for f in scan_project(project(files), select=("KL404",)).findings} == {"KL404"}
    assert {(f.location.path, f.code) for f in scan_project(project(files), ignore=("KL404",)).findings} == {
        (".env.development", "KL111"), (".env.production", "KL111"),
    }
