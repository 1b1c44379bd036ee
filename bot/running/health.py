"""`/healthz`: for each tracker, configured or not, and reachable (one authenticated call,
cached a few seconds so a busy probe cannot hammer the trackers, and given up on after
`PING_TIMEOUT_SECONDS` even when the ping does not stop when cancelled).

Two views of the same cached report:
- public (no `Authorization` header): only `configured` and `reachable` per tracker;
- detailed (`Authorization: Bearer $HEALTHZ_TOKEN`, compared in constant time): also each
  tracker's `detail`: its counts, a token-expiry warning, or the error text.
Any other `Authorization` header (a wrong token, another scheme, or any token while
`HEALTHZ_TOKEN` is unset) gets 401 rather than the public view, so a misconfigured monitor
learns at once that its token is not accepted instead of silently seeing less.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from bot.trackers.capabilities import Probe
from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName
from bot.trackers.registry import Trackers

CACHE_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 5.0
PUBLIC_FIELDS = ("configured", "reachable")


class View(enum.Enum):
    PUBLIC = "public"
    DETAILED = "detailed"


class Health:
    def __init__(self, trackers: Trackers, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.trackers = trackers
        self._clock = clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @staticmethod
    def view_for(authorization: str | None, token: SecretStr | None) -> View | None:
        """The view an `Authorization` header unlocks given HEALTHZ_TOKEN; None when it must be
        refused (401)."""
        if authorization is None:
            return View.PUBLIC
        scheme, _, credential = authorization.strip().partition(" ")
        if token is None or scheme.lower() != "bearer":
            return None
        # Digests of both, compared in constant time: neither where they differ nor the token's
        # length shows in the time taken.
        given, expected = (hashlib.sha256(v.encode()).digest() for v in (credential.strip(), token.get_secret_value()))
        return View.DETAILED if hmac.compare_digest(given, expected) else None

    async def report(self, view: View) -> dict[str, Any]:
        full = await self._full_report()
        if view is View.DETAILED:
            return full
        return {"trackers": {name: {k: result[k] for k in PUBLIC_FIELDS} for name, result in full["trackers"].items()}}

    async def _full_report(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached and self._clock() - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
            probes, names = self.trackers.probes(), list(TrackerName)
            results = await asyncio.gather(*(self._probe(probes.get(name)) for name in names))
            report = {"trackers": {name.value: result for name, result in zip(names, results, strict=True)}}
            self._cached = (self._clock(), report)
            return report

    @staticmethod
    async def _probe(client: Probe | None) -> dict[str, Any]:
        if client is None:
            return {"configured": False, "reachable": False, "detail": "not configured"}
        ping = asyncio.ensure_future(client.ping())
        # Not wait_for: it waits for the cancelled ping to finish, and a ping waiting on a shared,
        # shielded fetch would hold /healthz as long as the hung tracker does.
        await asyncio.wait({ping}, timeout=PING_TIMEOUT_SECONDS)
        if not ping.done():
            ping.cancel()
            ping.add_done_callback(_retrieve)
            return {"configured": True, "reachable": False, "detail": f"{client.name} did not answer in time"}
        try:
            detail = ping.result()
        except TrackerError as exc:
            return {"configured": True, "reachable": False, "detail": str(exc)}
        return {"configured": True, "reachable": True, "detail": detail}


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Read the outcome of a ping given up on, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
