"""Shared by KL201 and KL202: which routes mint, and the words their messages use."""

from __future__ import annotations

from typing import Callable, Iterator

from keylint.catalog import split_words
from keylint.checks.base import Context, Draft, where
from keylint.extract.routes.facts import Origin
from keylint.model import Span
from keylint.link.routes import HandlerAnalysis, Handler, LinkedRoute, MintFlow, RouteProject

# Words in a path or handler name that mark the usual shape of a forgotten back door.
SUSPICIOUS = ("internal", "debug", "admin", "impersonate", "login-as", "backup", "fallback", "test")


def minting_entries(ctx: Context) -> Iterator[tuple[RouteProject, LinkedRoute, Handler, HandlerAnalysis]]:
    """Every (route, entry point) that mints a token, each entry point once (its first route)."""
    rp = ctx.routes
    seen: set[tuple[str, str, str]] = set()
    for route in rp.routes():
        for entry in route.handlers:
            key = (entry.path, entry.function, route.full_path)
            if key in seen:
                continue
            seen.add(key)
            analysis = rp.analyze(route, entry)
            if analysis.mints:
                yield rp, route, entry, analysis


# For generic signers (itsdangerous, Django signing), the signed value must name an account to be a
# login token: they sign invitations, unsubscribe links and OAuth state far more often.
ACCOUNT_WORDS = frozenset({"user", "uid", "username", "email", "account", "identity", "sub", "login", "member", "customer", "profile", "owner"})


def accepted_mints(ctx: Context) -> frozenset[tuple[str, Span]]:
    """Mints whose key the project's own code verifies with: whatever they sign is accepted there."""
    out: set[tuple[str, Span]] = set()
    for group in ctx.tokens.groups():
        if any(s.kind == "verify" for s in group):
            out |= {(s.path, s.span) for s in group if s.mints}
    return frozenset(out)


def subject_kind(flow: MintFlow, accepted: frozenset[tuple[str, Span]] = frozenset()) -> str | None:
    """"request" (the caller names it), "fixed" (a constant or the first record, or claims that name
    no account in a JWT the project's own verifiers accept: `accepted`, from `accepted_mints`), or
    None (the caller's own new account, an authenticated identity, unknown, or not an account at all)."""
    s = flow.subject
    if Origin.NEW in s or Origin.CREDENTIAL in s:
        return None
    if Origin.RANDOM in s and s <= {Origin.RANDOM, Origin.CONST}:
        return None  # a pre-authentication state token (OAuth `state`, a CSRF nonce): random values, no account
    if flow.subjectless:
        # names no account: a token printer still, when the project's verifier takes it (`{"role": "service"}`)
        return "fixed" if flow.mint.kind == "jwt" and (flow.path, flow.mint.span) in accepted else None
    if flow.mint.kind == "signed" and not set(split_words(flow.subject_text)) & ACCOUNT_WORDS:
        return None
    if Origin.REQUEST in s:
        return "request"
    if s and s <= {Origin.CONST, Origin.DB}:
        return "fixed"
    return None


def suspicious_words(route: LinkedRoute, analysis: HandlerAnalysis) -> list[str]:
    words: list[str] = []
    names = [route.full_path, *(e.function for e in route.handlers), *analysis.functions]
    for name in names:
        parts = split_words(name)
        joined = "-".join(parts)
        for w in SUSPICIOUS:
            hit = f"-{w}-" in f"-{joined}-" or (w != "test" and w.replace("-", "") in parts)
            if hit and w not in words:
                words.append(w)
    return words


def describe_subject(flow: MintFlow, kind: str) -> str:
    text = flow.subject_text
    if kind == "request":
        return f"a subject the caller chooses ({text}, taken from the request)"
    if flow.subjectless:
        return f"claims that name no account ({text}), signed with a key the project's own verifiers accept"
    return f"a fixed subject ({text})"


def report_at(route: LinkedRoute, entry: Handler) -> tuple[str, Span]:
    """The route decorator of a decorated function, else the handler's `def` (the view method's)."""
    if route.route.decorated and route.route.handler_kind == "function":
        return route.path, route.route.span
    return entry.path, entry.span


def related(route: LinkedRoute, flow: MintFlow) -> tuple[tuple[str, Span, str], ...]:
    out = [(flow.path, flow.mint.span, f"mints a {flow.mint.kind} token with {flow.mint.minter}()")]
    out += [(p, s, what) for p, s, what in flow.via]
    out += [(p, s, what) for p, s, what in route.chain]
    seen: set[tuple[str, Span]] = set()
    unique = []
    for p, s, what in out:
        if (p, s) not in seen:
            seen.add((p, s))
            unique.append((p, s, what))
    return tuple(unique)


def minted_where(flow: MintFlow) -> str:
    at = f"{flow.mint.minter}() at {where(flow.path, flow.mint.span)}"
    return f"{at} (a minter by its name alone: its definition is outside the repository)" if flow.mint.by_name else at


def mint_order(flow: MintFlow) -> tuple[bool, str, Span]:
    """Which of a handler's mints a finding is about: a catalogued minter before one known by name."""
    return flow.mint.by_name, flow.path, flow.mint.span


def route_drafts(
    ctx: Context,
    code: str,
    pick: Callable[[LinkedRoute, HandlerAnalysis], tuple[MintFlow, str] | None],
    describe: Callable[[LinkedRoute, MintFlow, str, list[str]], str],
) -> Iterator[Draft]:
    """One finding per route declaration: `pick` chooses the mint a rule is about (and a subject
    kind), `describe` words the message; placement, fingerprint and related locations are shared."""
    reported: set[tuple[str, int]] = set()
    for _, route, entry, analysis in minting_entries(ctx):
        picked = pick(route, analysis)
        if picked is None:
            continue
        flow, kind = picked
        path, span = report_at(route, entry)
        if (path, span.line) in reported:
            continue
        reported.add((path, span.line))
        yield Draft(
            code=code,
            path=path,
            span=span,
            message=describe(route, flow, kind, suspicious_words(route, analysis)),
            token=f"{route.label}:{flow.mint.minter}:{flow.subject_text}",
            related=related(route, flow),
            precision="low" if flow.mint.by_name else "",
        )
