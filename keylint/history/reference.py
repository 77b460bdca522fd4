"""The exhaustive reference: every commit's tree, every file version in it.

Slow on purpose and simple on purpose: the fast path is checked against it (tests, and
`bench/history_compare.py` on real repositories). Commits are taken in the same order as the
fast path takes them; each commit's whole tree is listed, and every (path, blob) in it not seen
in an earlier commit is a version to analyse, first seen there. A subtree already listed at the
same path in an earlier commit holds only versions seen before, so it is not listed again: that
changes what is read, never what is found. Whole histories only: for a range, keys already in
the commits before it are reported too.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from keylint.config import Config
from keylint.history import git
from keylint.history.analysis import Version
from keylint.history.prefilter import wanted

_REGULAR = (b"100644", b"100755")


def versions(repo: git.Repository, arguments: Sequence[str], config: Config, progress: Callable[[int, int, int, int], None] | None = None) -> tuple[list[git.Commit], list[Version], int]:
    commits = git.commits(repo, arguments)
    trees = git.Trees(repo)
    seen_trees: set[tuple[str, str]] = set()  # (tree, path of the folder)
    seen: set[tuple[str, str]] = set()  # (blob, path)
    out: list[Version] = []
    try:
        for index, commit in enumerate(commits):
            folders = [(trees.root_of(commit.sha), "")]
            while folders:
                tree, folder = folders.pop()
                if (tree, folder) in seen_trees:
                    continue
                seen_trees.add((tree, folder))
                for mode, name, sha in trees.entries(tree):
                    path = folder + os.fsdecode(name)
                    if mode == b"40000":
                        folders.append((sha, path + "/"))
                    elif mode in _REGULAR and (sha, path) not in seen:
                        seen.add((sha, path))
                        rel = path[len(repo.prefix) :] if path.startswith(repo.prefix) else None
                        if rel and wanted(rel, config):
                            out.append(Version(index, rel, sha))
            if progress is not None:
                progress(index + 1, len(commits), len(out), 0)
    finally:
        trees.close()
    return commits, out, len(out)
