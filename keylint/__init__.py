"""keylint: find the design faults that turn one signing key into a master key."""

from __future__ import annotations

__version__ = "0.1.0"
