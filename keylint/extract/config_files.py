"""KL111 and KL114: key-like values and passwords in configuration files, found by key name, one line at a time.

Line-based on purpose: it reads broken and templated files (Helm charts, compose files with
`${VAR}`) that a strict YAML/TOML parser would reject, and keeps exact line and column positions.

A name says an entry may hold a secret; the value says whether it does. Values that refer to a
secret kept elsewhere (templates, selectors, paths), that were masked, that are one-way password
hashes, human-language text or a label repeating the entry's own name are not secrets. Documents
whose values are human-language text (translation catalogs) are not read at all, and documents that
are data rather than configuration (ORM fixtures, recorded HTTP sessions, SARIF reports, seed data)
are reported at low severity.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Iterator, NamedTuple

from keylint.catalog import KeyNames, split_words
from keylint.extract.facts import FileFinding, redact
from keylint.keymaterial import secret_id
from keylint.model import Severity, Span

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


# A selector into a response or document, not a value: "response.body.token", "items[0].token".
_SELECTOR = re.compile(r"^[$@]?[A-Za-z_][A-Za-z_-]*\d*(?:\.[A-Za-z_][A-Za-z_-]*\d*|\[(?:\d+|\*|'[^']*'|\"[^\"]*\")\])+$")
# Other ways to say "the value comes from elsewhere": `[YOUR TOKEN]`, Python's `{token}`, Symfony's
# `%env(TOKEN)%`, Home Assistant's `!secret token`.
_REFERENCE = re.compile(r"^\[[^\]]*\]$|^\{[\w.-]+\}$|^%[\w()]+%$|^!secret\b", re.IGNORECASE)
# Masked or elided by whoever wrote the file (a scanner report, a log, documentation): not the secret.
_MASKED = re.compile(r"\*{3,}|\.{3}|\u2026|x{6,}|X{6,}|redacted|<hidden>|<masked>", re.IGNORECASE)
# One-way password hashes: Django's `algorithm$iterations$salt$hash`, crypt's `$2b$`, `$6$`, `$argon2id$`,
# LDAP's `{SSHA}`, werkzeug's `scrypt:32768:8:1$salt$hash`. A verifier, not the password.
_PASSWORD_HASH = re.compile(
    r"^(?:pbkdf2_sha\d+|pbkdf2|argon2(?:id|i|d)?|bcrypt(?:_sha256)?|scrypt|sha\d*|md5|unsalted_\w+|crypt)[$:]"
    r"|^\$(?:2[abxy]?|1|5|6|7|y|gy|argon2(?:id|i|d)|scrypt|pbkdf2[-\w]*|sha1|md5)\$"
    r"|^\{(?:S?SHA\d*|S?MD5|CRYPT|PBKDF2[-\w]*|ARGON2|BCRYPT)\}"
    r"|^[a-z][a-z0-9_-]*\$[^$\s]+\$[^$\s]+$",
    re.IGNORECASE,
)
# `${VAR:-default}`, `${VAR-default}`: a reference, but the default is what runs when VAR is unset
_ENV_DEFAULT = re.compile(r"^\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*):?-(?P<default>[^${}]+)\}$")
_PEM_OR_JWT = re.compile(r"^-{4,5} ?BEGIN |^eyJ[\w-]+\.eyJ")  # KL110's and KL112's to report
_WORDS_ONLY = re.compile(r"^[A-Za-z]+(?:[-_. ][A-Za-z]+)*$")  # "sample-value", "BadRequest", "email_otp"
_PROSE = re.compile(r"[^\W\d_]{2,}[,.!?:;]?\s+\S")  # a word, a space, more: text meant for people
# Objects whose entries say where to find a value in a response or document (API test suites,
# scrapers, mappings): `extract: {token: response.body.token}`.
_SELECTOR_PARENTS = frozenset("extract extracts extractor extractors capture captures selector selectors jsonpath xpath mapping mappings pointer pointers".split())
# Folders of translation catalogs (vue-i18n, gettext, Rails, Django, Angular) and locale-named files.
_TRANSLATION_DIRS = frozenset("lang langs language languages locale locales i18n l10n translations translation intl".split())
_LOCALE_NAME = re.compile(r"^[a-z]{2,3}[-_](?:[A-Z]{2}|[A-Z][a-z]{3})$")
# Folders of data a program reads or a test replays, not configuration.
_DATA_DIRS = frozenset("seed seeds seeders seed_data fixtures cassettes recordings sample_data sample-data testdata test_data mock_data".split())
_DATA_SHAPES = (
    re.compile(r'^\s*\[\s*\{[^\[\]]*"model"\s*:\s*"[\w]+\.[\w]+"'),  # a Django/ORM fixture: [{"model": "app.model", "fields": ...}]
    re.compile(r"^- model: [\w]+\.[\w]+\s*$", re.MULTILINE),  # the same in YAML
    re.compile(r'^\s*(?:interactions|http_interactions|"http_interactions"|"interactions")\s*:', re.MULTILINE),  # vcrpy / betamax cassettes
    re.compile(r'^\s*\{\s*"log"\s*:\s*\{[^{}]*"entries"'),  # HAR: a recorded browser session
    re.compile(r'"runs"\s*:\s*\[\s*\{\s*"tool"\s*:'),  # SARIF: another tool's report
)
# Entries whose value a password of the same file often repeats as a local default (user = password).
_ACCOUNT_WORDS = frozenset("user username login db database dbname name host server service".split())


class _Entry(NamedTuple):
    line: int
    key: str
    raw: str  # the value as written
    column: int  # 0-based column of `raw`
    parents: tuple[str, ...]  # keys of the enclosing entries, outermost first


def is_config_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    if name in _LOCK_FILES:
        return False
    return name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES) or ".env." in name or name in _SHELL_PROFILES


def is_example_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    parts = re.split(r"[._\-]", name)
    return any(word in parts for word in _EXAMPLE_WORDS)


def document_kind(path: str, text: str) -> str:
    """"translation" (human-language text: not read), "data" (reported at low) or "config"."""
    folders = [part.lower() for part in path.split("/")[:-1]]
    stem = posixpath.basename(path).split(".")[0]
    if _TRANSLATION_DIRS.intersection(folders) or _LOCALE_NAME.match(stem):
        return "translation"
    if _DATA_DIRS.intersection(folders) or any(shape.search(text, 0, 64 * 1024) for shape in _DATA_SHAPES):
        return "data"
    return "config"


# Documents that are data whatever their folder says: JSON and JSON Lines (records, another tool's
# report, a recorded response), HAR, saved web pages. Configuration under a test path (.env, YAML,
# TOML, INI) stays configuration.
_DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".har", ".html", ".htm")


def is_data_document(path: str, text: str) -> bool:
    """A document a program or a test reads as data, not the configuration it runs with."""
    return path.lower().endswith(_DATA_SUFFIXES) or (is_config_file(path) and document_kind(path, text) == "data")


def _clean(raw: str) -> tuple[str, int] | None:
    """The value without quotes, trailing commas and inline comments, and its offset in `raw`."""
    raw = raw.rstrip(",").rstrip()
    if not raw or raw[0] in "[{#":
        return None  # an inline list or table, or only a comment (`key:  # note`): no scalar secret
    if raw[0] in "\"'":
        end = raw.find(raw[0], 1)
        while raw[0] == '"' and end > 0 and _escaped(raw, end):
            end = raw.find(raw[0], end + 1)  # `\"` inside a JSON string does not end it
        if end < 0:
            return None
        return raw[1:end], 1
    for marker in (" #", "\t#", " ;"):
        cut = raw.find(marker)
        if cut >= 0:
            raw = raw[:cut].rstrip()
    return raw, 0


def _escaped(raw: str, at: int) -> bool:
    """The character at `at` follows an odd number of backslashes."""
    backslashes = len(raw[:at]) - len(raw[:at].rstrip("\\"))
    return backslashes % 2 == 1


def _entries(text: str) -> Iterator[_Entry]:
    """Every key/value-looking line, with the keys of the entries it is nested in (by indentation:
    YAML, and JSON as it is usually written)."""
    lines = text.splitlines()
    pending: tuple[str, int] | None = None  # a Kubernetes `- name: X` waiting for its `value:`
    enclosing: list[tuple[int, str]] = []  # (indentation, key) of the entries that open a block
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
            yield _Entry(number, pending[0], k8s_value.group("value"), k8s_value.start("value"), tuple(k for _, k in enclosing))
            pending = None
            continue
        m = _KV.match(line)
        if m:
            indent = m.start("q")
            while enclosing and enclosing[-1][0] >= indent:
                enclosing.pop()
            yield _Entry(number, m.group("key"), m.group("value"), m.start("value"), tuple(k for _, k in enclosing))
            if m.group("value").rstrip(",") in ("", "{", "[", "|", ">", "|-", ">-"):
                enclosing.append((indent, m.group("key")))


def _not_a_value(value: str) -> bool:
    """Whatever the entry is named, this value is not a secret written here."""
    return (
        len(value) < 3
        or bool(_NOT_A_SECRET.match(value) or _TEMPLATED.search(value) or _PATH_OR_URL.search(value))
        or bool(_REFERENCE.match(value) or _MASKED.search(value) or _PASSWORD_HASH.match(value) or _PEM_OR_JWT.match(value))
        or (_SELECTOR.match(value) is not None and ("." in value or "[" in value))
    )


def _label(value: str, name: str) -> bool:
    """The entry's own name as its value: `"token": "Token"`, `"api-token": "API Token"`."""
    words = "".join(split_words(value))
    return bool(words) and words == "".join(split_words(name))


def _human_text(value: str) -> bool:
    """Words meant for people: a phrase, or letters of a script key material is never written in."""
    return bool(_PROSE.search(value)) or any(c.isalpha() and not c.isascii() for c in value)


def _machine_made(value: str) -> bool:
    """Shaped like a generated token or API key: one run of letters mixed with digits."""
    return len(value) >= 8 and not any(c.isspace() for c in value) and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def scan_config(path: str, text: str, names: KeyNames) -> Iterator[FileFinding]:
    kind = document_kind(path, text)
    if kind == "translation":
        return
    data = kind == "data" or path.lower().endswith(_DATA_SUFFIXES)  # is_data_document, kind known
    example = is_example_file(path)
    entries = list(_entries(text))
    # values a password may repeat as a local default: POSTGRES_USER=shop, POSTGRES_PASSWORD=shop
    accounts = {v[0] for e in entries if _ACCOUNT_WORDS.intersection(split_words(e.key.rsplit(".", 1)[-1])) and (v := _clean(e.raw))}
    for entry in entries:
        leaf = entry.key.rsplit(".", 1)[-1]
        # a lone `key:` in configuration names something (secretKeyRef.key, a cache key), it is not one
        if leaf.lower() == "key" or not names.is_credential(leaf):
            continue
        if any(_SELECTOR_PARENTS.intersection(split_words(parent)) for parent in entry.parents):
            continue  # `extract: {token: ...}` says where a token will be found, it holds none
        cleaned = _clean(entry.raw)
        if cleaned is None:
            continue
        value, offset = cleaned
        fallback = _ENV_DEFAULT.match(value)
        if fallback is not None:
            value, offset = fallback.group("default"), offset + fallback.start("default")
        if _not_a_value(value):
            continue
        if example and _PLACEHOLDER.search(value):
            continue
        if names.matches(leaf):
            pass  # a key: whatever is written is the key the program runs with (`SECRET_KEY: dummy-key` in CI too)
        elif names.is_password(leaf):
            if _human_text(value) or _label(value, leaf) or value.lower() in TRIVIAL_VALUES or value in accounts:
                continue
            if _WORDS_ONLY.match(value) and _PLACEHOLDER.search(value):
                continue  # "your-password-here"
        elif not _machine_made(value):  # a token or API key: generated, never a word, a label or a phrase
            continue
        start = entry.column + offset + 1
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        unless = f" when ${fallback.group('var')} is not set" if fallback is not None else ""
        if names.is_password(leaf):
            # a password is not a signing key: its own rule at low severity, once per value and file
            yield FileFinding(
                code="KL114",
                span=Span(entry.line, start, entry.line, start + len(value)),
                message=f"Configuration entry {entry.key} holds a hard-coded password {redact(value)}{unless}; "
                "read it from the environment or a secret store.",
                token=f"password:{digest}",
                secret_columns=(start, start + len(value)),
                key=secret_id(value).digest,
                data_document=data,
            )
            continue
        yield FileFinding(
            code="KL111",
            span=Span(entry.line, start, entry.line, start + len(value)),
            message=f"Configuration entry {entry.key} holds a hard-coded secret {redact(value)}{unless}"
            + (" in an example file; use a placeholder such as <set-me>." if example else "."),
            token=f"{entry.key}:{digest}",
            secret_columns=(start, start + len(value)),
            key=secret_id(value).digest,
            # data a program reads or a test replays, and an example to copy, are not where a
            # deployment takes its keys from
            severity=Severity.LOW if kind == "data" or example else None,
            data_document=data,
        )
