"""Python extraction: one LibCST parse and one batched visit per file, producing `PythonFacts`.

Each rule family contributes a `FactVisitor` to `VISITORS`; all of them run in a single traversal
with only position metadata (no scope analysis: scopes here are the simple lexical chain of classes
and functions, which is all the families need).
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from keylint.catalog import Catalog
from keylint.extract.facts import FileFinding, PythonFacts
from keylint.extract.keys import KeyVisitor
from keylint.extract.models import ModelVisitor
from keylint.extract.pyvisit import FactVisitor, ModuleState, _Closer, _Opener
from keylint.extract.routes import RouteVisitor
from keylint.extract.tokens import TokenVisitor

# Family visitors, in the order they see each node (after the opener, before the closer).
VISITORS: tuple[type[FactVisitor], ...] = (KeyVisitor, ModelVisitor, TokenVisitor, RouteVisitor)


def module_name(path: str) -> tuple[str, bool]:
    """`app/core/settings.py` -> ("app.core.settings", False); `pkg/__init__.py` -> ("pkg", True)."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi", ".pyw")) else path
    parts = stem.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def extract_python(path: str, module: cst.Module, catalog: Catalog) -> tuple[PythonFacts, list[FileFinding]]:
    name, is_package = module_name(path)
    facts = PythonFacts(module=name, is_package=is_package)
    findings: list[FileFinding] = []
    state = ModuleState(facts, catalog, findings)
    visitors = [_Opener(state), *(cls(state) for cls in VISITORS), _Closer(state)]
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(visitors)
    return facts, findings
