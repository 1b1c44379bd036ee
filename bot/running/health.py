"""What an operator's probes see: `/healthz` (liveness), `/readyz` (readiness) and `/metrics`.

Both health answers carry the same JSON: for each tracker, configured or not, and reachable (one
authenticated call, cached a few seconds so a busy probe cannot hammer the trackers, and given
up on after `PING_TIMEOUT_SECONDS` even when the ping does not stop when cancelled); and the
database, reachable when it answers a trivial query within `DATABASE_TIMEOUT_SECONDS`. They
differ in their status: `/healthz` is 200 when the database answers (the process answers by
answering at all), else 503; `/readyz` is 200 when, besides, every configured tracker is
reachable, else 503.

The database is asked by one query at a time (`Shared`): however many probes arrive, and however
long a hung database holds a query, they share it.

Two views of the same report:
- public (no `Authorization` header): only `configured` and `reachable` per tracker, and
  `reachable` for the database;
- detailed (`Authorization: Bearer $HEALTHZ_TOKEN`, compared in constant time): also each
  `detail`: a tracker's counts, a token-expiry warning, or the cause of its failure ("connection
  refused", "HTTP 401", "timeout (ReadTimeout)", "TLS: …"; never a secret); the database's kind
  and how long it took to answer, or why it did not.
Any other `Authorization` header (a wrong token, another scheme, or any token while
`HEALTHZ_TOKEN` is unset) gets 401 rather than the public view, so a misconfigured monitor
learns at once that its token is not accepted instead of silently seeing less.

`/metrics` shows counts only (no names, ids or error text), so without `HEALTHZ_TOKEN` anyone may
read it; with it, only the same bearer token may (`may_scrape`).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import SecretStr

from bot import messages, metrics
from bot.store import Store, StoreError
from bot.trackers.capabilities import Probe
from bot.trackers.errors import TrackerError
from bot.trackers.models import TrackerName
from bot.trackers.registry import Trackers

log = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 5.0
DATABASE_TIMEOUT_SECONDS = 2.0  # a liveness probe wants its answer fast
PUBLIC_FIELDS = ("configured", "reachable")


class View(enum.Enum):
    PUBLIC = "public"
    DETAILED = "detailed"


class Shared(Generic[T]):
    """An async query run once at a time: every caller meanwhile joins it, and waits at most
    `timeout` seconds for it (TimeoutError), leaving it running for the next caller to join
    rather than starting another. So a flood of probes, or a hung database, never runs more than
    one query."""

    def __init__(self, query: Callable[[], Awaitable[T]], *, timeout: float) -> None:
        self._query = query
        self._timeout = timeout
        self._running: asyncio.Future[T] | None = None

    async def get(self) -> T:
        running = self._running
        if running is None or running.done():
            running = self._running = asyncio.ensure_future(self._query())
            running.add_done_callback(_retrieve)
        await asyncio.wait({running}, timeout=self._timeout)  # never cancels the shared query
        if not running.done():
            raise TimeoutError
        return running.result()


def live(report: dict[str, Any]) -> bool:
    """Liveness, from either view of a report: the database answers."""
    return bool(report["database"]["reachable"])


def ready(report: dict[str, Any]) -> bool:
    """Readiness, from either view of a report: the database and every configured tracker answer."""
    return live(report) and all(t["reachable"] for t in report["trackers"].values() if t["configured"])


class Health:
    def __init__(self, trackers: Trackers, store: Store, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.trackers = trackers
        self.store = store
        self._clock = clock
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()
        self._database = Shared(self._ask_database, timeout=DATABASE_TIMEOUT_SECONDS)
        self._backlog = Shared(store.backlog, timeout=DATABASE_TIMEOUT_SECONDS)

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

    @classmethod
    def may_scrape(cls, authorization: str | None, token: SecretStr | None) -> bool:
        """`/metrics`: anyone without HEALTHZ_TOKEN set (and no Authorization header, as for
        /healthz), only its holder with it."""
        view = cls.view_for(authorization, token)
        return view is View.DETAILED or (token is None and view is View.PUBLIC)

    async def report(self, view: View) -> dict[str, Any]:
        """The trackers and the database, seen in `view` (`live` and `ready` read either view)."""
        full, database = await asyncio.gather(self._full_report(), self._database_report())
        if view is View.DETAILED:
            return {**full, "database": database}
        return {
            "trackers": {name: {k: result[k] for k in PUBLIC_FIELDS} for name, result in full["trackers"].items()},
            "database": {"reachable": database["reachable"]},
        }

    async def scrape(self, now: datetime) -> bytes:
        """`/metrics`: the outbox read from the store now (NaN when it does not answer), then every
        series in Prometheus' text format."""
        try:
            depth, oldest = await self._backlog.get()
        except (StoreError, TimeoutError) as exc:
            log.warning("metrics: the outbox could not be read (%s)", type(exc).__name__)
            metrics.set_outbox(None, None)
        else:
            metrics.set_outbox(depth, None if oldest is None else (now - oldest).total_seconds())
        return await asyncio.to_thread(metrics.exposition)  # reads every process's file when there are several

    async def _ask_database(self) -> float:
        """Seconds the database took to answer a trivial query."""
        started = time.perf_counter()
        await self.store.answers()
        return time.perf_counter() - started

    async def _database_report(self) -> dict[str, Any]:
        try:
            seconds = await self._database.get()
        except TimeoutError:
            detail = messages.DATABASE_TOO_SLOW.format(seconds=DATABASE_TIMEOUT_SECONDS)
        except StoreError as exc:
            detail = str(exc)  # a sentence safe to show (drivers' own text stays in the log)
        except Exception as exc:  # noqa: BLE001 - whatever stops a trivial query, the database does not answer
            detail = messages.DATABASE_FAILED.format(error=type(exc).__name__)
        else:
            return {
                "reachable": True,
                "detail": messages.DATABASE_ANSWERED.format(database=self.store.dialect, ms=seconds * 1000),
            }
        return {"reachable": False, "detail": detail}

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
            detail = f"timeout: {client.name} did not answer within {PING_TIMEOUT_SECONDS:g} s"
            return {"configured": True, "reachable": False, "detail": detail}
        try:
            detail = ping.result()
        except TrackerError as exc:  # the cause, for the operator; the sentence for people when there is none
            return {"configured": True, "reachable": False, "detail": exc.cause or str(exc)}
        return {"configured": True, "reachable": True, "detail": detail}


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Read the outcome of a ping given up on, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
