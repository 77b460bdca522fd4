"""Route extraction (KL2xx; reused by KL302), by concern:

- `facts.py`: the values it records under `facts.families["routes"]` (no LibCST: the linker reads them);
- `catalog.py`: the route catalog, indexed once per catalog, and the words that mark credentials and subjects;
- `declarations.py`: `RouteDeclarationVisitor`, the visitor that finds routers, routes, mounts, hooks and signatures;
- `flows.py`: `HandlerFlowVisitor`, the visitor that records what each function does: sources, mints, calls, checks.

Both visitors run in the one walk of `keylint.extract.python`, declarations first.
"""
