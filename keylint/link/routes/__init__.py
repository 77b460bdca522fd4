"""Link route facts across modules: full paths, who protects each route, and what it mints on what proof.

`RouteProject(project, catalog)` (one per scan, shared by the checks) joins three concerns:

- `topology.py`: `routes()`, every `LinkedRoute`: the route as declared, its full path, its path
  parameters from every piece, its HTTP methods, its `Handler`s (a function, or each HTTP method /
  viewset action of a class-based view) and the registration chain. KL302 reads these.
- `access.py`: each route's `Access` (public, authenticated, or restricted to a role) with the evidence.
- `flows.py`: `analyze(route, handler)`, a `HandlerAnalysis` of what the handler does: the tokens
  it mints with where each subject comes from, the credential checks on the way, role and
  ownership checks.
"""

from __future__ import annotations

from keylint.catalog import Catalog
from keylint.extract.routes.catalog import route_catalog
from keylint.extract.routes.facts import CallSite, FunctionInfo, RouteFacts
from keylint.link.project import Project
from keylint.link.routes.access import RouteAccess
from keylint.link.routes.flows import HandlerFlows
from keylint.link.routes.linked import Access, Handler, HandlerAnalysis, LinkedRoute, MintFlow, join_path
from keylint.link.routes.topology import RouteTopology

__all__ = ["Access", "Handler", "HandlerAnalysis", "LinkedRoute", "MintFlow", "RouteProject", "join_path"]


class RouteProject:
    def __init__(self, project: Project, catalog: Catalog) -> None:
        self.topology = RouteTopology(project, route_catalog(catalog))
        self.access = RouteAccess(self.topology)
        self.flows = HandlerFlows(self.topology, self.access)
        self.facts: dict[str, RouteFacts] = self.topology.facts
        self._routes: list[LinkedRoute] | None = None

    def routes(self) -> list[LinkedRoute]:
        if self._routes is None:
            self._routes = self.topology.link(self.access.judge)
        return self._routes

    def analyze(self, route: LinkedRoute, handler: Handler) -> HandlerAnalysis:
        return self.flows.analyze(route, handler)

    def callees(self, path: str, info: FunctionInfo, call: CallSite) -> list[tuple[str, FunctionInfo, int]]:
        return self.flows.callees(path, info, call)
