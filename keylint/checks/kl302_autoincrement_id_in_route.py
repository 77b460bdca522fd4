"""KL302 autoincrement-id-in-route: a route takes a sequential primary key from the URL and fetches the object by it.

Reads `keylint.link.ids`, which joins the linked routes of `keylint.link.routes` with the model
lookups and primary keys of `keylint.link.models`. A path parameter counts when the handler (or a
project function it passes the parameter to) looks a model up by primary key with it
(`Model.query.get(x)`, `db.get(Model, x)`, `get_object_or_404(Model, pk=x)`, `Model.objects.get(pk=x)`,
`Model.id == x`), or, for a class-based DRF/Django view, when the parameter is the view's
`lookup_field` (`pk` by default) on a queryset of that model; and the model's key is an
auto-increment integer. A UUID converter or annotation is never reported. GraphQL resolvers that
fetch a model by a caller-given argument are the same fault without a URL and are reported on the
resolver. One finding per handler:
other URLs served by the same handler (or view class) are its related locations.

Severity follows the evidence: a route anybody can call is medium; behind authentication, or where
the handler checks the caller against the object (an ownership comparison, a query scoped by the
caller, a permission predicate), low.
"""

from __future__ import annotations

from typing import Iterator

from keylint.checks.base import Context, Draft
from keylint.link.ids import IdRoute, fingerprint_label, severity
from keylint.link.models import model_label
from keylint.model import Span

CODE = "KL302"


def _access(found: IdRoute) -> str:
    route = found.route
    if route.access.state == "public":
        access = f"The route is public ({route.access.evidence})"
    else:
        access = f"The route requires {'a role' if route.access.state == 'role' else 'authentication'} ({route.access.evidence})"
    if found.owned:
        return access + "; the handler checks the caller against the object."
    if found.roles:
        return access + f"; the handler checks permissions or roles ({', '.join(found.roles)})."
    return access + "; nothing checks that the caller owns the object."


def _resolvers(ctx: Context) -> Iterator[Draft]:
    """The GraphQL form: a resolver argument instead of a URL piece. Where the GraphQL endpoint is
    mounted is not followed, so only an authentication marker on the resolver itself lowers it."""
    for found in ctx.ids.resolver_ids:
        pk = found.pk
        access = "The resolver requires authentication." if found.authenticated else "Nothing on the resolver requires authentication."
        message = (
            f"GraphQL resolver `{found.function}` takes `{found.param}` from the caller's arguments and {found.how}; the key of "
            f"`{model_label(pk.model)}` is {pk.why}, so every object can be reached by counting. {access} Accept a random "
            f"public id (UUID, hashid) instead and check that the caller may read the object."
        )
        related: tuple[tuple[str, Span, str], ...] = ((pk.path, pk.span, f"primary key of {model_label(pk.model)}"),) if pk.span is not None and pk.path else ()
        yield Draft(CODE, found.path, found.span, message, f"graphql:{found.function}:{found.param}", related=related,
                    severity=severity(not found.authenticated, False))


def check(ctx: Context) -> Iterator[Draft]:
    yield from _resolvers(ctx)
    for found in ctx.ids.id_routes:
        route, pk = found.route, found.pk
        message = (
            f"{route.label} takes `{found.param}` from the URL and {found.how}; the key of `{model_label(pk.model)}` is "
            f"{pk.why}, so every object can be reached by counting. {_access(found)} Put a random public id "
            f"(UUID, hashid) in the URL{'.' if found.checked else ' and check ownership.'}"
        )
        related: tuple[tuple[str, Span, str], ...] = ((pk.path, pk.span, f"primary key of {model_label(pk.model)}"),) if pk.span is not None and pk.path else ()
        related += tuple((alias.path, alias.route.span, f"also served as {alias.label}") for alias in found.aliases)
        yield Draft(
            CODE,
            route.path,
            route.route.span,
            message,
            f"{fingerprint_label(route)}:{found.param}",
            related=related,
            severity=severity(found.public, found.checked),
        )
