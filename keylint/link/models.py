"""Link the KL3xx facts across modules: which classes are ORM models, what primary key each has,
which model a schema or serializer mirrors, and which responses expose a sequential key.

Names are found by `keylint.link.names.Names.follow` (imports, re-exports and star imports);
`db.Model` and `Base = declarative_base()` are recognised from module-level instances. A model is
*sequential* when its primary key is an auto-increment integer: an explicit `AutoField`, a single
integer `primary_key=True` column without `autoincrement=False`, or the implicit `id` Django,
Peewee and Tortoise add (Django's honours `DEFAULT_AUTO_FIELD` / `AppConfig.default_auto_field`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from keylint.catalog import Catalog
from keylint.extract.model_facts import FAMILY, ClassFact, DictId, FieldFact, ModelFacts
from keylint.link.project import Project
from keylint.model import Span

Key = tuple[str, str]  # (path, class name qualified within its module)
DJANGO_USER = ("", "django.contrib.auth.models.User")  # Django's own user model: implicit AutoField id
_DJANGO_USER_REFS = frozenset(
    {"django.contrib.auth.models.User", "django.contrib.auth.get_user_model()", "django.conf.settings.AUTH_USER_MODEL", "auth.User"}
)
_TYPE_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "Mapped", "Field", "None", "ClassVar", "Final", "Required", "NotRequired"})
_CONTAINERS = frozenset({"List", "list", "Sequence", "Iterable", "Tuple", "tuple", "Set", "set", "Page", "Dict", "dict", "Optional", "Union", "Annotated"})
_ID_NAMES = ("id", "pk")


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    model: Key
    field: str
    sequential: bool
    path: str  # where it is declared ("" for Django's built-in user)
    span: Span | None  # None: implicit
    why: str  # "an auto-increment integer", "the auto-increment `id` Django adds"


class Resolved:
    """What a name recorded in a module refers to."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class ClassRef(Resolved):
    key: Key


@dataclass(frozen=True, slots=True)
class InstanceRef(Resolved):
    """An attribute of a module-level instance: `db.Model` with `db = SQLAlchemy()`."""

    callee: str
    attribute: str


@dataclass(frozen=True, slots=True)
class ExternalRef(Resolved):
    qualname: str


def _last(name: str) -> str:
    return name.rpartition(".")[2]


def model_label(key: Key) -> str:
    return _last(key[1])


class ModelIndex:
    """Models, schemas and their primary keys for one project; built once, shared by the KL3xx checks."""

    def __init__(self, project: Project, catalog: Catalog) -> None:
        self.project = project
        self.catalog = catalog
        self._django_auto_cache: bool | None = None  # a project-wide setting: worked out once
        self.facts: dict[str, ModelFacts] = {p: py.families[FAMILY] for p, py in project.python.items() if FAMILY in py.families}
        self.classes: dict[Key, ClassFact] = {(p, c.name): c for p, mf in self.facts.items() for c in mf.classes}
        self.by_name: dict[str, list[Key]] = {}
        for key in self.classes:
            self.by_name.setdefault(_last(key[1]), []).append(key)
        self.model_bases = {e["base"]: e["orm"] for e in catalog.table("model_base")}
        self.declarative = frozenset(e["base"] for e in catalog.table("model_base") if e.get("declarative"))
        self.model_factories = {(e["call"], e["attribute"]): e["orm"] for e in catalog.table("model_base_factory")}
        self.auto_fields = frozenset(e["type"] for e in catalog.table("auto_field"))
        self.int_columns = frozenset(e["name"] for e in catalog.table("int_column_type"))
        self.implicit_pk = {e["orm"]: e["field"] for e in catalog.table("implicit_pk")}
        self.schema_bases = {e["base"]: e["kind"] for e in catalog.table("schema_base")}
        self.schema_factories = {(e["call"], e["attribute"]): e["kind"] for e in catalog.table("schema_base_factory")}
        self.int_schema = frozenset(e["name"] for e in catalog.table("int_schema_type"))
        self.affixes = tuple(sorted((e["affix"] for e in catalog.table("schema_affix")), key=len, reverse=True))
        self._orm: dict[Key, str | None] = {}
        self._schema: dict[Key, str | None] = {}
        self._pk: dict[Key, PrimaryKey | None] = {}
        # the same names and classes are asked about again and again (every serializer walks its
        # bases): answers are memoized
        self._resolved: dict[tuple[str, str], Resolved] = {}
        self._resolving: set[tuple[str, str]] = set()
        self._ancestors: dict[Key, list[tuple[Key | None, Resolved]]] = {}

    # ---- name resolution ----
    def resolve(self, path: str, ref: str) -> Resolved:
        """What a (module-qualified) name recorded in `path` refers to."""
        found = self._resolved.get((path, ref))
        if found is None:
            found = self._resolved[(path, ref)] = self._resolve(path, ref)
        return found

    def _resolve(self, path: str, ref: str) -> Resolved:
        if path not in self.project.python or (path, ref) in self._resolving:
            return ExternalRef(ref)  # outside the project, or a cycle of aliases and instances
        self._resolving.add((path, ref))
        try:
            found = self.project.names.follow(path, ref, self._defined, outside=ExternalRef)
        finally:
            self._resolving.discard((path, ref))
        return found if found is not None else ExternalRef(ref)

    def _defined(self, path: str, name: str) -> Resolved | None:
        """What `name` is where module `path` defines it: a class, an attribute of a module-level
        instance (`db.Model`), or what a local alias (`Base = db.Model`) names."""
        py = self.project.python[path]
        mf = self.facts.get(path)
        head, _, tail = name.partition(".")
        instance = mf.instances.get(head) if mf is not None else None
        alias = mf.aliases.get(head) if mf is not None else None
        if name not in py.classes and instance is None and alias is None:
            return None
        if any(name == v or name.startswith(v + ".") for v in py.imports.values()):
            return None  # an import-resolved name that only looks local
        if name in py.classes:
            return ClassRef((path, name))
        if instance is not None:
            inner = self.resolve(path, instance)
            if isinstance(inner, ClassRef) and not tail:
                return None  # an instance of a project class, not a class
            return InstanceRef(inner.qualname if isinstance(inner, ExternalRef) else instance, tail)
        return self.resolve(path, f"{alias}.{tail}" if tail else str(alias))

    def ancestors(self, key: Key) -> Iterator[tuple[Key | None, Resolved]]:
        """Every base, depth first, the class's own bases first; project classes recurse."""
        found = self._ancestors.get(key)
        if found is None:
            found = self._ancestors[key] = list(self._ancestors_of(key))
        return iter(found)

    def _ancestors_of(self, key: Key) -> Iterator[tuple[Key | None, Resolved]]:
        seen: set[Key] = {key}
        todo = [key]
        while todo:
            current = todo.pop(0)
            for base in self.classes[current].bases:
                r = self.resolve(current[0], base)
                yield current, r
                if isinstance(r, ClassRef) and r.key not in seen and r.key in self.classes:
                    seen.add(r.key)
                    todo.append(r.key)

    def lineage(self, key: Key) -> list[Key]:
        """The class and its project ancestors, nearest first."""
        return [key, *(r.key for _, r in self.ancestors(key) if isinstance(r, ClassRef) and r.key in self.classes and r.key != key)]

    # ---- classification ----
    def orm(self, key: Key) -> str | None:
        """The ORM a class is a model (or abstract model) of, or None."""
        if key not in self._orm:
            self._orm[key] = None
            found = None
            for decorator in self.classes[key].decorators:
                r = self.resolve(key[0], decorator)
                if isinstance(r, ExternalRef) and r.qualname in self.model_bases:
                    found = self.model_bases[r.qualname]
            for _, r in self.ancestors(key):
                if found:
                    break
                if isinstance(r, ExternalRef) and r.qualname in self.model_bases:
                    found = self.model_bases[r.qualname]
                elif isinstance(r, InstanceRef) and (r.callee, r.attribute) in self.model_factories:
                    found = self.model_factories[(r.callee, r.attribute)]
                elif isinstance(r, ClassRef) and r.key in self.classes:
                    found = self.orm(r.key)
            self._orm[key] = found
        return self._orm[key]

    def is_table(self, key: Key) -> bool:
        """A concrete model with rows (not abstract, not a SQLModel schema)."""
        orm = self.orm(key)
        if orm is None:
            return False
        cls = self.classes[key]
        if self._declarative_base(key):
            return False
        if orm == "sqlmodel":
            return ("table", "True") in cls.keywords
        if any(f.name in ("abstract", "proxy") and f.keyword("value") == "True" for f in cls.meta):
            return False
        if any(f.name == "__abstract__" and f.keyword("value") == "True" for f in cls.fields):
            return False
        return True

    def _declarative_base(self, key: Key) -> bool:
        """`class Base(DeclarativeBase)`, `@as_declarative() class Base`, `Base = declarative_base()`'s peers."""
        cls = self.classes[key]
        refs = [self.resolve(key[0], n) for n in (*cls.decorators, *cls.bases)]
        return any(isinstance(r, ExternalRef) and r.qualname in self.declarative for r in refs)

    def schema_kind(self, key: Key) -> str | None:
        if key not in self._schema:
            self._schema[key] = None
            found = None
            for _, r in self.ancestors(key):
                if isinstance(r, ExternalRef) and r.qualname in self.schema_bases:
                    found = self.schema_bases[r.qualname]
                elif isinstance(r, InstanceRef) and (r.callee, r.attribute) in self.schema_factories:
                    found = self.schema_factories[(r.callee, r.attribute)]
                elif isinstance(r, ClassRef) and r.key in self.classes:
                    found = self.schema_kind(r.key)
                if found:
                    break
            self._schema[key] = found
        return self._schema[key]

    def fields(self, key: Key) -> list[tuple[Key, FieldFact]]:
        """Own fields, then inherited ones that are not overridden (mixins included)."""
        out: dict[str, tuple[Key, FieldFact]] = {}
        for k in self.lineage(key):
            for f in self.classes[k].fields:
                out.setdefault(f.name, (k, f))
        return list(out.values())

    def meta(self, key: Key, name: str) -> tuple[Key, FieldFact] | None:
        """A `class Meta` entry, own or inherited (`class Meta(Base.Meta)` keeps the parent's)."""
        for k in self.lineage(key):
            for f in self.classes[k].meta:
                if f.name == name:
                    return k, f
        return None

    # ---- primary keys ----
    def is_int_column(self, f: FieldFact) -> bool:
        types = [_last(a) for a in f.args] + ([_last(f.call)] if f.call else [])
        if any(t in self.int_columns for t in types):
            return True
        if any(t[:1].isupper() and t not in ("Column", "mapped_column", "Field", "ForeignKey") and not t.endswith("Field") for t in types):
            return False  # Column(UUID, ...), Column(String, ...)
        names = [_last(n) for n in f.annotation if _last(n) not in _TYPE_WRAPPERS]
        return bool(names) and all(n in self.int_columns for n in names)

    def primary_key(self, key: Key) -> PrimaryKey | None:
        if key == DJANGO_USER:
            return PrimaryKey(DJANGO_USER, "id", True, "", None, "the auto-increment `id` Django's built-in User has")
        if key not in self._pk:
            self._pk[key] = self._primary_key(key)
        return self._pk[key]

    def _primary_key(self, key: Key) -> PrimaryKey | None:
        orm = self.orm(key)
        if orm is None:
            return None
        fields = self.fields(key)
        autos = [(k, f) for k, f in fields if f.call in self.auto_fields]
        flagged = [(k, f) for k, f in fields if f.keyword("primary_key") == "True" or f.keyword("pk") == "True"]
        if autos:
            k, f = autos[0]
            return PrimaryKey(key, f.name, True, k[0], f.span, f"a {_last(f.call or '')} (auto-increment)")
        if orm in self.implicit_pk:
            if flagged:
                k, f = flagged[0]
                generated = orm == "tortoise" and self.is_int_column(f)  # IntField(pk=True) is generated
                return PrimaryKey(key, f.name, generated, k[0], f.span, "an auto-increment integer" if generated else "not sequential")
            if orm == "django" and not self._django_auto():
                return PrimaryKey(key, "id", False, key[0], None, "not sequential (DEFAULT_AUTO_FIELD)")
            return PrimaryKey(key, self.implicit_pk[orm], True, key[0], None, f"the auto-increment `id` {orm.capitalize()} adds")
        if len(flagged) != 1:
            return None  # none declared here, or a composite key: no autoincrement by default
        k, f = flagged[0]
        sequential = self.is_int_column(f) and f.keyword("autoincrement") != "False"
        return PrimaryKey(key, f.name, sequential, k[0], f.span, "an auto-increment integer" if sequential else "not sequential")

    def _django_auto(self) -> bool:
        """False only when the project sets a default auto field that is not an AutoField."""
        if self._django_auto_cache is None:
            self._django_auto_cache = self._find_django_auto()
        return self._django_auto_cache

    def _find_django_auto(self) -> bool:
        values = [mf.settings["DEFAULT_AUTO_FIELD"] for mf in self.facts.values() if "DEFAULT_AUTO_FIELD" in mf.settings]
        for mf in self.facts.values():
            for c in mf.classes:
                for f in c.fields:
                    if f.name == "default_auto_field" and f.strings:
                        values.append(f.strings[0])
        return all(v.endswith("AutoField") for v in values)

    def sequential(self, key: Key) -> PrimaryKey | None:
        pk = self.primary_key(key)
        return pk if pk is not None and pk.sequential else None

    # ---- models named by references ----
    def user_model(self) -> Key:
        """The project's user model: AUTH_USER_MODEL ("accounts.User"), else Django's own."""
        for mf in self.facts.values():
            label = mf.settings.get("AUTH_USER_MODEL")
            if label and "." in label:
                app, _, name = label.rpartition(".")
                candidates = [k for k in self.by_name.get(name, []) if self.orm(k) == "django"]
                preferred = [k for k in candidates if f"/{app}/" in f"/{k[0]}" or k[0].startswith(f"{app}/")]
                if preferred or candidates:
                    return (preferred or candidates)[0]
        return DJANGO_USER

    def model_ref(self, path: str, ref: str) -> Key | None:
        """The model a reference in `path` names: a class, `get_user_model()`, `"app.Model"`."""
        if ref in _DJANGO_USER_REFS or ref.endswith(("get_user_model()", "settings.AUTH_USER_MODEL")):
            return self.user_model() if ref != "django.contrib.auth.models.User" else DJANGO_USER
        if ref.endswith("()"):
            return None
        r = self.resolve(path, ref)
        if isinstance(r, ClassRef) and self.orm(r.key) is not None:
            return r.key
        if isinstance(r, ExternalRef) and "." in ref and not ref.startswith(("django.", "sqlalchemy.")):
            # "app_label.Model" strings (Django relations) and names the import graph did not reach
            name = _last(ref)
            candidates = [k for k in self.by_name.get(name, []) if self.is_table(k)]
            if len(candidates) == 1:
                return candidates[0]
        if isinstance(r, ExternalRef) and "." not in ref:
            candidates = [k for k in self.by_name.get(ref, []) if self.is_table(k)]
            if len(candidates) == 1:
                return candidates[0]
        return None

    def by_table_name(self, table: str) -> Key | None:
        for key, cls in self.classes.items():
            for f in cls.fields:
                if f.name == "__tablename__" and f.strings == (table,) and self.is_table(key):
                    return key
        for key in self.classes:  # Flask-SQLAlchemy names tables after the class: UserRole -> user_role
            if self.is_table(key) and re.sub(r"(?<!^)(?=[A-Z])", "_", model_label(key)).lower() == table:
                return key
        return None

    # ---- schemas ----
    def stems(self, name: str) -> set[str]:
        """`UserOut` -> {"UserOut", "User"}; affixes come off either end, repeatedly."""
        out = {name}
        todo = [name]
        while todo:
            n = todo.pop()
            for a in self.affixes:
                for stem in (n[: -len(a)] if n.endswith(a) else None, n[len(a) :] if n.startswith(a) and n[len(a) : len(a) + 1].isupper() else None):
                    if stem and stem not in out:
                        out.add(stem)
                        todo.append(stem)
        return out

    def mirrored_models(self, key: Key) -> list[Key]:
        """The table models a schema mirrors: itself, a table sharing its project ancestors, or by name."""
        if self.is_table(key):
            return [key]
        lineage = self.lineage(key)
        out: list[Key] = []
        shared = set(lineage[1:])
        if shared:
            for k in self.classes:
                if k not in lineage and self.is_table(k) and shared.intersection(self.lineage(k)):
                    out.append(k)
        if out:
            return out
        for k in lineage:
            # the longest stem that names a model wins: `OrderItemOut` mirrors OrderItem, not Order
            for stem in sorted(self.stems(model_label(k)), key=lambda s: (-len(s), s)):
                out = [m for m in self.by_name.get(stem, []) if m != key and self.is_table(m)]
                if out:
                    return out
        return out

    def _type_alias(self, path: str, name: str) -> tuple[str, tuple[str, ...]] | None:
        """Where a module-level type alias is defined, and the names it stands for."""
        def here(p: str, n: str) -> tuple[str, tuple[str, ...]] | None:
            mf = self.facts.get(p)
            return (p, mf.type_aliases[n]) if mf is not None and n in mf.type_aliases else None

        return self.project.names.follow(path, name, here)

    def annotation_names(self, path: str, names: tuple[str, ...], depth: int = 0) -> list[str]:
        """The last names of an annotation without typing wrappers, type aliases expanded:
        `id: PrimaryKey` with `PrimaryKey = Annotated[int, Field(gt=0)]` -> ["int"]."""
        out: list[str] = []
        for n in names:
            last = _last(n)
            if last in _TYPE_WRAPPERS:
                continue
            alias = self._type_alias(path, n) if depth < 4 and last not in self.int_schema else None
            if alias is not None:
                out.extend(self.annotation_names(alias[0], alias[1], depth + 1))
            else:
                out.append(last)
        return out

    def is_int_annotation(self, path: str, f: FieldFact) -> bool:
        names = self.annotation_names(path, f.annotation)
        return bool(names) and all(n in self.int_schema for n in names)

    def is_int_field(self, path: str, f: FieldFact) -> bool:
        """An integer field of a schema declared in `path`: `id: int` (pydantic, through type
        aliases) or `fields.Int()` / `IntegerField()`."""
        if f.annotation:
            return self.is_int_annotation(path, f)
        return f.call is not None and _last(f.call) in self.int_schema and f.keyword("load_only") != "True"

    def fk_target(self, path: str, f: FieldFact) -> Key | None:
        if f.foreign_key is None:
            return None
        if "." in f.foreign_key and f.foreign_key.count(".") == 1 and f.foreign_key.islower():
            return self.by_table_name(f.foreign_key.partition(".")[0])  # "users.id"
        return self.model_ref(path, f.foreign_key)

    def id_target(self, schema: Key, name: str) -> PrimaryKey | None:
        """The sequential key a schema field of this name carries: `id`/`pk` of the mirrored model,
        `<x>_id` of the model the mirrored model's `<x>_id` column points to (or a model named X)."""
        models = self.mirrored_models(schema)
        if name in _ID_NAMES:
            for m in models:
                pk = self.sequential(m)
                if pk is not None:
                    return pk
            return None
        if not name.endswith("_id") or len(name) <= 3:
            return None
        for m in models:
            for k, f in self.fields(m):
                if f.name == name:
                    target = self.fk_target(k[0], f)
                    return self.sequential(target) if target is not None else None
        stem = "".join(p.capitalize() for p in name[:-3].split("_"))
        candidates = [k for k in self.by_name.get(stem, []) if self.is_table(k)]
        if candidates and all(self.sequential(k) for k in candidates):
            return self.sequential(candidates[0])
        return None

    def instance_key(self, path: str, d: DictId) -> PrimaryKey | None:
        """The sequential key `d.base.d.attr` reads in its function: `user.id` where `user` holds a
        model instance there (fetched or built), or `self.id` in a model's own method."""
        model: Key | None = None
        if d.base == "self" and d.cls is not None:
            model = (path, d.cls) if (path, d.cls) in self.classes and self.is_table((path, d.cls)) else None
        elif path in self.facts:
            for local in self.facts[path].locals:
                if local.scope == d.scope and local.name == d.base:
                    model = self.model_ref(path, local.model)
                    if model is not None:
                        break
        pk = self.sequential(model) if model is not None else None
        return pk if pk is not None and d.attr in ("id", "pk", pk.field) else None

    @cached_property
    def response_schemas(self) -> list[Key]:
        """Pydantic classes used as responses (`response_model=`, handler return types), and the schemas nested in them."""
        reached: list[Key] = []
        todo: list[Key] = []
        for path, mf in self.facts.items():
            for use in mf.responses:
                for name in use.names:
                    r = self.resolve(path, name)
                    if isinstance(r, ClassRef) and r.key in self.classes and self.schema_kind(r.key) == "pydantic" and r.key not in reached:
                        reached.append(r.key)
                        todo.append(r.key)
        while todo:
            key = todo.pop()
            for k, f in self.fields(key):
                for name in f.annotation:
                    if _last(name) in _CONTAINERS:
                        continue
                    r = self.resolve(k[0], name)
                    if isinstance(r, ClassRef) and r.key in self.classes and r.key not in reached and self.schema_kind(r.key) == "pydantic":
                        reached.append(r.key)
                        todo.append(r.key)
        return sorted(reached)
