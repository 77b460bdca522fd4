"""Link token facts across the project: which key each signing site uses, for what purpose, in
which application; and which unverified reads of a token are verified before they are trusted.

`Project.resolve` (KL1xx) answers "is this key a literal?". Key separation needs a different answer:
*which* key it is, even when its value is unknown. `TokenProject.atoms` follows the same bindings and
names a key by what identifies it: the same literal (its digest), the same environment variable, the
same settings name (`SECRET_KEY`), or the same module constant whose value is opaque. Two signing sites
of one application use one key when their atoms meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from keylint.catalog import Catalog, split_words
from keylint.extract.facts import Attr, Env, Expr, Lit, Module, Ref, Setting, Sink, Weak
from keylint.extract.token_facts import (
    Claims,
    Const,
    DefaultKeyCall,
    FromHeader,
    HelperCall,
    Map,
    Name,
    QualName,
    Seq,
    TokenCall,
    TokenFacts,
    TokenPass,
    TokenSetting,
    Unknown,
    Val,
    token_facts,
)
from keylint.link.applications import APPLICATION, TESTS, Applications
from keylint.link.names import MAX_DEPTH, scope_chain
from keylint.link.project import Project
from keylint.link.values import ValueWalk
from keylint.model import Span

_UNKNOWN = Unknown()
_TIMING_CLAIMS = frozenset({"exp", "iat", "nbf"})
_TYPE_CLAIMS = ("token_type", "type", "typ", "token_use", "kind", "purpose")
_HAND_ON_DEPTH = 2  # helpers that hand a token on to the one that verifies it
_TOKEN_WORDS = frozenset({"token", "tokens", "jwt", "link", "links", "url", "signature"})
_CLAUSE = re.compile(r"\s*(===|==|~=|>=|<=|!=|>|<|\^|~)?\s*v?(\d+)(?:\.(\d+))?")


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
    """A place that decides, or relies on, the key that signs (or verifies) something."""

    path: str
    span: Span
    purpose: str  # a `[[token_purpose]]` name
    what: str  # "jwt.encode()", "setting JWT_SECRET_KEY", "create_access_token()"
    # choice (the key is named here) | mint (a library's key) | default (a library default relied on)
    # | library-default (a library's own default, in its repository) | verify (a verifier)
    kind: str
    atoms: Atoms
    library: str = ""
    app: str = APPLICATION  # the application it belongs to (keylint.link.applications)
    claim: str = ""  # the privilege claim this site carries as a computed value (`role`), if that is its purpose
    mints: bool = False  # it mints a token (an encode, a library minter, a caller telling a helper what to mint)


class KeyIdentity:
    """Leaf policy: what names a key, even when its value is unknown: the same literal (its digest),
    the same environment variable (or what it falls back to), the same settings name (`SECRET_KEY`),
    or the same module constant whose value is opaque. A function's key is what its return value
    says, whatever the arguments (`get_key("user")` and `get_key("admin")` meet only where it
    returns one constant)."""

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
        # `os.environ.get("DATASOURCE_KEY", SECRET_KEY)`: where the variable is unset, the key is the
        # framework secret; a literal default is KL102's, and no identity of the key
        fallback = frozenset(a for a in default() if a.kind == "setting")
        return (frozenset({KeyAtom("env", env.var)}) if env.var else frozenset()) | fallback

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

    def __init__(self, project: Project, catalog: Catalog, is_test: Callable[[str], bool] = lambda path: False) -> None:
        self.project = project
        self.catalog = catalog
        self.facts: dict[str, TokenFacts] = {p: token_facts(py) for p, py in project.python.items()}
        self.consts: dict[tuple[str, str, str], Val] = {}
        for path, tf in self.facts.items():
            for c in tf.consts:
                self.consts[(path, c.scope, c.name)] = c.value  # the last binding wins
        self.purposes: dict[str, dict[str, Any]] = {str(e["name"]): e for e in catalog.table("token_purpose")}
        self.rank = {name: i for i, name in enumerate(self.purposes)}  # catalog order: most privileged first
        self.algorithms = {e["name"].lower(): e["kind"] for e in catalog.table("algorithm")}
        self.key_purposes = {e["setting"]: e for e in catalog.table("key_purpose")}
        self.defaults = catalog.table("library_default")
        self.token_settings = {e["name"]: e for e in catalog.table("token_setting")}
        self.call_entries = {e["call"]: e for e in catalog.table("token_call")}
        self.signer_purposes = catalog.table("signer_purpose")
        self.framework_signers = catalog.table("framework_signer")
        self.remote_key_sets = {e["call"] for e in catalog.table("key_rotation") if e.get("remote")}
        self.signer_sinks: dict[tuple[str, Span], Sink] = {
            (path, s.span): s for path, py in project.python.items() for s in py.sinks if s.kind == "call"
        }
        imported = {q.split(".")[0] for py in project.python.values() for q in py.imports.values()}
        self.frameworks = frozenset(imported)
        self.apps = Applications(project, is_test, {p for p, tf in self.facts.items() if tf.script})
        self._sites: list[Site] | None = None
        self._identity = ValueWalk(project, KeyIdentity(project, frozenset(self.key_purposes)))
        self._helpers: dict[tuple[str, str], list[tuple[str, HelperCall]]] | None = None
        self._declared: dict[str, tuple[int, int | None, str] | None] = {}

    # ---- facts ----
    def calls(self, *operations: str) -> Iterator[tuple[str, TokenCall]]:
        for path, tf in self.facts.items():
            for call in tf.calls:
                if not operations or call.operation in operations:
                    yield path, call

    def settings(self, effect: str) -> Iterator[tuple[str, TokenSetting]]:
        """Catalogued settings with this effect; a library's own table of defaults counts only in that library."""
        for path, tf in self.facts.items():
            for s in tf.settings:
                entry = self.token_settings.get(s.name, {})
                if entry.get("effect") == effect and (not s.default or self.library_package(str(entry.get("library", "")), path)):
                    yield path, s

    def relied_setting_defaults(self, effect: str) -> Iterator[tuple[dict[str, Any], str, Span]]:
        """Settings with this effect that a library in use leaves at its catalogued `default`:
        (entry, path, span of the best evidence that the library is configured or used)."""
        for entry in self.token_settings.values():
            if entry.get("effect") != effect or "default" not in entry:
                continue
            library = str(entry.get("library", ""))
            if self.library_package(library) or self.setting_overridden([str(entry["name"])]):
                continue
            for _, path, span in self._evidence(library):
                yield entry, path, span

    # ---- libraries ----
    def library_package(self, library: str, path: str | None = None) -> bool:
        """Whether the project is this library's own repository (its package is a project module);
        with `path`: whether that file is part of the package."""
        for entry in self.defaults:
            if entry["library"] != library:
                continue
            for root in {str(e).split(".")[0] for e in entry["evidence"]}:
                paths = self.project.names.module_paths(root)
                if path is None and paths:
                    return True
                if path is not None and any(path == p or path.startswith(p.rpartition("/")[0] + "/") for p in paths if p.endswith("__init__.py")):
                    return True
        return False

    def declared_majors(self, distribution: str) -> tuple[int, int | None, str] | None:
        """The range of major versions of `distribution` that every declaration in the project
        allows, (lowest, highest or None, where declared); None when it is declared nowhere or
        somewhere without a version."""
        if distribution not in self._declared:
            self._declared[distribution] = self._declared_majors(distribution)
        return self._declared[distribution]

    def _declared_majors(self, distribution: str) -> tuple[int, int | None, str] | None:
        low, high, where = 0, None, ""
        found = False
        for path, f in self.project.files.items():
            for d in f.dependencies:
                if d.name != distribution:
                    continue
                bounds = _majors(d.spec)
                if bounds is None:
                    return None
                found = True
                low = max(low, bounds[0])
                high = bounds[1] if high is None else min(high, bounds[1]) if bounds[1] is not None else high
                where = where or f"{path}:{d.line}"
        return (low, high, where) if found else None

    def verify_ignored(self, call: TokenCall) -> tuple[bool | None, str]:
        """Whether the library version the project declares ignores `verify=` (PyJWT dropped it in
        2.0): True / False from the declarations (with where one is), None when they do not say."""
        entry = self.call_entries.get(call.api, {})
        distribution, since = entry.get("verify_removed_in_distribution"), entry.get("verify_removed_in")
        if not distribution or since is None:
            return None, ""
        found = self.declared_majors(str(distribution))
        if found is None:
            return None, ""
        low, high, where = found
        if low >= int(since):
            return True, where
        if high is not None and high < int(since):
            return False, where
        return None, ""

    # ---- verification ----
    def signature_off(self, path: str, call: TokenCall, options: bool = True) -> bool:
        """A decode that does not verify the signature: `verify=False` (PyJWT 1.x, jws.verify; not
        where the project declares a PyJWT that ignores it) or `options={"verify_signature": False}`,
        literally or through names."""
        if self.verify_flag_off(path, call) and self.verify_ignored(call)[0] is not True:
            return True
        return options and self.flag(path, call.options, "verify_signature") is False

    def verify_flag_off(self, path: str, call: TokenCall) -> bool:
        verify = self.value(path, call.verify)
        return isinstance(verify, Const) and verify.value is False

    def unverified_reads(self) -> Iterator[tuple[str, TokenCall]]:
        """Decodes with verification off, and reads that never verify (peeks, hand decoding)."""
        for path, call in self.calls("decode", "unverified-claims", "unverified-header"):
            if call.operation != "decode" or self.signature_off(path, call):
                yield path, call

    def verified_before_use(self, path: str, read: TokenCall) -> bool:
        """Peek, then verify: the SAME token value is verified before the claims read here are
        trusted. In the same function: a verifying decode of the same name in no other branch,
        before the read, or after it where the read's claims are not returned first; or a helper
        this function hands the token to that verifies it. Inside a helper that reads its
        parameter: a caller that verifies what it passed, with the key this helper returns (the
        claims chose the key) or before calling it."""
        if read.token is None:
            return False
        here = [c for c in self.facts[path].calls if c.scope == read.scope and c is not read]
        returned = min((u.line for u in read.uses if u.kind == "return"), default=None)
        for v in here:
            if v.token == read.token and self._verifies(path, v) and not _exclusive(v.branch, read.branch):
                if v.span.line < read.span.line or returned is None or v.span.line <= returned:
                    return True
        for p in self.facts[path].passes:
            if p.scope == read.scope and read.token in _passed(p) and not _exclusive(p.branch, read.branch):
                if self._verifies_parameter(path, read.scope, p, read.token) and (returned is None or p.line <= returned):
                    return True
        param = self._parameter_index(path, read.scope, read.token)
        if param is None:
            return False
        function = read.scope.rpartition(".")[2]
        for caller_path, tf in self.facts.items():
            for p in tf.passes:
                if p.callee != function:
                    continue
                passed = _argument(p, param)
                if passed is None:
                    continue
                for v in tf.calls:
                    if v.scope == p.scope and v.token == passed and self._verifies(caller_path, v) and not _exclusive(v.branch, p.branch):
                        if v.key_from == function or v.span.line < p.line or returned is None:
                            return True
                # the caller hands what it passed here to a helper that verifies it (`if is_ours(t): claims = verify(t)`)
                for q in tf.passes:
                    if q is p or q.scope != p.scope or passed not in _passed(q) or _exclusive(q.branch, p.branch):
                        continue
                    if (q.line < p.line or returned is None) and self._verifies_parameter(caller_path, q.scope, q, passed):
                        return True
        return False

    def _verifies(self, path: str, call: TokenCall) -> bool:
        return call.operation == "decode" and not self.signature_off(path, call)

    def _verifies_parameter(self, path: str, caller_scope: str, p: TokenPass, token: str, depth: int = 0) -> bool:
        """`p` hands `token` to a project function that verifies the parameter it arrives in, itself
        or through a helper it hands that parameter on to (`jwt_decode(t)` -> `manager.decode(t)`)."""
        for target_path, tf in self.facts.items():
            for v in tf.calls:
                if v.scope.rpartition(".")[2] != p.callee or not self._verifies(target_path, v) or v.token is None:
                    continue
                index = self._parameter_index(target_path, v.scope, v.token)
                if index is not None and _argument(p, index) == token:
                    return True
            if depth >= _HAND_ON_DEPTH:
                continue
            for q in tf.passes:
                if q.scope.rpartition(".")[2] != p.callee or q is p:
                    continue
                for name in _passed(q):
                    index = self._parameter_index(target_path, q.scope, name)
                    if index is not None and _argument(p, index) == token and self._verifies_parameter(target_path, q.scope, q, name, depth + 1):
                        return True
        return False

    def _parameter_index(self, path: str, scope: str, name: str) -> tuple[int, str] | None:
        """(position, name) of parameter `name` of function `scope`, self/cls not counted; position
        -1 for a keyword-only parameter; None when `name` is no parameter."""
        if name not in self.facts[path].parameters.get(scope, ()):
            return None
        params = self.project.python[path].params.get(scope, ())
        if params and params[0] in ("self", "cls") and "." in scope:
            params = params[1:]
        return (params.index(name) if name in params else -1, name)

    def output_only(self, read: TokenCall) -> bool:
        """The claims read here only reach logging, a diagnostic print or a test assertion."""
        return bool(read.uses) and all(u.kind in ("log", "assert") for u in read.uses)

    def timing_only(self, read: TokenCall) -> bool:
        """Only the token's lifetime is read (`claims["exp"]`: is it expired, time to refresh?):
        nothing about identity or permission is trusted."""
        return bool(read.used_keys) and set(read.used_keys) <= _TIMING_CLAIMS

    def published_default_keys(self) -> Iterator[tuple[str, DefaultKeyCall, dict[str, Any]]]:
        """Calls that leave a library signing with the secret printed in its own source: no key
        keyword, nothing else that configures it, and no key in the app's config in that module.
        Not in the library's own repository (its tests use the default by design)."""
        entries = {e["call"]: e for e in self.catalog.table("published_default_key")}
        for path, tf in self.facts.items():
            configured = {owner for owner, key in tf.config_keys if any(key == e["setting"] for e in entries.values())}
            for call in tf.default_key_calls:
                entry = entries.get(call.api)
                if entry is None or self.project.names.module_paths(call.api.split(".")[0]):
                    continue
                if entry["keyword"] in call.keywords or set(entry.get("configured_by", ())) & set(call.keywords) or call.app in configured:
                    continue
                yield path, call, entry

    # ---- key rotation, audiences ----
    def rotates(self, app: str) -> tuple[bool, str]:
        """Whether the application's own keys rotate: it loads a key set it signs with, or verifies
        with a key chosen by `kid`. A client for another party's key set (`PyJWKClient(url)`)
        verifies their tokens; it says nothing about this project's keys."""
        for path, tf in self.facts.items():
            if self.apps.judged_by(path) != app:
                continue
            own = [span for api, span in tf.rotation if api not in self.remote_key_sets]
            if own:
                return True, f"the project loads a key set ({path}:{own[0].line})"
        for path, call in self.calls("decode"):
            if call.key_by_kid and self.apps.judged_by(path) == app:
                return True, f"tokens are verified with a key chosen by kid ({path}:{call.span.line})"
        return False, ""

    def minted_purposes(self, app: str) -> set[str]:
        """What the application mints tokens for (encodes, library minters, helpers told by their
        callers). A library's own access and refresh tokens are one kind here: the library types
        them and checks the type on every verify (flask-jwt-extended, simplejwt, fastapi-jwt-auth)."""
        return {"access" if s.kind == "mint" and s.purpose == "refresh" else s.purpose for s in self.sites() if s.mints and s.app == app and not s.claim}

    def type_scoped(self, app: str) -> bool:
        """Every token the application mints names its kind in a type claim (`token_type`), and
        every verifier of the application reads that claim: kinds are told apart without `aud`."""
        mints = [(path, c) for path, c in self.calls("encode") if self.apps.of(path) == app]
        if not mints or any(not any(c.claims is not None and k in c.claims.keys for k in _TYPE_CLAIMS) for _, c in mints):
            return False
        keys = frozenset().union(*(self.atoms(path, self.key_of(path, c)) for path, c in mints))
        # the verifiers of these tokens: not those that check an audience, nor those of another key
        decodes = [
            c for path, c in self.calls("decode")
            if self.apps.of(path) == app and not c.audience and not (keys and self.atoms(path, self.key_of(path, c)).isdisjoint(keys))
        ]
        return bool(decodes) and all(any(k in d.used_keys for k in _TYPE_CLAIMS) for d in decodes)

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
            elif isinstance(item, FromHeader):
                header, complete = True, False
            else:
                complete = False
        return names, complete, header

    def unsigned(self, path: str, call: TokenCall) -> bool:
        """An encode that signs nothing: `algorithm="none"`, PyJWT's `algorithm=None`, python_jwt's `None` key."""
        found = self.algorithm_names(path, call.algorithm)
        if found is not None and any(n.lower() == "none" for n in found[0]):
            return True
        without = self.call_entries.get(call.api, {}).get("unsigned_without")
        if without == "algorithm":
            return call.algorithm is not None and self.value(path, call.algorithm) == Const(None)
        return without == "key" and call.key_none

    # ---- key identity ----
    def atoms(self, path: str, expr: Expr | None) -> Atoms:
        """What identifies the key `expr` evaluates to; empty when nothing does (a parameter, a call)."""
        return self._identity.walk(path, expr)

    def key_kind(self, path: str, call: TokenCall) -> str | None:
        """"asymmetric" or "symmetric" where the key a verifier uses says so: the signing sites it
        shares atoms with, or the names it is read from; None when nothing does."""
        atoms = self.atoms(path, self.key_of(path, call))
        kinds: set[str] = set()
        for other_path, other in self.calls("encode"):
            if atoms and atoms & self.atoms(other_path, self.key_of(other_path, other)):
                found = self.algorithm_names(other_path, other.algorithm)
                kinds |= {self.algorithms[n.lower()] for n in (found[0] if found else [])}
        words = {w for a in atoms for w in re.findall(r"[a-z]+", a.shown.lower())}
        if words & {"public", "pub", "pem", "rsa", "ecdsa", "jwk", "jwks", "cert", "certificate", "x509"}:
            kinds.add("asymmetric")
        elif words & {"secret", "hmac", "hs256", "shared"}:
            kinds.add("symmetric")
        kinds.discard("none")
        return kinds.pop() if len(kinds) == 1 else "asymmetric" if "asymmetric" in kinds else None

    def asymmetric_in_play(self, app: str) -> bool:
        """The application names an asymmetric algorithm somewhere, or loads a key set."""
        for path, c in self.calls("encode", "decode"):
            if self.apps.judged_by(path) != app:
                continue
            found = self.algorithm_names(path, c.algorithm if c.operation == "encode" else c.algorithms)
            if found is not None and any(self.algorithms.get(n.lower()) == "asymmetric" for n in found[0]):
                return True
        for effect in ("algorithm", "algorithms"):
            for path, s in self.settings(effect):
                found = self.algorithm_names(path, s.value)
                if self.apps.judged_by(path) == app and found is not None and any(self.algorithms.get(n.lower()) == "asymmetric" for n in found[0]):
                    return True
        return any(tf.rotation for path, tf in self.facts.items() if self.apps.judged_by(path) == app)


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

    def signer_purpose(self, api: str) -> str | None:
        """What a catalogued signer call (not a token library) signs or encrypts, if a purpose."""
        best = max((e for e in self.signer_purposes if api == e["call"] or api.startswith(e["call"] + ".")), key=lambda e: len(e["call"]), default=None)
        return str(best["purpose"]) if best is not None and best["purpose"] else None

    def framework_signs(self, app: str) -> bool:
        """Evidence that the framework signs with its secret in this application: sessions, flash
        messages, CSRF, a login manager, Django's own apps and signing (imports, settings strings)."""
        uses = tuple(u for e in self.framework_signers for u in e["uses"])
        home = APPLICATION if app == TESTS else app
        for path, py in self.project.python.items():
            if self.apps.of(path) != home:
                continue
            if any(q == u or q.startswith(u + ".") for q in py.imports.values() for u in uses):
                return True
            if self.facts[path].framework_uses:
                return True
        return False

    # ---- sites ----
    def setting_overridden(self, names: list[str]) -> bool:
        """Whether any of these settings is given a value anywhere in the project."""
        wanted = set(names)
        for name in names:
            owner, _, item = name.partition(".")
            if self.project.by_name.get(f"{owner}[{item}]" if item else name):
                return True
        return any(s.kind == "setting" and s.setting in wanted for _, s in self.project.sinks())

    def sites(self) -> list[Site]:
        if self._sites is None:
            self._sites = sorted(self._collect(), key=lambda s: (s.path, s.span, s.what))
        return self._sites

    def _collect(self) -> Iterator[Site]:
        p = self.project
        app = self.apps.of
        # framework key settings
        for path, setting_sink in p.sinks():
            if setting_sink.kind != "setting":
                continue
            name = setting_sink.setting
            entry = self.key_purposes.get(name) if name is not None else None
            if name is None or entry is None or not self._framework_ok(entry):
                continue
            atoms = self.atoms(path, setting_sink.key) | {setting_atom(name)}
            yield Site(path, setting_sink.span, entry["purpose"], f"setting {name}", "choice", atoms, app=app(path))
        # explicit token encoding, and the callers that tell a helper what it mints
        for path, call in self.calls("encode"):
            atoms = self.atoms(path, self.key_of(path, call))
            # the helper's own site stays: callers that pass nothing telling are not recorded
            purpose = self.purpose_of(call.claims, call.words) or "access"
            yield Site(path, call.span, purpose, f"{call.api}()", "choice", atoms, call.library, app(path), mints=True)
            if call.privilege and self.rank.get(purpose, 99) > self.rank["admin"]:
                yield Site(path, call.span, "admin", f"{call.api}()", "choice", atoms, call.library, app(path), claim=call.privilege[0], mints=True)
            yield from self._caller_sites(path, call, atoms)
        # library minters: the key is the library's setting (or what it falls back to)
        for path, call in self.calls("mint"):
            entry = self.call_entries.get(call.api, {})
            setting = str(entry.get("key_setting", ""))
            purpose = self.purpose_of(call.claims, call.words) or str(entry.get("purpose", "access"))
            yield Site(path, call.span, purpose, f"{call.api.rpartition('.')[2]}()", "mint", self._library_key(setting), call.library, app(path), mints=True)
        # other signers (itsdangerous, Fernet, hashids, sessions) on a key of the project
        for path, tf in self.facts.items():
            for api, span, words in tf.signers:
                default = self.signer_purpose(api)
                if default is None:
                    continue  # a keyed hash of some data (hmac, Django's salted_hmac idiom), not a token
                sink = self.signer_sinks.get((path, span))
                if sink is None or sink.operation != "sign":
                    continue
                named = self.purpose_of(None, words) if default == "signed-data" else None
                yield Site(path, span, named or default, f"{api}()", "choice", self.atoms(path, sink.key), api.split(".")[0], app(path))
        # a key-named constant that holds the framework secret (or falls back to it) and that no
        # catalogued signer reads: the framework secret reused as another key (`DATASOURCE_SECRET_KEY`)
        read = self._names_signers_read()
        for path, sink in p.sinks():
            name = sink.binding
            if name is None or name in read or name in self.key_purposes:
                continue
            atoms = self.atoms(path, sink.key)
            if any(a.kind == "setting" and self._framework_setting(a.name) for a in atoms):
                yield Site(path, sink.span, "other-key", f"key {name}", "choice", atoms, app=app(path))
        # verifiers: a key that verifies tokens nobody here mints with it is still a live key
        for path, call in self.calls("decode"):
            if self.signature_off(path, call):
                continue
            atoms = self.atoms(path, self.key_of(path, call))
            if atoms:
                purpose = self.purpose_of(None, call.words) or "access"
                yield Site(path, call.span, purpose, f"{call.api}()", "verify", atoms, call.library, app(path))
        # library defaults the project relies on, and a library's own defaults in its repository
        for entry, evidence_path, span in self.relied_defaults():
            yield Site(evidence_path, span, entry["purpose"], entry["library"], "default", frozenset({setting_atom(entry["default"])}), entry["library"], app(evidence_path))
        for entry in self.defaults:
            for path, tf in self.facts.items():
                for s in tf.settings:
                    if s.default and s.name == entry["setting"] and self.library_package(entry["library"], path) and _reads(s.value, str(entry["default"])):
                        atoms = frozenset({setting_atom(entry["default"]), setting_atom(s.name)})
                        yield Site(path, s.span, entry["purpose"], f"default {s.name}", "library-default", atoms, entry["library"], app(path))

    def _framework_setting(self, name: str) -> bool:
        entry = self.key_purposes.get(name)
        return entry is not None and entry["purpose"] == "framework" and self._framework_ok(entry)

    def _names_signers_read(self) -> set[str]:
        """The last names of what catalogued signers' key arguments read (`KEY`, `settings.KEY`)."""
        out: set[str] = set()
        for _, sink in self.project.sinks():
            key = sink.key
            if sink.kind != "call":
                continue
            if isinstance(key, Ref):
                out.add(key.name)
            elif isinstance(key, Attr):
                out.add(key.attr)
            elif isinstance(key, Setting):
                out.add(key.name)
            elif isinstance(key, Module):
                out.add(key.qualname.rpartition(".")[2])
        return out

    def _caller_sites(self, path: str, call: TokenCall, atoms: Atoms) -> Iterator[Site]:
        """Sites at the callers of the helper this encode is in, where the caller says what the
        token is for (`issue(uid, kind="staff")`)."""
        if not call.scope or not (call.payload_param or call.param_claims):
            return
        params = self.project.python[path].params.get(call.scope, ())
        if params and params[0] in ("self", "cls") and "." in call.scope:
            params = params[1:]
        for caller_path, hc in self.helper_calls().get((path, call.scope), ()):
            values: list[tuple[str, tuple[str, ...]]] = []
            keys: list[str] = list(call.claims.keys if call.claims else ())
            if call.payload_param:
                given = _given(hc, params, call.payload_param)
                if isinstance(given, Claims):
                    keys += given.keys
                    values += given.values
            for claim, param in call.param_claims:
                given = _given(hc, params, param)
                if isinstance(given, Const) and isinstance(given.value, str):
                    keys.append(claim)
                    values.append((claim, tuple(w.lower() for w in given.value.replace(",", " ").split())))
            # the caller's own name says what it makes only where it is itself a token maker
            # (`create_file_token`), not a route that happens to mint (`refresh`, `admin_impersonate`)
            caller = split_words(hc.scope.rpartition(".")[2])
            words = tuple(caller) if _TOKEN_WORDS.intersection(caller) else ()
            purpose = self.purpose_of(Claims(tuple(sorted(set(keys))), tuple(values), False), words)
            if purpose is None:
                continue
            helper = call.scope.rpartition(".")[2]
            yield Site(caller_path, hc.span, purpose, f"{helper}() ({call.api}() at {path}:{call.span.line})", "choice", atoms, call.library, self.apps.of(caller_path), mints=True)

    def helper_calls(self) -> dict[tuple[str, str], list[tuple[str, HelperCall]]]:
        """Calls that tell a function what to mint, by the (path, function) they call."""
        if self._helpers is None:
            found: dict[tuple[str, str], list[tuple[str, HelperCall]]] = {}
            for path, tf in self.facts.items():
                for hc in tf.helper_calls:
                    target = self._resolve_function(path, hc)
                    if target is not None:
                        found.setdefault(target, []).append((path, hc))
            self._helpers = found
        return self._helpers

    def _resolve_function(self, path: str, hc: HelperCall) -> tuple[str, str] | None:
        """The project function a helper call calls: a method of the caller's class (`self.issue`),
        a function of its module, or one it imports (the callee is already import-resolved)."""
        py = self.project.python[path]
        head, dot, rest = hc.callee.partition(".")
        if head in ("self", "cls") and dot:
            cls = next((s for s in scope_chain(hc.scope) if s in py.classes), None)
            return (path, f"{cls}.{rest}") if cls is not None and f"{cls}.{rest}" in py.functions else None
        for s in scope_chain(hc.scope):
            qual = f"{s}.{hc.callee}".strip(".")
            if qual in py.functions:
                return path, qual
        names = self.project.names
        return names.follow_qualified(hc.callee, names.function_here) or names.function(path, hc.callee, qualified=False)

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

    def _evidence(self, library: str) -> list[tuple[int, str, Span]]:
        """The best evidence that `library` is in use, one per application that uses it."""
        rank = {"container": 0, "call": 1, "string": 2, "import": 3}  # where the library is configured, first
        best: dict[str, tuple[int, str, Span]] = {}
        for path, tf in self.facts.items():
            for e in tf.evidence:
                if e.library == library:
                    found = (rank[e.kind], path, e.span)
                    app = self.apps.of(path)
                    if app not in best or found < best[app]:
                        best[app] = found
        return sorted(best.values(), key=lambda f: (f[1], f[2]))

    def relied_defaults(self) -> list[tuple[dict[str, Any], str, Span]]:
        """Libraries in use whose key setting is not set: (entry, path, span of the best evidence),
        once per application; not in the library's own repository (its default is reported there)."""
        out: list[tuple[dict[str, Any], str, Span]] = []
        for entry in self.defaults:
            if self.library_package(entry["library"]) or self.setting_overridden(list(entry["overrides"])):
                continue
            out.extend((entry, path, span) for _, path, span in self._evidence(entry["library"]))
        return out

    def groups(self) -> list[list[Site]]:
        """Sites of one application that share one key (atoms meet), each group in site order; sites
        with no atoms stay out, and so do tests (they exercise the application's keys, and forge
        whatever token a test needs)."""
        parent: dict[tuple[str, KeyAtom], tuple[str, KeyAtom]] = {}

        def find(a: tuple[str, KeyAtom]) -> tuple[str, KeyAtom]:
            while parent.setdefault(a, a) != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        sites = [s for s in self.sites() if s.atoms and s.app != TESTS]
        for s in sites:
            first, *rest = sorted(s.atoms)
            for a in rest:
                parent[find((s.app, a))] = find((s.app, first))
        grouped: dict[tuple[str, KeyAtom], list[Site]] = {}
        for s in sites:
            grouped.setdefault(find((s.app, min(s.atoms))), []).append(s)
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


def _reads(value: Val, setting: str) -> bool:
    """`settings.SECRET_KEY`, `SECRET_KEY`: a value that reads the named setting."""
    if isinstance(value, QualName):
        return value.qualname == setting or value.qualname.endswith("." + setting)
    return isinstance(value, Name) and value.name == setting


def _exclusive(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """Two places in different arms of one `if`: one never runs when the other does."""
    arms = dict(a)
    return any(number in arms and arms[number] != arm for number, arm in b)


def _passed(p: TokenPass) -> set[str]:
    return {n for n in p.positional if n} | {n for _, n in p.keywords}


def _argument(p: TokenPass, param: tuple[int, str]) -> str | None:
    """What `p` passes for the parameter at (position, name)."""
    index, name = param
    for keyword, value in p.keywords:
        if keyword == name:
            return value
    return p.positional[index] if 0 <= index < len(p.positional) else None


def _given(hc: HelperCall, params: tuple[str, ...], param: str) -> Claims | Val | None:
    """What a helper call passes for `param` of the helper."""
    for keyword, value in hc.keywords:
        if keyword == param:
            return value
    if param in params:
        index = params.index(param)
        if index < len(hc.positional):
            return hc.positional[index]
    return None


def _majors(spec: str) -> tuple[int, int | None] | None:
    """(lowest, highest or None) major version a requirement spec allows: `==1.5.2` (1, 1),
    `>=2.1,<3` (2, 2), `<2` (0, 1), `~=1.7` (1, 1); None for no version at all."""
    low, high = 0, None
    seen = False
    for clause in spec.split(","):
        m = _CLAUSE.match(clause)
        if m is None:
            continue
        op, n, minor = m.group(1) or "==", int(m.group(2)), m.group(3)
        seen = True
        if op in ("==", "===", "~=", "^", "~"):
            low, high = max(low, n), n if high is None else min(high, n)
        elif op in (">=", ">"):
            low = max(low, n)
        elif op in ("<", "<="):
            bound = n - 1 if op == "<" and (minor is None or int(minor) == 0) else n
            high = bound if high is None else min(high, bound)
    return (low, high) if seen else None
