"""Handler flows: what a route's handler does, following its calls into project functions across
modules (bounded depth): the tokens it mints with where each subject comes from (through parameters
and call sites), the credential checks on the way, role and ownership checks."""

from __future__ import annotations

from keylint.extract.routes.facts import CallSite, ClassInfo, FromCall, FromParam, FunctionInfo, InstanceOf, Origin, Param, Reach, Sources
from keylint.link.routes.access import RouteAccess
from keylint.link.routes.linked import Handler, HandlerAnalysis, LinkedRoute, MintFlow, Origins, Where
from keylint.link.routes.topology import RouteTopology

_MAX_CALL_DEPTH = 6
_CONSTRUCTION = frozenset({"__init__", "__call__", "is_valid", "save", "create", "update", "to_representation", "get_token"})
_CONNEXION_IDENTITY = frozenset({"user", "token_info"})  # what Connexion's security handler verified
_SERIALIZER_ENTRY = ("validate", "create", "update", "save", "to_representation", "get_token")


class HandlerFlows:
    def __init__(self, topology: RouteTopology, access: RouteAccess) -> None:
        self.topology = topology
        self.access = access
        self.facts = topology.facts
        self.methods_by_name: dict[str, list[tuple[str, str]]] = {}
        for path, rf in self.facts.items():
            for qual, info in rf.functions.items():
                if info.cls is not None:
                    self.methods_by_name.setdefault(qual.rpartition(".")[2], []).append((path, qual))
        self._analyses: dict[tuple[str, str], HandlerAnalysis] = {}

    def entry_points(self, route: LinkedRoute, entry: Handler) -> list[tuple[str, FunctionInfo]]:
        """The entry function, plus, for DRF views, the methods of its serializer class."""
        out: list[tuple[str, FunctionInfo]] = []
        info = self.facts[entry.path].functions.get(entry.function)
        if info is not None:
            out.append((entry.path, info))
        if route.class_path is not None and route.class_name is not None:
            cls = self.facts[route.class_path].classes.get(route.class_name)
            serializer = self.topology.class_attr(route.class_path, cls, "serializer_class") if cls is not None else None
            if serializer is not None:
                for name in serializer[1]:
                    found = self.topology.klass(serializer[0], name)
                    if found is not None:
                        for method in _SERIALIZER_ENTRY:
                            m = self.topology.method(found[0], found[1], method)
                            if m is not None:
                                out.append(m)
        return out

    def analyze(self, route: LinkedRoute, entry: Handler) -> HandlerAnalysis:
        key = (entry.path, entry.function + "|" + (route.class_name or ""))
        cached = self._analyses.get(key)
        if cached is not None:
            return cached
        result = HandlerAnalysis()
        concrete = None
        if route.class_path is not None and route.class_name is not None:
            cls = self.facts[route.class_path].classes.get(route.class_name)
            concrete = (route.class_path, cls) if cls is not None else None
        for path, info in self.entry_points(route, entry):
            env = self._handler_env(path, info, route.framework)
            self._follow_calls(path, info, env, {}, frozenset(), result, (), 0, set(), True, concrete)
        self._analyses[key] = result
        return result

    def _handler_env(self, path: str, info: FunctionInfo, framework: str) -> dict[str, Origins]:
        """Handler parameters: the request's data, except dependencies (an authenticated user is a
        verified identity, a form class is request data, a database session is nothing) and what
        Connexion passes from the verified token (`user`, `token_info`)."""
        env: dict[str, Origins] = {}
        for i, p in enumerate(info.params):
            if info.cls is not None and i == 0 and p.position == 0:
                continue  # self / cls
            if framework == "connexion" and p.name in _CONNEXION_IDENTITY:
                env[p.name] = frozenset({Origin.CREDENTIAL})
                continue
            d = self.access.param_dependency(path, p)
            if d is not None:
                verdict = self.access.dependency_access(d[0], d[1])
                if verdict is not None:
                    env[p.name] = frozenset({Origin.CREDENTIAL})
                elif self.topology.klass(d[0], d[1]) is not None or d[1].rpartition(".")[2][:1].isupper():
                    env[p.name] = frozenset({Origin.REQUEST})  # a form or body class filled from the request
                continue
            env[p.name] = frozenset({Origin.REQUEST})
        return env

    def sources_of(self, sources: Sources, env: dict[str, Origins], path: str, depth: int) -> Origins:
        """The origins of a value in `path`, its parameters bound by `env` and project calls resolved."""
        out: set[Origin] = set()
        for s in sources:
            if isinstance(s, Origin):
                out.add(s)
            elif isinstance(s, FromParam):
                out |= env.get(s.name, frozenset())
            elif isinstance(s, InstanceOf):
                cls = self.topology.klass(path, s.cls)
                bases = [s.cls, *(self.topology.all_bases(cls[0], cls[1]) if cls is not None else ())]
                if any(b.rpartition(".")[2].endswith("Form") for b in bases):
                    out.add(Origin.REQUEST)  # a FlaskForm / Django form is filled from the request
            elif isinstance(s, FromCall):
                found = self.topology.function(path, s.callee)
                if found is not None and depth < _MAX_CALL_DEPTH and self._verifies(found[0], found[1], depth + 1, set()):
                    out.add(Origin.CREDENTIAL)  # what a verifying helper returns is a verified identity
                elif found is not None and Origin.NEW in found[1].return_sources:
                    out.add(Origin.NEW)  # a helper that creates and saves the account it returns
                elif found is not None and Origin.RANDOM in found[1].return_sources:
                    out.add(Origin.RANDOM)  # `generate_csrf_token()`: a helper that returns a random nonce
        return frozenset(out)

    def _verifies(self, path: str, info: FunctionInfo, depth: int, seen: set[tuple[str, str]]) -> bool:
        if (path, info.qualname) in seen or depth > _MAX_CALL_DEPTH:
            return False
        seen.add((path, info.qualname))
        if info.checks:
            return True
        return any(self._verifies(p, f, depth + 1, seen) for call in info.calls for p, f, _ in self.callees(path, info, call))

    def callees(self, path: str, info: FunctionInfo, call: CallSite, concrete: tuple[str, ClassInfo] | None = None) -> list[tuple[str, FunctionInfo, int]]:
        """Project functions a call can run, with the offset of its first argument among their parameters.
        `self.m()` runs the override of the class the route serves (`concrete`) when it has one."""
        name = call.callee
        if call.self_call:
            cls_name, _, method = name.rpartition(".")
            if concrete is not None:
                found = self.topology.method(concrete[0], concrete[1], method)
                if found is not None:
                    return [(found[0], found[1], 1)]
            own = self.facts[path].classes.get(cls_name)
            if own is not None:
                found = self.topology.method(path, own, method)
                if found is not None:
                    return [(found[0], found[1], 1)]
            return []
        found = self.topology.function(path, name)
        if found is not None:
            return [(found[0], found[1], self._offset(found[1], bound=False))]
        cls = self.topology.klass(path, name)
        if cls is not None:  # a project class: its constructor, validators and form cleaners run
            out = []
            names: set[str] = set()
            for p, c in self.topology.class_chain(cls[0], cls[1]):
                for qual, f in sorted(self.facts[p].functions.items()):
                    method = qual.rpartition(".")[2]
                    if f.cls != c.qualname or method in names:
                        continue
                    if method in _CONSTRUCTION or method.startswith(("clean", "validate")):
                        names.add(method)
                        out.append((p, f, 1))
            return out
        method = name.rpartition(".")[2]
        candidates = self.methods_by_name.get(method, [])
        if len(candidates) == 1 and not method.startswith("__") and len(method) > 3 and "." in name:
            p, q = candidates[0]
            f = self.facts[p].functions[q]
            return [(p, f, self._offset(f, bound=True))]  # `user.encode_auth_token(...)`: the one method so named
        return []

    @staticmethod
    def _offset(info: FunctionInfo, bound: bool) -> int:
        first = info.params[0].name if info.params else ""
        if info.cls is not None and first in ("self", "cls") and (bound or first == "cls"):
            return 1
        return 0

    def _follow_calls(self, path: str, info: FunctionInfo, env: dict[str, Origins], texts: dict[str, str], payloads: frozenset[str], result: HandlerAnalysis,
              via: tuple[Where, ...], depth: int, seen: set[tuple[str, str]], answers: bool,
              concrete: tuple[str, ClassInfo] | None = None) -> None:
        """Follow `info` and the project functions it calls. `answers`: what `info` returns reaches the
        response (the handler's return does; a helper's when its caller returns or writes the result).
        A mint counts only when its value can reach the response. `payloads`: the parameters bound to a
        payload that names no account (`{"role": "service"}`)."""
        if (path, info.qualname) in seen or depth > _MAX_CALL_DEPTH:
            return
        seen = seen | {(path, info.qualname)}
        result.functions.append(info.qualname)
        followed = {(c.span.line, c.span.column) for c in info.calls if self.callees(path, info, c, concrete)} if any(m.by_name for m in info.mints) else set()
        for mint in info.mints:
            if not _reaches(mint.reach, answers) or (mint.by_name and (mint.span.line, mint.span.column) in followed):
                continue  # a minter known by name whose definition is in the project is followed as a call
            names = _params(mint.subject)
            origin = next((texts[name] for name in names if name in texts), mint.subject_text)
            subjectless = mint.subjectless or (bool(names) and all(n in payloads for n in names))
            result.mints.append(MintFlow(path, mint, self.sources_of(mint.subject, env, path, depth), origin, via, subjectless))
        result.checks.extend((path, c) for c in info.checks)
        result.roles.extend(info.roles)
        for operands in info.compares:
            # the requested subject compared with the caller, or a lookup scoped by the caller
            if any(Origin.CREDENTIAL in self.sources_of(o, env, path, depth) for o in operands):
                result.ownership = True
        for p in info.params:
            d = self.access.param_dependency(path, p) if depth > 0 else None
            if d is not None:
                dep = self.topology.function(d[0], d[1])
                if dep is not None:
                    result.checks.extend((dep[0], c) for c in dep[1].checks)
        for call in info.calls:
            for cpath, callee, offset in self.callees(path, info, call, concrete):
                sub_env, sub_texts, sub_payloads = self._bind(callee, call, env, texts, payloads, path, depth, offset)
                where = (path, call.span, f"calls {callee.qualname}")
                self._follow_calls(cpath, callee, sub_env, sub_texts, sub_payloads, result, (*via, where), depth + 1, seen, _reaches(call.reach, answers), concrete)

    def _bind(self, callee: FunctionInfo, call: CallSite, env: dict[str, Origins], texts: dict[str, str], payloads: frozenset[str],
              path: str, depth: int, offset: int) -> tuple[dict[str, Origins], dict[str, str], frozenset[str]]:
        """The callee's parameters, bound to what the call passes: their sources, their text as first
        written (so a message names `body.user_id`, not the helper's `claims`) and which of them hold
        a payload that names no account."""
        params: list[Param] = list(callee.params)
        out: dict[str, Origins] = {}
        out_texts: dict[str, str] = {}
        out_payloads: set[str] = set()
        positional = [p for p in params if p.position >= 0]
        for arg in call.args:
            target: Param | None = None
            if arg.keyword is not None:
                target = next((p for p in params if p.name == arg.keyword), None)
            elif arg.position + offset < len(positional):
                target = positional[arg.position + offset]
            if target is not None:
                out[target.name] = self.sources_of(arg.sources, env, path, depth)
                origin = next((texts[name] for name in _params(arg.sources) if name in texts), None)
                out_texts[target.name] = origin or arg.text
                names = _params(arg.sources)
                if arg.subjectless or (names and all(n in payloads for n in names)):
                    out_payloads.add(target.name)
        return out, out_texts, frozenset(out_payloads)


def _reaches(reach: Reach, answers: bool) -> bool:
    """A value that goes `reach` in a function whose return reaches the response (`answers`) or not."""
    return reach is Reach.RESPONSE or (reach is Reach.RETURNED and answers)


def _params(sources: Sources) -> list[str]:
    """The names of the parameters a value comes from, sorted (the first one known names it in messages)."""
    return sorted(s.name for s in sources if isinstance(s, FromParam))
