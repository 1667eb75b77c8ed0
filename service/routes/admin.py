"""/admin/index: which snapshot is live, hot swap to another, roll back. Admin tenants only (any caller in
dev mode). The swap loads and checks the snapshot off the event loop; requests keep flowing meanwhile. A
snapshot whose stored chunk verdicts came from another document rail than the gateway's is refused (400
`snapshot_mismatch`, naming the rescan command); see index/live.py.

A swap or rollback writes the index root's `current` pointer after the new snapshot is live, and every other
replica follows it within RAGGUARD_INDEX_WATCH_S plus a snapshot load (service/index_watch.py). On a read-only
index volume the change is made on this replica only: 200 with `pointer: "read-only, this replica only"`.

/admin/collections/{name}/... does the same for a named collection (service/collections.py). GET /admin/policy:
the policy served now (service/policy.py), its file, and the last reload refused since."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from index.live import POINTER_WRITTEN, LiveIndex
from index.store import IndexMismatch
from service.auth import Tenant
from service.deps import GatewayDep, TenantDep
from service.errors import Forbidden, InvalidRequest
from service.state import Gateway

router = APIRouter(prefix="/admin/index")
collections_router = APIRouter(prefix="/admin/collections")
policy_router = APIRouter(prefix="/admin/policy")


class SwapRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | None = None  # None: the newest snapshot under the index root


def _require_admin(gateway: Gateway, tenant: Tenant) -> None:
    if not gateway.keys.open and tenant.name not in gateway.settings.admin_tenants:
        raise Forbidden(f"tenant {tenant.name!r} may not administer the index (RAGGUARD_ADMIN_TENANTS)")


async def _change(gateway: Gateway, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    swaps = gateway.metrics.index_swaps
    try:
        described = await to_thread.run_sync(action)
    except FileNotFoundError as exc:
        swaps.labels("admin", "refused").inc()
        raise InvalidRequest(str(exc), param="version", code="snapshot_not_found") from exc
    except IndexMismatch as exc:
        swaps.labels("admin", "refused").inc()
        raise InvalidRequest(f"snapshot refused, still serving the old one: {exc}", param="version",
                             code="snapshot_mismatch") from exc
    swaps.labels("admin", "ok" if described["pointer"] == POINTER_WRITTEN else "read_only").inc()
    return described


@router.get("")
async def describe(gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return gateway.index.describe()


@router.post("/swap")
async def swap(body: SwapRequest, gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return await _swap(gateway, gateway.index, body)


@router.post("/rollback")
async def rollback(gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return await _change(gateway, gateway.index.rollback)


async def _swap(gateway: Gateway, index: LiveIndex, body: SwapRequest) -> dict[str, Any]:
    identity = gateway.road.retrieval.rail_identity()
    return await _change(gateway, lambda: index.swap(body.version, identity))


@collections_router.get("")
async def list_collections(gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    """The default collection (the index root) and every named one, as GET /admin/index describes each."""
    _require_admin(gateway, tenant)
    return {"default": gateway.index.describe(),
            "collections": {name: index.describe() for name, index in gateway.collections.named.items()}}


@collections_router.get("/{name}")
async def describe_collection(name: str, gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return gateway.collections.get(name).describe()


@collections_router.post("/{name}/swap")
async def swap_collection(name: str, body: SwapRequest, gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return await _swap(gateway, gateway.collections.get(name), body)


@collections_router.post("/{name}/rollback")
async def rollback_collection(name: str, gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    return await _change(gateway, gateway.collections.get(name).rollback)


@policy_router.get("")
async def describe_policy(gateway: GatewayDep, tenant: TenantDep) -> dict[str, Any]:
    _require_admin(gateway, tenant)
    policy = gateway.tenancy.policy
    return {"name": policy.name, "version": policy.version, "label": policy.label,
            "file": str(gateway.settings.policy_file) if gateway.settings.policy_file else None,
            "tenants": policy.model_dump(mode="json", exclude_unset=True)["tenants"] if policy.tenants else {},
            "aliases": {name: alias.model_dump(mode="json") for name, alias in policy.aliases.items()},
            "last_error": gateway.tenancy.last_error}
