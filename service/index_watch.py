"""Every replica follows the index root's `current` pointer, so a swap made through one reaches all of them.

The pointer is read every RAGGUARD_INDEX_WATCH_S seconds in a worker thread (a read and, on change, a full
snapshot load and check, never on the event loop). A changed pointer is followed with the same checks as
/admin/index/swap; a snapshot that cannot serve here is refused, logged and counted, and the old one serves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from anyio import to_thread

from index.live import LiveIndex
from service.metrics import Metrics

logger = logging.getLogger(__name__)


async def follow_pointer(index: LiveIndex, rail: Callable[[], str | None], interval_s: float,
                         metrics: Metrics) -> None:
    """Poll forever (cancel to stop); `rail` gives the running document rail's identity, as the swap uses."""
    while True:
        await anyio.sleep(interval_s)
        try:
            followed = await to_thread.run_sync(lambda: index.follow(rail()))
        except Exception:  # an unreadable pointer or a broken snapshot must not end the watch
            logger.exception("index pointer watch failed; still serving %s", index.version)
            metrics.index_swaps.labels("pointer", "error").inc()
            continue
        if followed.swapped:
            metrics.index_swaps.labels("pointer", "ok").inc()
            logger.info("index pointer moved: now serving %s", followed.pointer)
        elif followed.refused is not None:
            metrics.index_swaps.labels("pointer", "refused").inc()
            logger.error("index pointer names %s, refused, still serving %s: %s", followed.pointer, index.version,
                         followed.refused)
