"""Link per-file facts into one project (main process only; extraction never imports this package).

- `project.py`: the files, modules and bindings index (`Project`);
- `names.py`: the scope chain, module split and following a name through imports, re-exports and
  star imports: one implementation, one depth limit, for every family;
- `values.py`: one walk over the value language, with pluggable leaf policies;
- `keys.py` (KL1xx key flows and their `Origin`s), `tokens.py` (KL4xx/KL5xx: signing sites, key
  identity, option values), `models.py` (KL3xx: ORM models, schemas, primary keys), `routes/`
  (KL2xx/KL302: route topology, access, handler flows).
"""

from __future__ import annotations

from keylint.link.keys import Origin
from keylint.link.project import Project

__all__ = ["Origin", "Project"]
