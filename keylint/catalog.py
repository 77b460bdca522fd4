"""The knowledge keylint works from, read from the TOML data in `rules/` (shipped as keylint.rules).

Every table is validated strictly: an unknown key in a catalog is an error, because a typo that
silently turns detection off is a security bug.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from importlib.abc import Traversable

from keylint.model import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class CatalogError(Exception):
    """A catalog file is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    summary: str
    severity: Severity
    precision: str
    cwe: tuple[int, ...]
    doc: str
    # "low": findings under test paths are reported as low (the configuration's test-severity);
    # "same": the rule's evidence holds wherever the finding is (a known production key in tests/)
    test_severity: str = "low"

    @property
    def tags(self) -> tuple[str, ...]:
        return ("security", *(f"external/cwe/cwe-{n}" for n in self.cwe))


@dataclass(frozen=True, slots=True)
class Signer:
    call: str
    position: int | None
    keyword: str | None
    library: str
    operation: str  # sign | verify


@dataclass(frozen=True, slots=True)
class KeySetting:
    name: str
    container: str | None
    framework: str


@dataclass(frozen=True, slots=True)
class KeyNames:
    secret_words: frozenset[str]
    key_qualifiers: frozenset[str]
    not_key_words: frozenset[str]
    credential_words: frozenset[str] = frozenset()
    key_names_a_field: frozenset[str] = frozenset()
    password_words: frozenset[str] = frozenset()
    reference_words: frozenset[str] = frozenset()

    def is_credential(self, name: str) -> bool:
        """Key-like, or a password/token/API-key entry: what a configuration file must not hold."""
        words = split_words(name)
        if self.reference_words.intersection(words) or self._names_a_password_field(words):
            return False
        if self.matches(name):
            return True
        return bool(words) and not self.not_key_words.intersection(words) and (
            bool(self.credential_words.intersection(words) or self.password_words.intersection(words))
            or "".join(words) in self.credential_words
        )

    def is_password(self, name: str) -> bool:
        """A password entry (not a key): `POSTGRES_PASSWORD`, `smtp.passwd`, `ssl_key_password`."""
        words = split_words(name)
        keyish = self.key_qualifiers.union(self.secret_words).intersection(words)  # SECURITY_PASSWORD_SALT is a key
        return bool(self.password_words.intersection(words)) and not keyish and not self.matches(name)

    def _names_a_password_field(self, words: list[str]) -> bool:
        # Helm and Kubernetes name the field of a Secret that holds a password `adminPasswordKey`,
        # `existingSecretPasswordKey`: the value is that field's name, not a key
        return len(words) >= 2 and words[-1] == "key" and words[-2] in self.password_words

    def matches(self, name: str) -> bool:
        words = split_words(name)
        if not words or self.not_key_words.intersection(words):
            return False
        joined = "".join(words)
        if self.secret_words.intersection(words) or joined in self.secret_words:
            return True
        # a lone "key" names dict keys, enum members and cache keys far more often than signing keys
        return "key" in words and bool(self.key_qualifiers.intersection(words)) and not self.key_names_a_field.intersection(words)


# Tables that rule families keep in their own rules/*.toml files: table name -> {key: type}.
# A family registers its table here; every entry (built in or from `extend-catalogs`) is checked
# against it, and a file with a table that is not registered is an error.
TABLE_SCHEMAS: dict[str, dict[str, type | tuple[type, ...]]] = {
    # rules/tokens.toml (KL4xx, KL5xx)
    "token_call": {
        "call": str, "library": str, "operation": str, "payload_position": int, "payload_keyword": str,
        "headers_position": int, "headers_keyword": str, "algorithm_position": int, "algorithm_keyword": str,
        "algorithms_position": int, "algorithms_keyword": str, "options_position": int, "options_keyword": str,
        "audience_keyword": str, "verify_keyword": str, "claims_keyword": str, "expiry_keyword": str,
        "key_setting": str, "purpose": str, "key_position": int, "key_keyword": str, "token_position": int,
        "token_keyword": str, "claim_checks_keyword": str, "validate_method": str, "unsigned_without": str,
        "algorithms_from": str, "verify_removed_in": int, "verify_removed_in_distribution": str,
    },
    "token_purpose": {"name": str, "label": str, "words": list, "values": list, "flags": list, "claims": list},
    "key_purpose": {"setting": str, "purpose": str, "frameworks": list},
    "library_default": {"library": str, "setting": str, "overrides": list, "default": str, "evidence": list, "purpose": str},
    "token_setting": {"name": str, "library": str, "effect": str, "default": bool},
    "key_rotation": {"call": str, "remote": bool},
    "signer_purpose": {"call": str, "purpose": str},
    "framework_signer": {"framework": str, "uses": list},
    "published_default_key": {"call": str, "library": str, "keyword": str, "setting": str, "app_position": int, "configured_by": list},
    "algorithm": {"name": str, "kind": str},
    # rules/key_sources.toml (KL505-KL507)
    "header_source": {"call": str, "method": str, "library": str},
    "key_constructor": {"call": str, "method": str, "library": str},
    "key_client": {"call": str, "library": str, "url_position": int, "url_keyword": str, "context_keyword": str},
    "fetch_call": {"call": str, "method": str, "library": str, "url_position": int, "url_keyword": str},
    "http_client": {"call": str, "library": str},
    "insecure_context": {"call": str},
    "key_provisioning": {"call": str, "method": str},
    # rules/models.toml (KL3xx)
    "model_base": {"base": str, "orm": str, "declarative": bool},
    "model_base_factory": {"call": str, "orm": str, "attribute": str},
    "auto_field": {"type": str},
    "int_column_type": {"name": str},
    "implicit_pk": {"orm": str, "field": str},
    "schema_base": {"base": str, "kind": str},
    "schema_base_factory": {"call": str, "attribute": str, "kind": str},
    "int_schema_type": {"name": str},
    "schema_affix": {"affix": str},
    "model_manager": {"name": str},
    "model_lookup_call": {"call": str, "model_position": int},
    "pk_lookup_method": {"name": str},
    "pk_keyword": {"name": str},
    "serializer_method": {"name": str},
    # rules/routes.toml (KL2xx: routes, authentication, minting)
    "route_factory": {"call": str, "framework": str, "prefix": str, "dependencies": str, "proxy_prefix": bool},
    "route_decorator": {"method": str, "call": str, "methods": list, "methods_keyword": str},
    "route_call": {
        "method": str, "call": str, "path_position": int, "handler_position": int, "handler_keyword": str,
        "methods": list, "methods_keyword": str, "method_position": int, "framework": str,
    },
    "mount_call": {
        "method": str, "call": str, "child_position": int, "child_keyword": str, "prefix_position": int,
        "prefix_keyword": str, "dependencies": str, "routes_keyword": str,
    },
    "auth_decorator": {"name": str, "call": str, "role": bool, "optional_keyword": str, "permission_list": bool},
    "auth_dependency": {"call": str},
    "permission_class": {"name": str, "public": bool, "role": bool},
    "minter": {"call": str, "method": str, "receiver": str, "subject_position": int, "subject_keyword": str, "kind": str},
    "minter_word": {"word": str, "role": str},
    "credential_check": {"name": str, "call": str, "method": str, "receiver": str},
    "credential_source": {"name": str, "call": str},
    "request_attribute": {"name": str, "kind": str},
    "random_source": {"call": str, "module": str},
    # GraphQL: resolvers of mutations are routes of the endpoint the schema is served at
    "graphql_mutation": {"base": str, "methods": list, "decorator": str, "object": str, "type_name": str},
    "graphql_endpoint": {"call": str},
}
_CORE_FILES = ("rules.toml", "signers.toml", "key_settings.toml")


@dataclass(frozen=True, slots=True)
class Catalog:
    rules: tuple[RuleMeta, ...]
    signers: tuple[Signer, ...]
    settings: tuple[KeySetting, ...]
    key_names: KeyNames
    digest: str  # part of the cache key: facts depend on the catalog
    tables: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] = ()

    def table(self, name: str) -> tuple[dict[str, Any], ...]:
        """Entries of a family table (read-only by convention): built-in ones, then the user's."""
        if name not in TABLE_SCHEMAS:
            raise KeyError(f"no catalog table {name!r} is registered")
        for key, entries in self.tables:
            if key == name:
                return entries
        return ()

    def rule(self, code: str) -> RuleMeta:
        for meta in self.rules:
            if meta.code == code:
                return meta
        raise KeyError(code)

    @property
    def signer_by_call(self) -> dict[str, Signer]:
        return {s.call: s for s in self.signers}

    @property
    def setting_names(self) -> frozenset[str]:
        return frozenset(s.name for s in self.settings if s.container is None)

    @property
    def container_items(self) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for s in self.settings:
            if s.container is not None:
                out.setdefault(s.container, set()).add(s.name)
        return {k: frozenset(v) for k, v in out.items()}


_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_words(name: str) -> list[str]:
    """`JWT_SECRET_KEY`, `jwtSecretKey`, `jwt-secret-key` all give ["jwt", "secret", "key"]."""
    return [w.lower() for w in _WORD_RE.findall(name)]


def _check_keys(table: dict[str, Any], allowed: Mapping[str, type | tuple[type, ...]], where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise CatalogError(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        if not isinstance(value, allowed[key]):
            raise CatalogError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")


_SIGNER_KEYS = {"call": str, "position": int, "keyword": str, "library": str, "operation": str}
_SETTING_KEYS = {"name": str, "container": str, "framework": str}
_KEY_NAME_KEYS = {
    "secret_words": list, "key_qualifiers": list, "not_key_words": list, "credential_words": list, "key_names_a_field": list,
    "password_words": list, "reference_words": list,
}
_RULE_KEYS = {"name": str, "summary": str, "severity": str, "precision": str, "cwe": list, "test_severity": str}
_EXTENSION_KEYS: dict[str, type | tuple[type, ...]] = {"signer": list, "setting": list, "key_names": dict}


def _family_tables(data: dict[str, Any], where: str, into: dict[str, list[dict[str, Any]]]) -> None:
    for name, entries in data.items():
        if name in _EXTENSION_KEYS:
            continue
        schema = TABLE_SCHEMAS.get(name)
        if schema is None:
            raise CatalogError(f"{where}: unknown table {name!r} (known: {', '.join(sorted([*_EXTENSION_KEYS, *TABLE_SCHEMAS]))})")
        if not isinstance(entries, list):
            raise CatalogError(f"{where}: {name!r} must be an array of tables ([[{name}]])")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise CatalogError(f"{where}: {name}[{i}]: expected a table")
            _check_keys(entry, schema, f"{where}: {name}[{i}]")
            into.setdefault(name, []).append(entry)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: invalid TOML: {exc}") from None


def _signers(items: list[Any], where: str) -> list[Signer]:
    out = []
    for i, item in enumerate(items):
        here = f"{where}: signer[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{here}: expected a table")
        _check_keys(item, _SIGNER_KEYS, here)
        if "call" not in item or ("position" not in item and "keyword" not in item):
            raise CatalogError(f"{here}: needs 'call' and at least one of 'position', 'keyword'")
        if item.get("operation", "sign") not in ("sign", "verify"):
            raise CatalogError(f"{here}: 'operation' must be 'sign' or 'verify'")
        out.append(
            Signer(
                call=item["call"],
                position=item.get("position"),
                keyword=item.get("keyword"),
                library=item.get("library", "user catalog"),
                operation=item.get("operation", "sign"),
            )
        )
    return out


def _settings(items: list[Any], where: str) -> list[KeySetting]:
    out = []
    for i, item in enumerate(items):
        here = f"{where}: setting[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{here}: expected a table")
        _check_keys(item, _SETTING_KEYS, here)
        if "name" not in item:
            raise CatalogError(f"{here}: needs 'name'")
        out.append(KeySetting(item["name"], item.get("container"), item.get("framework", "user catalog")))
    return out


def _word_lists(table: dict[str, Any], where: str) -> dict[str, list[str]]:
    _check_keys(table, _KEY_NAME_KEYS, f"{where}: key_names")
    for key, words in table.items():
        if not all(isinstance(w, str) for w in words):
            raise CatalogError(f"{where}: key_names.{key} must be a list of strings")
    return {k: [w.lower() for w in v] for k, v in table.items()}


def _rules(data: dict[str, Any]) -> list[RuleMeta]:
    docs = rules_folder().joinpath("docs")
    out = []
    for code, table in sorted(data.items()):
        where = f"rules.toml: [{code}]"
        if not re.fullmatch(r"KL\d{3}", code) or not isinstance(table, dict):
            raise CatalogError(f"{where}: rule codes are KLnnn tables")
        _check_keys(table, _RULE_KEYS, where)
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", table["name"]):
            raise CatalogError(f"{where}: name must be kebab-case")
        if table.get("test_severity", "low") not in ("low", "same"):
            raise CatalogError(f"{where}: test_severity must be 'low' or 'same'")
        doc = docs.joinpath(f"{code}.md").read_text(encoding="utf-8")
        out.append(
            RuleMeta(
                code=code,
                name=table["name"],
                summary=table["summary"],
                severity=Severity(table["severity"]),
                precision=table["precision"],
                cwe=tuple(table["cwe"]),
                doc=doc.strip() + "\n",
                test_severity=table.get("test_severity", "low"),
            )
        )
    return out


def rules_folder() -> Traversable:
    """The `rules/` data: shipped inside the wheel as `keylint.rules`; when keylint runs from a
    source checkout that is not installed (its `keylint/` first on sys.path), the folder beside it."""
    try:
        return resources.files("keylint.rules")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "rules"


@lru_cache(maxsize=8)
def load_catalog(extensions: tuple[str, ...] = ()) -> Catalog:
    """The built-in catalogs plus the user's `extend-catalogs` files (appended, never replacing)."""
    base = rules_folder()
    names = sorted(p.name for p in base.iterdir() if p.name.endswith(".toml"))
    texts = {name: base.joinpath(name).read_text(encoding="utf-8") for name in names}
    rules = _rules(_parse(texts["rules.toml"], "rules.toml"))
    signers = _signers(_parse(texts["signers.toml"], "signers.toml").get("signer", []), "signers.toml")
    settings_data = _parse(texts["key_settings.toml"], "key_settings.toml")
    settings = _settings(settings_data.get("setting", []), "key_settings.toml")
    words = _word_lists(settings_data["key_names"], "key_settings.toml")

    digest = hashlib.sha256()
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(texts):
        digest.update(texts[name].encode())
        if name not in _CORE_FILES:
            _family_tables(_parse(texts[name], name), name, tables)
    for ext in extensions:
        path = Path(ext)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"{ext}: cannot read catalog: {exc.strerror or exc}") from None
        digest.update(text.encode())
        data = _parse(text, ext)
        _family_tables(data, ext, tables)
        _check_keys({k: v for k, v in data.items() if k in _EXTENSION_KEYS}, _EXTENSION_KEYS, ext)
        signers += _signers(data.get("signer", []), ext)
        settings += _settings(data.get("setting", []), ext)
        for key, more in _word_lists(data.get("key_names", {}), ext).items():
            words[key] = words.get(key, []) + more

    return Catalog(
        rules=tuple(rules),
        signers=tuple(signers),
        settings=tuple(settings),
        key_names=KeyNames(
            secret_words=frozenset(words.get("secret_words", ())),
            key_qualifiers=frozenset(words.get("key_qualifiers", ())),
            not_key_words=frozenset(words.get("not_key_words", ())),
            credential_words=frozenset(words.get("credential_words", ())),
            key_names_a_field=frozenset(words.get("key_names_a_field", ())),
            password_words=frozenset(words.get("password_words", ())),
            reference_words=frozenset(words.get("reference_words", ())),
        ),
        digest=digest.hexdigest(),
        tables=tuple(sorted((k, tuple(v)) for k, v in tables.items())),
    )
