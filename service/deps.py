"""Dependencies for routes, as Annotated aliases over what the lifespan put on app.state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from service.catalog import ModelCatalog
from service.pipeline import Pipeline
from service.readiness import Readiness


def _pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


def _catalog(request: Request) -> ModelCatalog:
    return request.app.state.catalog


def _readiness(request: Request) -> Readiness:
    return request.app.state.readiness


def _registry(request: Request) -> CollectorRegistry:
    return request.app.state.registry


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]
CatalogDep = Annotated[ModelCatalog, Depends(_catalog)]
ReadinessDep = Annotated[Readiness, Depends(_readiness)]
RegistryDep = Annotated[CollectorRegistry, Depends(_registry)]
