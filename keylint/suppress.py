"""Which drafts a user asked not to see, and which lie under the paths the user named.

One place for both, used by the scan and by history alike: an inline suppression comment
on the flagged line or the line above, a `per-file-ignores` pattern, and the named paths (pre-commit
passes only the changed files, yet the whole project is read).
"""

from __future__ import annotations

import fnmatch
from typing import Iterable, Sequence

from keylint.config import Config
from keylint.extract.facts import Suppression
from keylint.model import Draft


def suppressed(draft: Draft, suppressions: Iterable[Suppression], config: Config) -> bool:
    """`draft` is ignored by a per-file pattern or by a suppression comment of its file."""
    for pattern, codes in config.per_file_ignores:
        if fnmatch.fnmatchcase(draft.path, pattern) and any(draft.code.startswith(c) for c in codes):
            return True
    return any(s.line in (draft.span.line, draft.span.line - 1) and draft.code in s.codes for s in suppressions)


def under(path: str, selected: Sequence[str] | None) -> bool:
    """`path` lies under one of the root-relative `selected` paths (None: everything is selected)."""
    if selected is None:
        return True
    return any(s in ("", ".") or path == s or path.startswith(s.rstrip("/") + "/") for s in selected)


def reported(draft: Draft, selected: Sequence[str] | None) -> bool:
    """A draft is reported when it, or one of its related locations, lies under the named paths."""
    return under(draft.path, selected) or any(under(p, selected) for p, _, _ in draft.related)
