"""KL303: integer identifiers declared by an OpenAPI (3.x) or Swagger (2.0) document, YAML or JSON.

Decided per file. A document is recognised by its top-level `openapi:` / `swagger:` key; it is
parsed with PyYAML's composer, which keeps line and column of every node (JSON is YAML for this
purpose, once tabs, which JSON allows between tokens, are turned into spaces). PyYAML is not a
direct dependency of keylint: detect-secrets requires it, so it is always installed with keylint;
it is still imported defensively, and without it documents are simply not read.

Also read: each operation whose `operationId` names a Python function by its dotted path, as
Connexion routes it (`ApiOperation`: method, full path, handler, the security it requires), for the
route linker (KL2xx: such a function is a route).

Reported: a path parameter named like an identifier (`id`, `pk`, `user_id`, `userId`) whose type is
integer, and an integer `id`/`pk` property of a schema that a successful response returns
(following `$ref`s inside the document, `items`, `allOf`/`oneOf`/`anyOf` and nested properties).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from urllib.parse import urlsplit

from keylint.extract.facts import ApiOperation, FileFinding
from keylint.model import Span

try:  # a dependency of detect-secrets, so present wherever keylint is installed
    import yaml
except ImportError:  # pragma: no cover
    yaml = None  # type: ignore[assignment]

CODE = "KL303"
SUFFIXES = (".yaml", ".yml", ".json")
_MARKER = re.compile(r"""^(?:\{\s*)?["']?(openapi|swagger)["']?\s*:""", re.MULTILINE)
_ID_PARAM = re.compile(r"^(id|pk|.+_id|.+Id|.+ID)$")
_ID_PROPERTY = frozenset({"id", "pk", "ID", "Id"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_DEPTH = 12
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def looks_like_openapi(text: str) -> bool:
    return _MARKER.search(text[:20000]) is not None


def _span(node: Any) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(s.line + 1, s.column + 1, e.line + 1, e.column + 1)


class _Doc:
    """The composed node tree with mapping lookups and in-document `$ref` resolution."""

    def __init__(self, root: Any) -> None:
        self.root = root

    @staticmethod
    def get(node: Any, key: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v
        return None

    @staticmethod
    def items(node: Any) -> list[tuple[str, Any]]:
        if isinstance(node, yaml.MappingNode):
            return [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        return []

    @staticmethod
    def scalar(node: Any) -> str | None:
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def deref(self, node: Any, depth: int = 0) -> tuple[Any, str | None]:
        """Follow `$ref: '#/a/b'`; returns the target and the last name of the reference."""
        name = None
        while depth < _MAX_DEPTH:
            ref = self.scalar(self.get(node, "$ref"))
            if ref is None or not ref.startswith("#/"):
                return node, name
            target = self.root
            for part in ref[2:].split("/"):
                target = self.get(target, part.replace("~1", "/").replace("~0", "~"))
            if target is None:
                return None, None
            node, name = target, ref.rsplit("/", 1)[-1]
            depth += 1
        return None, None

    def integer_type(self, schema: Any) -> Any:
        """The `type: integer` node of a (dereferenced) schema, or None."""
        schema, _ = self.deref(schema)
        t = self.get(schema, "type")
        if self.scalar(t) == "integer":
            return t
        if isinstance(t, yaml.SequenceNode) and any(self.scalar(x) == "integer" for x in t.value):
            return t  # OpenAPI 3.1: type: [integer, "null"]
        return None


def _parameters(doc: _Doc, version: str) -> Iterator[tuple[Any, str, str]]:
    """(type node, parameter name, "METHOD /path") for integer id path parameters."""
    for route, item in doc.items(doc.get(doc.root, "paths")):
        item, _ = doc.deref(item)
        shared = doc.get(item, "parameters")
        for method, op in [(m, doc.get(item, m)) for m in _METHODS]:
            if op is None:
                continue
            params = [*(shared.value if isinstance(shared, yaml.SequenceNode) else ()), *(p.value if isinstance(p := doc.get(op, "parameters"), yaml.SequenceNode) else ())]
            for p in params:
                p, _ = doc.deref(p)
                if doc.scalar(doc.get(p, "in")) != "path":
                    continue
                name = doc.scalar(doc.get(p, "name")) or ""
                if not _ID_PARAM.match(name) or f"{{{name}}}" not in route:
                    continue
                t = doc.integer_type(p) if version == "2" else doc.integer_type(doc.get(p, "schema"))
                if t is not None:
                    yield t, name, f"{method.upper()} {route}"


def _response_schemas(doc: _Doc, version: str) -> Iterator[tuple[Any, str]]:
    for route, item in doc.items(doc.get(doc.root, "paths")):
        item, _ = doc.deref(item)
        for method in _METHODS:
            op = doc.get(item, method)
            for status, response in doc.items(doc.get(op, "responses")):
                if not (status.startswith("2") or status == "default"):
                    continue
                response, _ = doc.deref(response)
                where = f"{method.upper()} {route}"
                if version == "2":
                    if doc.get(response, "schema") is not None:
                        yield doc.get(response, "schema"), where
                    continue
                for _, media in doc.items(doc.get(response, "content")):
                    if doc.get(media, "schema") is not None:
                        yield doc.get(media, "schema"), where


def _id_properties(doc: _Doc, schema: Any, name: str | None, seen: set[int], depth: int = 0) -> Iterator[tuple[Any, str, str]]:
    """(type node, schema name, property) for integer id properties reachable from a response schema."""
    if depth > _MAX_DEPTH:
        return
    schema, ref_name = doc.deref(schema)
    if schema is None or id(schema) in seen:
        return
    seen.add(id(schema))
    name = ref_name or name
    for key in ("allOf", "oneOf", "anyOf"):
        parts = doc.get(schema, key)
        if isinstance(parts, yaml.SequenceNode):
            for part in parts.value:
                yield from _id_properties(doc, part, name, seen, depth + 1)
    items = doc.get(schema, "items")
    if items is not None:
        yield from _id_properties(doc, items, name, seen, depth + 1)
    for prop, sub in doc.items(doc.get(schema, "properties")):
        if prop in _ID_PROPERTY:
            t = doc.integer_type(sub)
            if t is not None:
                yield t, name or "response", prop
                continue
        yield from _id_properties(doc, sub, prop, seen, depth + 1)
    extra = doc.get(schema, "additionalProperties")
    if isinstance(extra, yaml.MappingNode):
        yield from _id_properties(doc, extra, name, seen, depth + 1)


def scan_openapi(path: str, text: str) -> tuple[list[FileFinding], list[ApiOperation]]:
    """KL303 findings of an OpenAPI document, and the operations it routes to Python functions."""
    if yaml is None or not path.endswith(SUFFIXES) or not looks_like_openapi(text):
        return [], []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text.replace("\t", " ") if path.endswith(".json") else text, Loader=loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return [], []  # a template or a broken document: nothing to say about ids
    doc = _Doc(root)
    marker = doc.scalar(doc.get(root, "swagger")) or doc.scalar(doc.get(root, "openapi"))
    if marker is None:
        return [], []
    version = "2" if doc.get(root, "swagger") is not None else "3"
    return _integer_ids(doc, version), list(_operations(doc, version))


def _integer_ids(doc: _Doc, version: str) -> list[FileFinding]:
    out: dict[tuple[int, int], FileFinding] = {}
    for node, name, where in _parameters(doc, version):
        span = _span(node)
        out.setdefault(
            (span.line, span.column),
            FileFinding(
                CODE,
                span,
                f"Path parameter `{name}` of {where} is an integer identifier: clients can enumerate every object by "
                "counting. Identify objects in URLs by a random public id (UUID, `format: uuid`) instead.",
                f"param:{name}:{where}",
            ),
        )
    seen: set[int] = set()
    for schema, where in _response_schemas(doc, version):
        for node, name, prop in _id_properties(doc, schema, None, seen):
            span = _span(node)
            out.setdefault(
                (span.line, span.column),
                FileFinding(
                    CODE,
                    span,
                    f"Schema `{name}` returned by {where} has an integer `{prop}`: responses hand out enumerable "
                    "identifiers. Return a random public id (UUID, `format: uuid`) instead of the database key.",
                    f"schema:{name}.{prop}",
                ),
            )
    return [out[k] for k in sorted(out)]


def _base_path(doc: _Doc, version: str) -> str:
    """The path every operation's path is joined to: Swagger's `basePath`, OpenAPI 3's first server's
    path (`https://api.example.com/v1` -> `/v1`; Connexion serves there)."""
    if version == "2":
        return doc.scalar(doc.get(doc.root, "basePath")) or ""
    servers = doc.get(doc.root, "servers")
    first = servers.value[0] if isinstance(servers, yaml.SequenceNode) and servers.value else None
    url = doc.scalar(doc.get(first, "url")) or ""
    return urlsplit(url).path if "://" in url else url


def _security(doc: _Doc, node: Any) -> tuple[str, ...] | None:
    """The schemes a `security:` list requires; `()` for `security: []`; None when one alternative is
    `{}` (authentication optional)."""
    names: list[str] = []
    for requirement in node.value if isinstance(node, yaml.SequenceNode) else ():
        schemes = [k for k, _ in doc.items(requirement)]
        if not schemes:
            return None
        names += [k for k in schemes if k not in names]
    return tuple(names)


def _operations(doc: _Doc, version: str) -> Iterator[ApiOperation]:
    """Operations whose `operationId` names a Python function by its dotted path (Connexion's routing:
    `api.users.login`, or a bare name under `x-openapi-router-controller`)."""
    base = _base_path(doc, version)
    default = doc.get(doc.root, "security")
    for route, item in doc.items(doc.get(doc.root, "paths")):
        item, _ = doc.deref(item)
        for method in _METHODS:
            op = doc.get(item, method)
            node = doc.get(op, "operationId")
            name = doc.scalar(node)
            if not name:
                continue
            controller = doc.scalar(doc.get(op, "x-openapi-router-controller")) or doc.scalar(doc.get(item, "x-openapi-router-controller"))
            handler = f"{controller}.{name}" if controller else name
            if not _DOTTED.fullmatch(handler):
                continue  # `getUser`: a name for client generators, not a Python function
            required = doc.get(op, "security")
            security = _security(doc, required if required is not None else default)
            yield ApiOperation(method.upper(), "/" + "/".join(p for p in (base + route).split("/") if p), handler, security, _span(node))
