"""Reporters: pure functions from a Report to text. Only cli.py writes them anywhere."""

from __future__ import annotations

from typing import Callable

from keylint.catalog import Catalog
from keylint.model import Report
from keylint.report import github, json_format, sarif, text

Reporter = Callable[[Report, Catalog, bool], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": lambda report, catalog, color: json_format.render(report, catalog),
    "sarif": lambda report, catalog, color: sarif.render(report, catalog),
    "github": lambda report, catalog, color: github.render(report, catalog),
}
