"""Route dependencies stay `async def`: FastAPI runs a plain `def` one in its thread pool (a hop per request)."""

import inspect
import typing

from service import deps


def test_every_route_dependency_runs_on_the_loop() -> None:
    aliases = [v for v in vars(deps).values() if typing.get_origin(v) is typing.Annotated]
    dependencies = [meta.dependency for alias in aliases for meta in alias.__metadata__ if hasattr(meta, "dependency")]
    assert len(dependencies) >= 2  # the gateway (one typed state object) and the tenant
    assert [d.__name__ for d in dependencies if not inspect.iscoroutinefunction(d)] == []
