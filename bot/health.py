"""`/healthz`: for each tracker, configured or not, and reachable (one authenticated call,
cached a few seconds so a busy probe cannot hammer the trackers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName
from bot.trackers.registry import Trackers

CACHE_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 5.0


class Health:
    def __init__(self, trackers: Trackers, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.trackers = trackers
        self._clock = clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def report(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached and self._clock() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
            configured = self.trackers.configured()
            results = await asyncio.gather(*(self._probe(configured.get(name)) for name in TrackerName))
            report = {"trackers": {name.value: result for name, result in zip(TrackerName, results)}}
            self._cached = (self._clock(), report)
            return report

    @staticmethod
    async def _probe(client: Any) -> dict[str, Any]:
        if client is None:
            return {"configured": False, "reachable": False, "detail": "not configured"}
        try:
            detail = await asyncio.wait_for(client.ping(), PING_TIMEOUT_SECONDS)
        except TrackerError as exc:
            return {"configured": True, "reachable": False, "detail": str(exc)}
        except asyncio.TimeoutError:
            return {"configured": True, "reachable": False, "detail": f"{client.name} did not answer in time"}
        return {"configured": True, "reachable": True, "detail": detail}
