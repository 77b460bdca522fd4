from __future__ import annotations

import sys

from keylint.cli import main

sys.exit(main())
