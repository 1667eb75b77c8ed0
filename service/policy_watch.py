"""Every replica reads the policy file again when it changes, so an edit (a ConfigMap update) reaches all of them.

The file is looked at every RAGGUARD_POLICY_WATCH_S seconds in a worker thread: its mtime, size and inode first,
then, when those moved, its content's SHA-256, so a touch or an identical rewrite is no reload. A changed file is
read, validated and checked against the served collections and loaded rails; a bad one (YAML, validation, an
unknown collection, an unreadable or missing file) is logged and counted in
`ragguard_policy_reloads_total{result="error"}` while the old policy serves on; a good one serves from the next
request (`{result="ok"}`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import anyio
from anyio import to_thread

from service.metrics import Metrics
from service.tenancy import Tenancy

logger = logging.getLogger(__name__)
Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        st = os.stat(path)  # follows links: a ConfigMap's file is a link into a folder kubelet swaps
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


async def watch_policy(tenancy: Tenancy, path: Path, interval_s: float, metrics: Metrics) -> None:
    """Poll forever (cancel to stop); the policy served at start came from `path`."""
    stamp, digest = await to_thread.run_sync(lambda: (_stamp(path), _digest(path)))
    while True:
        await anyio.sleep(interval_s)
        now = await to_thread.run_sync(_stamp, path)
        if now == stamp:
            continue
        stamp, seen = now, await to_thread.run_sync(_digest, path)
        if seen == digest:
            continue
        digest = seen
        try:
            policy = await to_thread.run_sync(tenancy.load, path)
        except Exception as exc:  # a bad file (ValueError) or anything else: the old policy serves on
            tenancy.last_error = str(exc)
            metrics.policy_reloads.labels("error").inc()
            logger.error("policy reload refused, still serving %s: %s", tenancy.policy.label, exc)
            continue
        tenancy.last_error = None
        metrics.policy_reloads.labels("ok").inc()
        logger.info("policy reloaded: now serving %s", policy.label)
