"""The master-key path (KL001): the families' facts joined into one chain an attacker walks.

key (where it comes from) -> signers (what it signs) -> minting route (who may call it) -> subject
(whose token; enumerable?) -> verifiers (what the forged token unlocks). `PathFinder.paths(...)`
builds one `AttackPath` per minting route whose key is known (in the repository, or read from the
environment) when the chain has a link beyond the route itself (the key is in the repository, or the
subject is a sequential id: else the route's own finding tells all there is), and one per hard-coded key that signs admin or internal tokens beside user tokens when
no route path uses it ("forge admin tokens offline"). A key with no evidence (a parameter, a
secret-manager or KMS call) gives no path: nothing here says where it could leak from.

Which routes mint is KL201/KL202's decision (their owners pass them in as `MintingRoute`s); this
module only joins. The calls into the other linkers are kept here, in one place: the key identity
and signing sites of `TokenProject`, the origins of `KeyFlows`, the routes of `RouteProject` and the
primary keys of `ModelIndex`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keylint.link.ids import TokenSubject
from keylint.link.keys import KeyFlows, Origin
from keylint.link.models import Key, ModelIndex, PrimaryKey, model_label
from keylint.link.routes import Handler, LinkedRoute, MintFlow, RouteProject
from keylint.link.tokens import Site, TokenProject
from keylint.model import Severity, Span

# purposes a forged token of which opens more than one account's data
PRIVILEGED = ("admin", "internal")
USER_PURPOSES = ("access", "refresh")
_MAX_VERIFIERS = 5
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID_WORDS = ("id", "pk", "sub", "uid")


@dataclass(frozen=True, slots=True)
class Step:
    """One link of a path: where it is in the code and what it does there, in the code's terms."""

    kind: str  # key | signers | route | subject | verifiers
    path: str
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Part:
    """The identity of a finding a path is made of (it exists when its rule reported it there)."""

    code: str
    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class MintingRoute:
    """A route KL201 (public) or KL202 (authenticated, any subject) reports, with the mint it is about."""

    code: str
    route: LinkedRoute
    handler: Handler
    flow: MintFlow
    subject_kind: str  # "request" | "fixed"
    at: tuple[str, Span]  # where its finding is


@dataclass(frozen=True, slots=True)
class AttackPath:
    path: str  # where the path is reported: the minting route, or the key for route-less paths
    span: Span
    steps: tuple[Step, ...]  # in the order key, signers, route, subject, verifiers
    severity: Severity
    parts: tuple[Part, ...]
    story: str  # one short sentence in the terms of the code
    key_kind: str  # repository | environment
    key_digests: tuple[str, ...]  # SHA-256 of the hard-coded key material (never the key): KL116 matches these
    token: str  # what identifies the path for its fingerprint


@dataclass(frozen=True, slots=True)
class _KeyFacts:
    kind: str  # repository | environment | none
    step: Step | None
    parts: tuple[Part, ...]
    digests: tuple[str, ...]
    where: str  # "the key in app/config.py:6"


def where(path: str, span: Span) -> str:
    return f"{path}:{span.line}"


class PathFinder:
    def __init__(
        self, tokens: TokenProject, keys: KeyFlows, routes: RouteProject, models: ModelIndex, subjects: list[TokenSubject] | None = None
    ) -> None:
        self.tokens = tokens
        self.keys = keys
        self.routes = routes
        self.models = models
        self.groups = tokens.groups()
        self.site_at = {(s.path, s.span): s for s in tokens.sites()}
        # mints whose subject the id linker proved to be a sequential key (`{"sub": user.id}` of a fetched User)
        self.proven = {(t.path, t.span): t.pk for t in subjects or ()}

    # ---- the whole path ----
    def paths(self, minting: list[MintingRoute]) -> list[AttackPath]:
        out: list[AttackPath] = []
        keyed: set[int] = set()  # groups a route path already tells
        for m in minting:
            site = self.site_at.get((m.flow.path, m.flow.mint.span))
            group = self._group_of(site)
            if site is None or group is None:
                continue
            key = self._key(group, site.path)
            if key.kind == "none" or key.step is None:
                continue
            subject = self._subject(m)
            if subject is None:
                continue  # the caller names a UUID: no account list to walk
            subject_step, enumerable = subject
            if not (key.kind == "repository" or enumerable):
                continue  # the route finding (KL201/KL202) already tells all there is: no further link
            keyed.add(id(group))
            signers, signer_parts = self._signers(group, site)
            verifiers, verify_count = self._verifiers(group)
            steps = [key.step, signers, self._route_step(m), subject_step, *verifiers]
            public = m.route.access.state == "public"
            caller_chosen = m.subject_kind == "request"
            critical = public and caller_chosen and (key.kind == "repository" or enumerable)
            path, span = m.at
            parts = [*key.parts, *signer_parts, Part(m.code, path, span), Part(m.code, m.handler.path, m.handler.span)]
            parts += [Part("KL302", path, span)] if enumerable else []
            out.append(AttackPath(
                path=path, span=span, steps=tuple(steps), severity=Severity.CRITICAL if critical else Severity.HIGH,
                parts=_unique(parts), story=self._route_story(m, key, enumerable, subject_step, verify_count),
                key_kind=key.kind, key_digests=key.digests,
                token=f"path:{m.route.label}:{m.flow.mint.minter}:{m.flow.subject_text}",
            ))
        for group in self.groups:
            if id(group) in keyed:
                continue
            found = self._offline(group)
            if found is not None:
                out.append(found)
        return sorted(out, key=lambda p: (p.path, p.span, p.token))

    def _offline(self, group: list[Site]) -> AttackPath | None:
        """A hard-coded key that signs admin or internal tokens beside user tokens: no route needed."""
        if not _privileged_beside_user(group):
            return None
        purposes = {s.purpose for s in group}
        privileged = [p for p in PRIVILEGED if p in purposes]
        top = next(s for s in group if s.purpose == privileged[0])
        key = self._key(group, top.path)
        if key.kind != "repository" or key.step is None:
            return None
        signers, signer_parts = self._signers(group, top)
        verifiers, verify_count = self._verifiers(group)
        story = (
            f"anyone with the source can sign {self.tokens.label(privileged[0])} offline ({where(top.path, top.span)} signs them) "
            f"with {key.where}, the key that also signs {self.tokens.label('access')}"
        )
        if verify_count:
            story += f"; {verify_count} verifier{'s' if verify_count > 1 else ''} accept{'s' if verify_count == 1 else ''} them"
        return AttackPath(
            path=key.step.path, span=key.step.span, steps=(key.step, signers, *verifiers), severity=Severity.HIGH,
            parts=_unique([*key.parts, *signer_parts]), story=story + ".", key_kind=key.kind, key_digests=key.digests,
            token=f"offline:{','.join(key.digests)}:{','.join(privileged)}",
        )

    def _group_of(self, site: Site | None) -> list[Site] | None:
        if site is None or not site.atoms:
            return None
        return next((g for g in self.groups if site in g), None)

    # ---- 1. the key ----
    def _key(self, group: list[Site], near: str) -> _KeyFacts:
        """Where the group's key comes from: a literal or an environment default written in the
        repository (KL101/KL102), else an environment variable; anything else is no evidence. Of
        several literals (a settings name shared by separate apps, as in a folder of examples), the
        one nearest the signer `near` is the key: in its file, else deepest in its folders."""
        atoms = frozenset(a for s in group for a in s.atoms)
        places = {(s.path, s.span) for s in group}
        settings = {a.name for a in atoms if a.kind == "setting"}
        origins: list[Origin] = []
        env_sinks: list[tuple[str, Span]] = []
        for flow in self.keys.flows:
            mine = (flow.path, flow.sink.span) in places or (flow.sink.kind == "setting" and flow.sink.setting in settings)
            if not mine:
                flow_atoms = self.tokens.atoms(flow.path, flow.sink.key)
                mine = flow.sink.operation != "verify" and bool(flow_atoms) and flow_atoms <= atoms and flow.sink.kind != "call"
            if not mine:
                continue
            origins += [o for o in flow.origins if o.kind in ("literal", "env-default") and o.secret is not None and not o.secret.empty]
            if flow.sink.kind != "call":
                env_sinks.append((flow.path, flow.sink.span))
        if origins:
            first = min(origins, key=lambda o: (_distance(o.path, near), o.kind != "literal", o.path, o.secret.span if o.secret else Span(0, 0, 0, 0)))
            assert first.secret is not None
            nearest = [o for o in origins if o.secret is not None and o.secret.digest == first.secret.digest and _distance(o.path, near) == _distance(first.path, near)]
            parts = tuple(Part("KL101" if o.kind == "literal" else "KL102", *o.reported_at()) for o in nearest if o.secret is not None)
            digests = (first.secret.digest,)
            if first.kind == "literal":
                text = f"the signing key is hard-coded here: anyone with the source (or a laptop copy) signs tokens"
                where_text = f"the key in {where(first.path, first.secret.span)}"
            else:
                text = f"the signing key falls back to this hard-coded default when {first.env_var or 'the variable'} is unset"
                where_text = f"the key written in {where(first.path, first.secret.span)} (the default of {first.env_var})"
            return _KeyFacts("repository", Step("key", first.path, first.secret.span, text), _unique(list(parts)), digests, where_text)
        envs = sorted(a.name for a in atoms if a.kind == "env")
        if envs:
            path, span = min(env_sinks) if env_sinks else min(places)
            text = f"the signing key is read from environment variable {envs[0]}, kept outside the repository"
            return _KeyFacts("environment", Step("key", path, span, text), (), (), f"the key from {envs[0]}")
        return _KeyFacts("none", None, (), (), "")

    # ---- 2. the signers ----
    def _signers(self, group: list[Site], site: Site) -> tuple[Step, list[Part]]:
        rank = {name: i for i, name in enumerate(self.tokens.purposes)}
        purposes = sorted({s.purpose for s in group}, key=lambda p: rank.get(p, 99))
        labels = [self.tokens.label(p) for p in purposes]
        text = f"{site.what} signs with this key, which signs {_join(labels)}"
        parts = [Part("KL401", s.path, s.span) for s in group] if len(purposes) > 1 else []
        return Step("signers", site.path, site.span, text), parts

    # ---- 3. the minting route ----
    def _route_step(self, m: MintingRoute) -> Step:
        label = m.route.label
        if m.route.access.state == "public":
            text = f"{label} mints a token without authenticating the caller ({m.route.access.evidence})"
        else:
            text = f"{label} mints a token for a subject from the request without checking it against the caller ({m.route.access.evidence})"
        return Step("route", m.at[0], m.at[1], text)

    # ---- 4. the subject ----
    def _subject(self, m: MintingRoute) -> tuple[Step, bool] | None:
        """The subject step and whether it is enumerable; None when it is known not to be (a UUID)."""
        flow = m.flow
        at = (flow.path, flow.mint.span)
        if m.subject_kind == "fixed":
            return Step("subject", *at, f"the token is for a fixed subject ({flow.subject_text}), whoever asks"), False
        names = [n for n in _NAME.findall(flow.subject_text) if n not in ("str", "int", "request", "self")]
        if not names:
            return Step("subject", *at, f"`{flow.subject_text}` from the request"), False
        root, last = names[0], names[-1]
        if self._is_uuid(m, root, last):
            return None
        pk = self.proven.get(at) or self._sequential_for(last)
        if pk is None:
            return Step("subject", *at, f"`{flow.subject_text}` from the request"), False
        model = model_label(pk.model)
        place = (pk.path, pk.span) if pk.span is not None else at
        return Step("subject", *place, f"`{flow.subject_text}` from the request, {pk.why} `{model}.{pk.field}`: 1..N names every account"), True

    def _is_uuid(self, m: MintingRoute, root: str, last: str) -> bool:
        for p in m.route.path_params:
            if p.name in (root, last) and p.converter.lower() == "uuid":
                return True
        found = self.routes.topology.function(m.handler.path, m.handler.function)
        if found is None:
            return False
        for param in found[1].params:
            if param.name != root or not param.annotation:
                continue
            if param.annotation.rpartition(".")[2] == "UUID":
                return True
            schema = self.models.by_name.get(param.annotation.rpartition(".")[2], [])
            for key in schema:
                for _, f in self.models.fields(key):
                    if f.name == last and any(a.rpartition(".")[2] == "UUID" for a in f.annotation):
                        return True
        return False

    def _sequential_for(self, name: str) -> PrimaryKey | None:
        """The auto-increment key a subject of this name holds: `<model>_id`, or `id`/`pk`/`sub` and
        `user_id` of the project's user model."""
        lowered = name.lower()
        candidates: list[Key] = []
        if lowered.endswith("_id") and len(lowered) > 3:
            stem = "".join(p.capitalize() for p in lowered[:-3].split("_"))
            candidates = [k for k in self.models.by_name.get(stem, []) if self.models.is_table(k)]
        if not candidates and (lowered in _ID_WORDS or lowered in ("user_id", "userid")):
            candidates = [k for k in self.models.by_name.get("User", []) if self.models.is_table(k)]
            if not candidates and any(self.models.orm(k) == "django" for k in self.models.classes):
                candidates = [self.models.user_model()]  # Django's own User unless AUTH_USER_MODEL names one
        for key in candidates:
            pk = self.models.primary_key(key)
            if pk is not None:
                return pk if pk.sequential else None
        return None

    # ---- 5. the verifiers ----
    def _verifiers(self, group: list[Site]) -> tuple[list[Step], int]:
        atoms = frozenset(a for s in group for a in s.atoms)
        found: list[tuple[str, Span, str]] = []
        for path, call in self.tokens.calls("decode"):
            if self.tokens.signature_off(path, call) or not self.tokens.atoms(path, self.tokens.key_of(path, call)) & atoms:
                continue
            found.append((path, call.span, call.scope))
        found.sort()
        steps = []
        for path, span, scope in found[:_MAX_VERIFIERS]:
            name = scope.rpartition(".")[2]
            behind = [r for r in self.routes.routes() if r.access.state != "public" and name and re.search(rf"\b{re.escape(name)}\b", r.access.evidence)]
            text = f"{scope or 'module code'} accepts tokens signed with this key"
            if behind:
                text += f": {len(behind)} route{'s' if len(behind) > 1 else ''} rely on it ({behind[0].label}{', ...' if len(behind) > 1 else ''})"
            steps.append(Step("verifiers", path, span, text))
        return steps, len(found)

    def _route_story(self, m: MintingRoute, key: _KeyFacts, enumerable: bool, subject: Step, verifiers: int) -> str:
        who = "anyone" if m.route.access.state == "public" else "any signed-in user"
        if m.subject_kind == "fixed":
            story = f"{who} can call {m.route.label} and receive a token for {m.flow.subject_text} signed with {key.where}"
        else:
            story = f"{who} can call {m.route.label} with {m.flow.subject_text} and receive a token signed with {key.where}"
        if enumerable:
            story += f"; the subject is sequential ({where(subject.path, subject.span)}): every account"
        if verifiers:
            story += f"; {verifiers} verifier{'s' if verifiers > 1 else ''} accept{'s' if verifiers == 1 else ''} it"
        return story + "."


def _distance(path: str, near: str) -> tuple[int, int]:
    """How far `path` is from `near`: the same file first, then the most folders in common."""
    if path == near:
        return (0, 0)
    a, b = path.split("/")[:-1], near.split("/")[:-1]
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return (1, -common)


def _privileged_beside_user(group: list[Site]) -> bool:
    """The key signs admin or internal tokens and user tokens alike."""
    purposes = {s.purpose for s in group}
    return bool(purposes & set(PRIVILEGED)) and bool(purposes & set(USER_PURPOSES))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _unique(parts: list[Part]) -> tuple[Part, ...]:
    return tuple(dict.fromkeys(parts))
