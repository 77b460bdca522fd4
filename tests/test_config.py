"""Configuration loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from keylint.catalog import CatalogError, load_catalog
from keylint.config import Config, ConfigError, find_root, load_config


def test_pyproject_table_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.keylint]\nselect = ["KL1"]\nignore = ["KL11"]\nextend-exclude = ["vendor"]\n')
    config = load_config(tmp_path)
    assert config.config_file == tmp_path / "pyproject.toml"
    assert config.enabled("KL101") and not config.enabled("KL111") and not config.enabled("KL201")
    assert Config(root=tmp_path, select=("KL",), ignore=("KL1",)).enabled("KL101") is False
    assert Config(root=tmp_path, select=("KL101",), ignore=("KL1",)).enabled("KL101") is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.keylint]\nselct = []\n", "unknown key 'selct'"),
        ("[tool.keylint]\nselect = 'KL1'\n", "'select' must be a list"),
        ("[tool.keylint]\nmax-file-size = true\n", "'max-file-size' must be a int"),
        ("[tool.keylint\n", "invalid TOML"),
        ("[tool.keylint]\nper-file-ignores = { 'a/*' = 'KL1' }\n", "must be a list of codes"),
    ],
)
def test_bad_configuration_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_root_is_the_nearest_marker(tmp_path: Path) -> None:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "keylint.toml").write_text("")
    assert find_root(tmp_path / "proj" / "pkg") == tmp_path / "proj"


def test_extend_catalogs_appends_and_rejects_typos(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[[signer]]\ncall = "acme.sign"\nposition = 1\n')
    catalog = load_catalog((str(good),))
    assert "acme.sign" in catalog.signer_by_call and "jwt.encode" in catalog.signer_by_call
    bad = tmp_path / "bad.toml"
    bad.write_text('[[signer]]\ncall = "acme.sign"\npostion = 1\n')
    with pytest.raises(CatalogError, match="unknown key 'postion'"):
        load_catalog((str(bad),))


def test_user_signer_is_used(project) -> None:
    from conftest import scan_project

    root = project({"a.py": "from acme import sign\nsign({'sub': 1}, 'user-catalog-signer-key-01')\n", "cat.toml": '[[signer]]\ncall = "acme.sign"\nposition = 1\n'})
    (root / "keylint.toml").write_text('extend-catalogs = ["cat.toml"]\n')
    assert [(f.location.path, f.code) for f in scan_project(root).findings] == [("a.py", "KL101")]
