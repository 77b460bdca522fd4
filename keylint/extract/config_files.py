"""KL111: key-like values in configuration files, found by key name, one line at a time.

Line-based on purpose: it reads broken and templated files (Helm charts, compose files with
`${VAR}`) that a strict YAML/TOML parser would reject, and keeps exact line and column positions.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Iterator

from keylint.catalog import KeyNames
from keylint.extract.facts import FileFinding, redact
from keylint.keymaterial import secret_id
from keylint.model import Span

_CONFIG_SUFFIXES = (".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".json", ".properties", ".env")
_LOCK_FILES = {"package-lock.json", "poetry.lock", "pipfile.lock", "yarn.lock", "composer.lock", "pnpm-lock.yaml", "uv.lock"}
# Shell start-up files: `export JWT_SECRET=...` in a profile is a key on a laptop.
_SHELL_PROFILES = {".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv", ".zlogin", ".envrc", "config.fish"}
_EXAMPLE_WORDS = ("example", "sample", "template", "dist", "tmpl", "tpl", "default", "defaults")

_KV = re.compile(
    r"""^(?P<indent>\s*)(?:-\s+)?(?:export\s+)?
        (?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)(?P=q)\s*
        (?P<sep>[:=])\s*(?P<value>.*?)\s*$""",
    re.VERBOSE,
)
_K8S_NAME = re.compile(r"""^\s*-?\s*name:\s*["']?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*$""")
_K8S_VALUE = re.compile(r"""^\s*value:\s*(?P<value>.*?)\s*$""")

# Values that are references to a secret kept elsewhere, in any file.
_TEMPLATED = re.compile(
    r"""^\$|\$\{|\$\(|\{\{|\{%|%\(|%\{|#\{|^<.*>$|^ENC\[|^vault:|^!vault|^ref\+|^arn:aws:secretsmanager|^projects/.+/secrets/|^\(\(.*\)\)$""",
    re.IGNORECASE,
)
_NOT_A_SECRET = re.compile(
    r"^(true|false|yes|no|on|off|null|none|nil|~|\d+(\.\d+)?|[|>][-+]?|\{\s*\}|\[\s*\]|[-_.*#=]+)$"
    r"|^[~^<>=!]*\d+(\.\d+)+\S*$"  # a version specifier: "^1.3.6", ">=2.0"
    r"|^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$",  # an entry point: "package.module:Class"
    re.IGNORECASE,
)
# Well-known default values: for a password or token entry (not a signing key) these are local
# development defaults (`POSTGRES_PASSWORD=postgres`), not leaked secrets.
TRIVIAL_VALUES = frozenset(
    "password passwd pass postgres postgresql mysql root admin administrator changeme changethis secret test "
    "testing example dev development local guest user demo default qwerty 123456".split()
)
_PATH_OR_URL = re.compile(
    r"^(/|\./|\.\./|~/|[A-Za-z]:\\|file:)|\.(pem|key|crt|der|p12|pfx|jwk|json|ya?ml|txt)$|^https?://[^/@]*$|^https?://[^@]*/"
    r"|^[\w.-]+/[\w./-]*\.[A-Za-z0-9]{1,5}$",  # a relative file name: docs/token.md
    re.IGNORECASE,
)
# In example/template files these say "put your value here".
_PLACEHOLDER = re.compile(
    r"your|change.?me|replace|example|sample|dummy|placeholder|todo|fixme|x{3,}|\*{3,}|\.{3}|insert|enter|generate|here|^secret$|^password$|^key$|^token$|^(some|a|my)[-_ ]"
    r"|^(foo|bar|baz|qux|abc|xyz|fake|test)$",
    re.IGNORECASE,
)


def is_config_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    if name in _LOCK_FILES:
        return False
    return name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES) or ".env." in name or name in _SHELL_PROFILES


def is_example_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    parts = re.split(r"[._\-]", name)
    return any(word in parts for word in _EXAMPLE_WORDS)


def _clean(raw: str) -> tuple[str, int] | None:
    """The value without quotes, trailing commas and inline comments, and its offset in `raw`."""
    raw = raw.rstrip(",").rstrip()
    if not raw or raw[0] in "[{#":
        return None  # an inline list or table, or only a comment (`key:  # note`): no scalar secret
    if raw[0] in "\"'":
        end = raw.find(raw[0], 1)
        if end < 0:
            return None
        return raw[1:end], 1
    for marker in (" #", "\t#", " ;"):
        cut = raw.find(marker)
        if cut >= 0:
            raw = raw[:cut].rstrip()
    return raw, 0


def _entries(text: str) -> Iterator[tuple[int, str, str, int]]:
    """(line, key, value, column of the value) for every key/value-looking line."""
    lines = text.splitlines()
    pending: tuple[str, int] | None = None  # a Kubernetes `- name: X` waiting for its `value:`
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if not stripped or stripped[0] in "#;" or stripped.startswith("//"):
            continue
        k8s_name = _K8S_NAME.match(line)
        if k8s_name:
            pending = (k8s_name.group("key"), number)
            continue
        k8s_value = _K8S_VALUE.match(line)
        if k8s_value and pending and number - pending[1] <= 3:
            yield number, pending[0], k8s_value.group("value"), k8s_value.start("value")
            pending = None
            continue
        m = _KV.match(line)
        if m:
            yield number, m.group("key"), m.group("value"), m.start("value")


def scan_config(path: str, text: str, names: KeyNames) -> Iterator[FileFinding]:
    example = is_example_file(path)
    for number, key, raw, column in _entries(text):
        leaf = key.rsplit(".", 1)[-1]
        # a lone `key:` in configuration names something (secretKeyRef.key, a cache key), it is not one
        if leaf.lower() == "key" or not names.is_credential(leaf):
            continue
        cleaned = _clean(raw)
        if cleaned is None:
            continue
        value, offset = cleaned
        if len(value) < 3 or _NOT_A_SECRET.match(value) or _TEMPLATED.search(value) or _PATH_OR_URL.search(value):
            continue
        if example and _PLACEHOLDER.search(value):
            continue
        if value.lower() in TRIVIAL_VALUES and not names.matches(leaf):
            continue
        start = column + offset + 1
        yield FileFinding(
            code="KL111",
            span=Span(number, start, number, start + len(value)),
            message=f"Configuration entry {key} holds a hard-coded secret {redact(value)}"
            + (" in an example file; use a placeholder such as <set-me>." if example else "."),
            token=f"{key}:{hashlib.sha256(value.encode('utf-8', 'surrogatepass')).hexdigest()}",
            secret_columns=(start, start + len(value)),
            key=secret_id(value).digest,
        )
