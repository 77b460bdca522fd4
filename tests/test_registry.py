"""The rule registry: every check module is registered exactly once and matches rules/rules.toml."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from keylint.catalog import load_catalog
from keylint.checks import AFTER_CHECKS, REGISTRY, file_rules

CHECKS = Path(importlib.import_module("keylint.checks").__file__ or "").parent
RULE_MODULE = re.compile(r"^kl(\d{3})_(\w+)\.py$")


def test_every_rule_module_is_registered_once_under_its_own_code() -> None:
    modules = sorted(p.name for p in CHECKS.glob("kl*.py"))
    assert modules, CHECKS
    registered = [check.__module__ for _, check in REGISTRY]
    assert len(registered) == len(set(registered)), registered
    for name in modules:
        m = RULE_MODULE.match(name)
        assert m is not None, f"{name}: rule modules are named kl<code>_<rule_name>.py"
        module = importlib.import_module(f"keylint.checks.{name[:-3]}")
        assert module.CODE == f"KL{m.group(1)}", name
        entries = [codes for codes, check in REGISTRY if check is getattr(module, "check", None)]
        if module.CODE in AFTER_CHECKS:  # decided from the checks' drafts by the engine, not a check
            assert entries == [] and not hasattr(module, "check"), name
        else:
            assert entries == [(module.CODE,)], f"{name} is registered {len(entries)} times"


def test_registry_and_rules_toml_name_the_same_rules() -> None:
    rules = {r.code: r.name for r in load_catalog().rules}
    codes = [c for codes, _ in REGISTRY for c in codes]
    assert len(codes) == len(set(codes)), codes  # no code is emitted by two checks
    assert not set(codes) & set(AFTER_CHECKS)
    assert set(codes) | set(AFTER_CHECKS) == set(rules)
    for name in (p.name for p in CHECKS.glob("kl*.py")):
        m = RULE_MODULE.match(name)
        assert m is not None
        assert m.group(2).replace("_", "-") == rules[f"KL{m.group(1)}"], f"{name} does not match rules.toml's name"
    assert set(file_rules.CODES) <= set(rules)
