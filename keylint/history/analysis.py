"""The analysis of one file version: what a tree scan of those bytes, at that path, finds.

Used alike by the fast path and by the exhaustive reference, so that the two differ only in which
versions they analyse. Each version is extracted in the tree scan's worker pool (a deadline and a
memory cap per file, a secrets-only retry for a file that crashes or overruns: the input is
untrusted), linked as a project of one file, checked for the key rules (KL1xx), suppressed and
finalized by the scan's own steps (`keylint.suppress`, `keylint.finalize`), so the same blob
gives the same snippet and fingerprint as a tree scan. A key used in the same file is followed;
one used from another module of that commit is not (history links no commit as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from keylint.catalog import Catalog
from keylint.config import Config
from keylint.discover import sniff_binary
from keylint.extract import PYTHON_SUFFIXES, decode
from keylint.extract.facts import FileFacts
from keylint.finalize import finalize_file
from keylint.history.gate import Gate
from keylint.model import Finding
from keylint.supersede import supersede
from keylint.suppress import suppressed
from keylint.workers import Limits, Task, extract_isolated

BINARY, TOO_LARGE = "binary", "too large"


def unreadable(data: bytes | None, config: Config) -> str | None:
    """Why a tree scan would not read this version (None: it would)."""
    if data is None or len(data) > config.max_file_size:
        return TOO_LARGE
    if sniff_binary(data[:8192]):
        return BINARY
    return None


@dataclass(frozen=True, slots=True)
class Version:
    """A file version to analyse; `index` is its commit's place among the commits read."""

    index: int
    path: str
    blob: str
    baseline: bool = False  # from before the range: its keys are not new ones
    # chosen only for a Python rule's word: `keylint.history.gate` may show it holds no new key
    gated: bool = False


@dataclass(frozen=True, slots=True)
class Analysed:
    findings: tuple[Finding, ...]
    not_utf8: bool  # decoded with replacement characters, as the tree scan decodes it
    problem: str  # a crash or timeout the worker pool reported ("" when none)


def analyse(versions: Sequence[tuple[str, bytes]], config: Config, catalog: Catalog, jobs: int, limits: Limits, known: dict[str, str] | None = None) -> list[Analysed]:
    """The key findings of each (path, bytes), in order; `known`: the known-keys file's
    fingerprints (digest -> label), whose keys are KL116 wherever they are."""
    if not versions:
        return []
    tasks: list[Task] = [(path, data, config.extend_catalogs, False, False, True) for path, data in versions]
    facts = extract_isolated(tasks, jobs, limits)
    return [_checked(f, data, config, catalog, known or {}) for f, (_, data) in zip(facts, versions)]


def _checked(facts: FileFacts, data: bytes, config: Config, catalog: Catalog, known: dict[str, str]) -> Analysed:
    # imported here: the rule families are loaded only once something is analysed
    from keylint.checks import kl116_known_production_key as kl116
    from keylint.checks import run_checks
    from keylint.checks.base import Context
    from keylint.link import Project

    # with known keys, every key finding is made (a known key may be one the user does not select)
    drafts = run_checks(Context(Project([facts]), catalog), lambda code: code.startswith("KL1") and (config.enabled(code) or bool(known)))
    kept = [d for d in drafts if not suppressed(d, facts.suppressions, config)]
    if known and config.enabled(kl116.CODE):  # as in a scan: a known key is found even where its other findings are suppressed
        found = [d for d in kl116.match(drafts, known) if not suppressed(d, facts.suppressions, config)]
        kept = supersede([*kept, *found], catalog)
    kept = [d for d in kept if config.enabled(d.code)]
    findings = finalize_file(facts.path, decode(data)[0], facts.digest, kept, config, catalog)
    problems = [e.message for e in facts.errors if e.kind in ("crash", "timeout")]
    return Analysed(tuple(findings), any(e.kind == "decode" for e in facts.errors), "; ".join(problems))


def material(path: str, data: bytes, catalog: Catalog, gate: Gate, blob: str | None = None) -> frozenset[str] | None:
    """The keys these bytes still hold where a rule could use them, without LibCST: what the
    file-level detectors find (PEM and JWK keys, tokens, credentials, configuration entries)
    and, for a Python file, the literals the gate shows could reach a key sink (as
    "sha256:<digest>", a literal key's identity). None when that does not settle it (the gate
    cannot bound the file, or a finding has no key material). It answers "does this branch
    still carry the key?" alike for the fast path and the reference; `blob`: the object the
    bytes were read from, for the gate's memory."""
    from keylint.extract.config_files import is_config_file, scan_config
    from keylint.extract.jwk import scan_json
    from keylint.extract.secrets import scan_text
    from keylint.history.gate import UNKNOWN

    text = decode(data)[0]
    found = list(scan_text(path, text))
    if is_config_file(path):
        found += scan_config(path, text, catalog.key_names)
    if path.endswith((".json", ".jwk", ".jwks")):
        found += scan_json(path, text)
    if any(not f.key for f in found):
        return None
    held = {f"sha256:{f.key}" for f in found}
    if path.endswith(PYTHON_SUFFIXES):
        candidates = gate.candidates(text, blob)
        if UNKNOWN in candidates:
            return None
        held |= {f"sha256:{d}" for d in candidates}
    return frozenset(held)


def identity(finding: Finding) -> str:
    """What one leaked key is known by: its material's fingerprint, else the finding's own
    (a weak key generator, a key whose material keylint cannot normalize)."""
    return f"sha256:{finding.key}" if finding.key else f"finding:{finding.fingerprint}"
