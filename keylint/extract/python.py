"""Python extraction: one LibCST parse and one batched visit per file, producing `PythonFacts`.

Each rule family contributes a `FactVisitor` to `VISITORS`; all of them run in a single read-only
traversal (`keylint.extract.walk`) with no LibCST metadata: positions come from a cheap token pre-pass (`keylint.extract.positions`),
and scopes are the simple lexical chain of classes and functions, which is all the families need.
"""

from __future__ import annotations

import libcst as cst

from keylint.catalog import Catalog
from keylint.extract.facts import FileFinding, PythonFacts
from keylint.extract.key_sources import KeySourceVisitor
from keylint.extract.keys import KeyVisitor
from keylint.extract.models import ModelVisitor
from keylint.extract.positions import Positions
from keylint.extract.pyvisit import FactVisitor, ModuleState, _Closer, _Opener
from keylint.extract.routes.declarations import RouteDeclarationVisitor
from keylint.extract.routes.flows import HandlerFlowVisitor
from keylint.extract.tokens import TokenVisitor
from keylint.extract.walk import trivia_skip, walk

# Family visitors, in the order they see each node (after the opener, before the closer).
VISITORS: tuple[type[FactVisitor], ...] = (KeyVisitor, ModelVisitor, TokenVisitor, RouteDeclarationVisitor, HandlerFlowVisitor)
# What the key rules (KL1xx) read, and all they read: history, which checks those alone, runs only these.
KEY_VISITORS: tuple[type[FactVisitor], ...] = (KeyVisitor,)
# Visitors that walk a module only when its lower-cased text holds one of their words (full extraction only).
GATED_VISITORS: tuple[tuple[type[FactVisitor], tuple[str, ...]], ...] = ((KeySourceVisitor, KeySourceVisitor.WORDS),)


def module_name(path: str) -> tuple[str, bool]:
    """`app/core/settings.py` -> ("app.core.settings", False); `pkg/__init__.py` -> ("pkg", True)."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi", ".pyw")) else path
    parts = stem.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def extract_python(path: str, module: cst.Module, source: str, catalog: Catalog, visitors: tuple[type[FactVisitor], ...] = VISITORS) -> tuple[PythonFacts, list[FileFinding]]:
    name, is_package = module_name(path)
    facts = PythonFacts(module=name, is_package=is_package)
    findings: list[FileFinding] = []
    state = ModuleState(facts, catalog, findings, Positions(module, source))
    lowered = source.lower() if visitors is VISITORS else ""
    gated = [cls(state) for cls, words in GATED_VISITORS if any(w in lowered for w in words)]
    batch = [_Opener(state), *(cls(state) for cls in visitors), *gated, _Closer(state)]
    walk(module, batch, trivia_skip(batch))
    return facts, findings
