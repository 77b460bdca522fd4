"""Link token facts across the project: which key each signing site uses, and for what purpose.

`Project.resolve` (KL1xx) answers "is this key a literal?". Key separation needs a different answer:
*which* key it is, even when its value is unknown. `TokenProject.atoms` follows the same bindings and
names a key by what identifies it: the same literal (its digest), the same environment variable, the
same settings name (`SECRET_KEY`), or the same module constant whose value is opaque. Two signing sites
use one key when their atoms meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from keylint.catalog import Catalog
from keylint.extract.facts import Env, Expr, Lit, Setting, Sink, Weak
from keylint.extract.token_facts import Claims, Const, Map, Name, QualName, Seq, TokenCall, TokenFacts, TokenSetting, Unknown, Val, token_facts
from keylint.link.names import MAX_DEPTH, scope_chain
from keylint.link.project import Project
from keylint.link.values import ValueWalk
from keylint.model import Span

_UNKNOWN = Unknown()
# Labels of signer calls that are not token minting, and the purpose they sign for by default.
_SIGNER_PURPOSE = {"itsdangerous": "signed-data", "hmac": "hmac", "cryptography": "hmac"}


@dataclass(frozen=True, slots=True, order=True)
class KeyAtom:
    """One thing that names a key. Two signing sites use one key when their atoms meet.

    `kind`: "literal" (`name` is the value's digest), "weak" (a predictable generator at `path`,
    `name` "line:column"), "env" (an environment variable), "setting" (a framework setting name),
    "binding" (an opaque constant or class attribute `name` of `scope` in `path`; `member`: the
    attributes read from it, `USER_KEY.secret`)."""

    kind: str
    name: str
    path: str = ""
    scope: str = ""
    member: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """How a message names it: the setting, the variable, the constant (with its attributes)."""
        return ".".join((self.name, *self.member))


Atoms = frozenset[KeyAtom]


def setting_atom(name: str) -> KeyAtom:
    return KeyAtom("setting", name)


@dataclass(frozen=True, slots=True)
class Site:
    """A place that decides, or relies on, the key that signs something."""

    path: str
    span: Span
    purpose: str  # a `[[token_purpose]]` name
    what: str  # "jwt.encode()", "setting JWT_SECRET_KEY", "create_access_token()"
    kind: str  # choice (the key is named here) | mint (a library's key) | default (a library default)
    atoms: Atoms
    library: str = ""


class KeyIdentity:
    """Leaf policy: what names a key, even when its value is unknown: the same literal (its digest),
    the same environment variable, the same settings name (`SECRET_KEY`), or the same module
    constant whose value is opaque. A function's key is what its return value says, whatever the
    arguments (`get_key("user")` and `get_key("admin")` meet only where it returns one constant)."""

    empty: Atoms = frozenset()
    binds_arguments = False
    names_members = True

    def __init__(self, project: Project, key_settings: frozenset[str]) -> None:
        self.project = project
        self.key_settings = key_settings  # `[[key_purpose]]` settings: a definition of one names the key

    def join(self, parts: Iterable[Atoms]) -> Atoms:
        return frozenset().union(*parts)

    def literal(self, path: str, lit: Lit) -> Atoms:
        return frozenset() if lit.secret.empty else frozenset({KeyAtom("literal", lit.secret.digest)})

    def weak(self, path: str, weak: Weak) -> Atoms:
        return frozenset({KeyAtom("weak", f"{weak.span.line}:{weak.span.column}", path)})

    def env(self, path: str, env: Env, default: Callable[[], Atoms]) -> Atoms:
        return frozenset({KeyAtom("env", env.var)}) if env.var else frozenset()

    def concat(self, parts: list[Atoms]) -> Atoms:
        return frozenset().union(*parts)

    def setting(self, name: str, found: Atoms) -> Atoms:
        return found | {setting_atom(name)}

    def binding(self, path: str, scope: str, name: str, found: Atoms, bound: bool) -> Atoms:
        definition = scope == "" or scope == "<config>" or scope in self.project.python[path].classes
        if not definition:
            return found
        setting = name.replace("[", ".").rstrip("]")
        if setting in self.key_settings:
            found = found | {setting_atom(setting)}
        if not found and bound:
            return frozenset({KeyAtom("binding", name, path, scope)})  # an opaque module constant or class attribute
        return found

    def member(self, of: Atoms, attr: str) -> Atoms:
        # `USER_KEY.secret` where USER_KEY is an opaque constant: the same attribute of the same constant
        return frozenset(KeyAtom(a.kind, a.name, a.path, a.scope, (*a.member, attr)) for a in of if a.kind == "binding")


class TokenProject:
    """Token facts of a whole project, with value and key-identity resolution."""

    def __init__(self, project: Project, catalog: Catalog) -> None:
        self.project = project
        self.catalog = catalog
        self.facts: dict[str, TokenFacts] = {p: token_facts(py) for p, py in project.python.items()}
        self.consts: dict[tuple[str, str, str], Val] = {}
        for path, tf in self.facts.items():
            for c in tf.consts:
                self.consts[(path, c.scope, c.name)] = c.value  # the last binding wins
        self.purposes: dict[str, dict[str, Any]] = {str(e["name"]): e for e in catalog.table("token_purpose")}
        self.algorithms = {e["name"].lower(): e["kind"] for e in catalog.table("algorithm")}
        self.key_purposes = {e["setting"]: e for e in catalog.table("key_purpose")}
        self.defaults = catalog.table("library_default")
        self.token_settings = {e["name"]: e for e in catalog.table("token_setting")}
        self.call_entries = {e["call"]: e for e in catalog.table("token_call")}
        self.signer_sinks: dict[tuple[str, Span], Sink] = {
            (path, s.span): s for path, py in project.python.items() for s in py.sinks if s.kind == "call"
        }
        imported = {q.split(".")[0] for py in project.python.values() for q in py.imports.values()}
        self.frameworks = frozenset(imported)
        self._sites: list[Site] | None = None
        self._identity = ValueWalk(project, KeyIdentity(project, frozenset(self.key_purposes)))

    # ---- facts ----
    def calls(self, *operations: str) -> Iterator[tuple[str, TokenCall]]:
        for path, tf in self.facts.items():
            for call in tf.calls:
                if not operations or call.operation in operations:
                    yield path, call

    def settings(self, effect: str) -> Iterator[tuple[str, TokenSetting]]:
        for path, tf in self.facts.items():
            for s in tf.settings:
                if self.token_settings.get(s.name, {}).get("effect") == effect:
                    yield path, s

    def signature_off(self, path: str, call: TokenCall, options: bool = True) -> bool:
        """A decode that does not verify the signature: `verify=False` (PyJWT 1.x, jws.verify) or
        `options={"verify_signature": False}`, literally or through names."""
        verify = self.value(path, call.verify)
        if isinstance(verify, Const) and verify.value is False:
            return True
        return options and self.flag(path, call.options, "verify_signature") is False

    def verifying_scopes(self) -> set[tuple[str, str]]:
        """(path, function) pairs that verify a token: a decode that checks the signature there, or a
        call to a function of that name that does (peek, then verify in a helper)."""
        direct = {(path, c.scope) for path, c in self.calls("decode") if not self.signature_off(path, c)}
        names = {scope.rpartition(".")[2] for _, scope in direct if scope}
        out = set(direct)
        for path, tf in self.facts.items():
            out |= {(path, scope) for scope, callees in tf.callees.items() if callees & names}
        return out

    def rotates(self) -> tuple[bool, str]:
        """Whether keys are meant to rotate: a key set is loaded, or the verifying key is chosen by `kid`."""
        for path, tf in self.facts.items():
            if tf.rotation:
                return True, f"the project loads a key set ({path}:{tf.rotation[0].line})"
        for path, call in self.calls("decode"):
            if call.key_by_kid:
                return True, f"tokens are verified with a key chosen by kid ({path}:{call.span.line})"
        return False, ""

    def key_of(self, path: str, call: TokenCall) -> Expr | None:
        sink = self.signer_sinks.get((path, call.span))
        return sink.key if sink is not None else None

    # ---- values (options, algorithms, flags) ----
    def value(self, path: str, val: Val | None, depth: int = 0) -> Val | None:
        """`val` with names replaced by what they are bound to, where that is known."""
        if val is None or depth > MAX_DEPTH:
            return val
        if isinstance(val, Name):
            found = self._const(path, val.name, val.scope, depth)
            return found if found is not None else _UNKNOWN
        if isinstance(val, QualName):
            found = self._qual_const(val.qualname, depth)
            return found if found is not None else _UNKNOWN
        if isinstance(val, Seq):
            return Seq(tuple(self.value(path, v, depth + 1) or _UNKNOWN for v in val.items))
        if isinstance(val, Map):
            return Map(tuple((k, self.value(path, v, depth + 1) or _UNKNOWN) for k, v in val.items), val.open)
        return val

    def _const(self, path: str, name: str, scope: str, depth: int) -> Val | None:
        for s in scope_chain(scope):
            if (path, s, name) in self.consts:
                return self.value(path, self.consts[(path, s, name)], depth + 1)
        found = self.project.names.follow(path, name, self._const_here, qualified=False)
        return self.value(found[0], found[1], depth + 1) if found is not None else None

    def _qual_const(self, qualname: str, depth: int) -> Val | None:
        found = self.project.names.follow_qualified(qualname, self._const_here)
        return self.value(found[0], found[1], depth + 1) if found is not None else None

    def _const_here(self, path: str, name: str) -> tuple[str, Val] | None:
        """A constant a module defines: `ALGS = [...]`, or a class attribute `Config.ALGS`."""
        cls, _, attr = name.rpartition(".")
        value = self.consts.get((path, cls, attr))
        return (path, value) if value is not None and "." not in cls else None

    def flag(self, path: str, options: Val | None, name: str) -> bool | None:
        """The value of option `name` in an `options=` mapping, when it is a known boolean."""
        resolved = self.value(path, options)
        if not isinstance(resolved, Map):
            return None
        for key, v in resolved.items:
            if key == name and isinstance(v, Const) and isinstance(v.value, (bool, int)):
                return bool(v.value)
        return None

    def algorithm_names(self, path: str, val: Val | None) -> tuple[list[str], bool, bool] | None:
        """(algorithm names, complete?, from the token header?) for an algorithm value; None: not passed."""
        resolved = self.value(path, val)
        if resolved is None:
            return None
        items = resolved.items if isinstance(resolved, Seq) else (resolved,)
        names: list[str] = []
        complete, header = isinstance(resolved, (Seq, Const)), False
        for item in items:
            if isinstance(item, Const) and isinstance(item.value, str) and item.value.lower() in self.algorithms:
                names.append(item.value)
            elif type(item).__name__ == "FromHeader":
                header, complete = True, False
            else:
                complete = False
        return names, complete, header

    # ---- key identity ----
    def atoms(self, path: str, expr: Expr | None) -> Atoms:
        """What identifies the key `expr` evaluates to; empty when nothing does (a parameter, a call)."""
        return self._identity.walk(path, expr)

    # ---- purposes ----
    def purpose_of(self, claims: Claims | None, words: tuple[str, ...]) -> str | None:
        """The most privileged purpose the claims or the surrounding names show, else None."""
        values = {w for _, vs in (claims.values if claims else ()) for w in vs}
        flags = {k for k, vs in (claims.values if claims else ()) if "true" in vs}
        keys = set(claims.keys) if claims else set()
        for name, e in self.purposes.items():
            if values & {v.lower() for v in e["values"]} or flags & set(e["flags"]) or (keys & set(e["flags"]) - {"admin", "internal", "confirm"}):
                return name
            if set(words) & set(e["words"]):
                return name
        return None

    def label(self, purpose: str, capital: bool = False) -> str:
        text = str(self.purposes[purpose]["label"]) if purpose in self.purposes else purpose
        return text[:1].upper() + text[1:] if capital else text

    # ---- sites ----
    def setting_overridden(self, names: list[str]) -> bool:
        """Whether any of these settings is given a value anywhere in the project."""
        wanted = set(names)
        for name in names:
            owner, _, item = name.partition(".")
            if self.project.by_name.get(f"{owner}[{item}]" if item else name):
                return True
        return any(s.kind == "setting" and _setting_name(s.label) in wanted for _, s in self.project.sinks())

    def sites(self) -> list[Site]:
        if self._sites is None:
            self._sites = sorted(self._collect(), key=lambda s: (s.path, s.span, s.what))
        return self._sites

    def _collect(self) -> Iterator[Site]:
        p = self.project
        # framework key settings
        for path, setting_sink in p.sinks():
            if setting_sink.kind != "setting":
                continue
            name = _setting_name(setting_sink.label)
            entry = self.key_purposes.get(name) if name is not None else None
            if name is None or entry is None or not self._framework_ok(entry):
                continue
            atoms = self.atoms(path, setting_sink.key) | {setting_atom(name)}
            yield Site(path, setting_sink.span, entry["purpose"], f"setting {name}", "choice", atoms)
        # explicit token encoding
        for path, call in self.calls("encode"):
            key = self.key_of(path, call)
            purpose = self.purpose_of(call.claims, call.words) or "access"
            yield Site(path, call.span, purpose, f"{call.api}()", "choice", self.atoms(path, key), call.library)
        # library minters: the key is the library's setting (or what it falls back to)
        for path, call in self.calls("mint"):
            entry = self.call_entries.get(call.api, {})
            setting = str(entry.get("key_setting", ""))
            purpose = self.purpose_of(call.claims, call.words) or str(entry.get("purpose", "access"))
            yield Site(path, call.span, purpose, f"{call.api.rpartition('.')[2]}()", "mint", self._library_key(setting), call.library)
        # other signers (itsdangerous, hmac) on a key of the project
        for path, tf in self.facts.items():
            for api, span, words in tf.signers:
                library = api.split(".")[0]
                if library not in _SIGNER_PURPOSE:
                    continue
                sink = self.signer_sinks.get((path, span))
                if sink is None or sink.operation != "sign":
                    continue
                purpose = self.purpose_of(None, words) or _SIGNER_PURPOSE[library]
                if purpose == "hmac":
                    continue  # a keyed hash of some data (Django's own salted_hmac idiom), not a token
                yield Site(path, span, purpose, f"{api}()", "choice", self.atoms(path, sink.key), library)
        # library defaults the project relies on
        for entry, evidence_path, span in self.relied_defaults():
            yield Site(evidence_path, span, entry["purpose"], entry["library"], "default", frozenset({setting_atom(entry["default"])}), entry["library"])

    def _framework_ok(self, entry: dict[str, Any]) -> bool:
        frameworks = entry.get("frameworks")
        return not frameworks or bool(self.frameworks & set(frameworks))

    def _library_key(self, setting: str) -> Atoms:
        for entry in self.defaults:
            if entry["setting"] == setting and not self.setting_overridden(list(entry["overrides"])):
                return frozenset({setting_atom(entry["default"])})
        if not setting:
            return frozenset()
        owner, _, item = setting.partition(".")
        return self.atoms("", Setting(f"{owner}[{item}]" if item else owner)) | {setting_atom(setting)}

    def relied_defaults(self) -> list[tuple[dict[str, Any], str, Span]]:
        """Libraries in use whose key setting is not set: (entry, path, span of the best evidence)."""
        out = []
        rank = {"container": 0, "call": 1, "string": 2, "import": 3}  # where the library is configured, first
        for entry in self.defaults:
            evidence = [(rank[e.kind], path, e.span) for path, tf in self.facts.items() for e in tf.evidence if e.library == entry["library"]]
            if not evidence or self.setting_overridden(list(entry["overrides"])):
                continue
            _, path, span = min(evidence)
            out.append((entry, path, span))
        return out

    def groups(self) -> list[list[Site]]:
        """Sites that share one key (atoms meet), each group in site order; sites with no atoms stay out."""
        parent: dict[KeyAtom, KeyAtom] = {}

        def find(a: KeyAtom) -> KeyAtom:
            while parent.setdefault(a, a) != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        sites = [s for s in self.sites() if s.atoms]
        for s in sites:
            first, *rest = sorted(s.atoms)
            for a in rest:
                parent[find(a)] = find(first)
        grouped: dict[KeyAtom, list[Site]] = {}
        for s in sites:
            grouped.setdefault(find(min(s.atoms)), []).append(s)
        return sorted(grouped.values(), key=lambda g: (g[0].path, g[0].span))

    def describe_key(self, atoms: Atoms) -> str:
        """The key as messages (and KL401's fingerprint token) name it."""
        for kind, text in (("setting", "the key in {}"), ("env", "the key from environment variable {}"), ("binding", "the key {}")):
            names = sorted(a.shown for a in atoms if a.kind == kind)
            if names:
                return text.format(" = ".join(names) if kind == "setting" else names[0])
        if any(a.kind == "literal" for a in atoms):
            return "one hard-coded key"
        return "one key"


def _setting_name(label: str) -> str | None:
    """The setting a KL1xx settings sink assigns: `setting X`, `app.config['X']`, `SIMPLE_JWT['Y']`, `app.secret_key`."""
    if label.startswith("setting "):
        return label[len("setting ") :]
    if label.endswith(".secret_key") or label == "secret_key":
        return "SECRET_KEY"
    if label.startswith("dict item "):
        return None
    if label.endswith("']") and "['" in label:
        owner, _, item = label[:-2].rpartition("['")
        owner = owner.rpartition(".")[2]
        return item if owner == "config" else f"{owner}.{item}"
    return None
