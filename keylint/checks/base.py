"""What every check gets (`Context`) and gives back (`Draft`, finalized into a `Finding` by the engine)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from keylint.catalog import Catalog
from keylint.config import Config
from keylint.finalize import is_test_path
from keylint.link.ids import IdExposure
from keylint.link.key_sources import KeySources
from keylint.link.keys import KeyFlows
from keylint.link.models import ModelIndex
from keylint.link.project import Project
from keylint.link.routes import RouteProject
from keylint.link.tokens import TokenProject
from keylint.model import Draft, Span

__all__ = ["Context", "Draft", "where"]  # Draft lives in keylint.model (the cache rebuilds it without importing the checks)


@dataclass(frozen=True)  # not slotted: the linked views below are cached in the instance's __dict__
class Context:
    """The linked project and the catalog, with what the family linkers build over them: each is
    built on first use and shared by every check of one run, and freed with the context."""

    project: Project
    catalog: Catalog
    config: Config = Config(root=Path("."))  # test paths: which files are not the application

    def is_test(self, path: str) -> bool:
        return is_test_path(path, self.config)

    @cached_property
    def keys(self) -> KeyFlows:
        """KL1xx: every key sink with the origins of its value."""
        return KeyFlows(self.project)

    @cached_property
    def tokens(self) -> TokenProject:
        """KL4xx/KL5xx: signing sites, key identity, token option values."""
        return TokenProject(self.project, self.catalog, self.is_test)

    @cached_property
    def routes(self) -> RouteProject:
        """KL2xx/KL302: linked routes, their access and their handlers' flows."""
        return RouteProject(self.project, self.catalog)

    @cached_property
    def key_sources(self) -> KeySources:
        """KL505-KL507: where verifying keys are fetched, read and written."""
        return KeySources(self.project)

    @cached_property
    def models(self) -> ModelIndex:
        """KL3xx: ORM models, schemas and primary keys."""
        return ModelIndex(self.project, self.catalog)

    @cached_property
    def ids(self) -> IdExposure:
        """KL3xx: where sequential ids meet clients (id routes, who is served a schema)."""
        return IdExposure(self.models, self.routes)


def where(path: str, span: Span) -> str:
    return f"{path}:{span.line}"
