"""Fingerprints: GitHub's primaryLocationLineHash and keylint's own line-independent one."""

from __future__ import annotations

import hashlib

_BLOCK = 100
_MASK = (1 << 64) - 1
_BASE = 37
_FIRST_MOD = pow(_BASE, _BLOCK, 1 << 64)
_EOF = 65535
_SPACE, _TAB, _LF, _CR = 32, 9, 10, 13


def line_hashes(text: str, stop_after_line: int | None = None) -> list[str]:
    """GitHub code scanning's per-line hashes (codeql-action `src/fingerprints.ts`), index = line - 1.

    A rolling base-37 hash over the next 100 kept UTF-16 code units from each line's first kept
    character; spaces and tabs are skipped, CR and CRLF become LF. `stop_after_line` lets callers
    that need only the first N lines stop early (each hash looks 100 characters ahead).
    """
    window = [0] * _BLOCK
    line_numbers = [-1] * _BLOCK
    out: list[str] = []
    counts: dict[str, int] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def output() -> None:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        out.append(f"{value}:{counts[value]}")
        line_numbers[state["index"]] = -1

    def update(current: int) -> None:
        i = state["index"]
        begin = window[i]
        window[i] = current
        state["hash"] = (_BASE * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (i + 1) % _BLOCK

    def process(current: int) -> None:
        if current in (_SPACE, _TAB) or (state["prev_cr"] and current == _LF):
            state["prev_cr"] = False
            return
        if current == _CR:
            current = _LF
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == _LF:
            state["line_start"] = True
        update(current)

    units = text.encode("utf-16-le")
    limit = None if stop_after_line is None else stop_after_line
    for k in range(0, len(units), 2):
        process(units[k] | (units[k + 1] << 8))
        if limit is not None and len(out) >= limit:
            return out
    process(_EOF)
    for _ in range(_BLOCK):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


def content_fingerprint(code: str, path: str, flagged: str, occurrence: int) -> str:
    """keylint's own fingerprint: no line number, so it survives edits that move lines.

    `flagged` is the normalized flagged source, or a digest of it where it holds a secret.
    """
    normalized = " ".join(flagged.split())
    data = "\x1f".join((code, path, normalized, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]
