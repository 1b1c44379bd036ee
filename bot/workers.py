"""Background work of a serving process, on APScheduler's AsyncIOScheduler: the outbox worker
that delivers saved writes, and the digest scheduler. Both are driven by the store (leases and
claims), so several processes can run them side by side."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_sdk.web.async_client import AsyncWebClient

from bot.answers import tell_outcome
from bot.runtime import Runtime
from bot.services import digests, writes

log = logging.getLogger(__name__)

OUTBOX_INTERVAL_SECONDS = 5.0
DIGEST_INTERVAL_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


async def deliver_due(rt: Runtime, client: AsyncWebClient, *, limit: int = 20) -> int:
    """Deliver what is due in the outbox and tell each person; returns how many were tried."""
    items = await rt.store.claim_due(rt.clock(), limit, writes.LEASE_SECONDS)
    for item in items:
        outcome = await writes.deliver(rt, item)
        if outcome.result is not writes.Result.SAVED:  # SAVED: still waiting; the person was told
            await tell_outcome(client, item.requester, outcome)
    return len(items)


class Workers:
    """Interval jobs beside the web server, from `start()` until `await stop()`.

    Each job runs at once on start, then every interval; never two runs of one job at a time
    (max_instances=1), and runs missed while the loop was busy collapse into one (coalesce).
    Job failures are logged by APScheduler and the job runs again at its next interval.
    """

    def __init__(self, rt: Runtime, client: AsyncWebClient, *, outbox_seconds: float = OUTBOX_INTERVAL_SECONDS,
                 digest_seconds: float = DIGEST_INTERVAL_SECONDS, pacer: digests.Pacer = digests.PACER) -> None:
        self.rt = rt
        self.client = client
        self.pacer = pacer
        self.jobs: tuple[tuple[str, Callable[[], Awaitable[object]], float], ...] = (
            ("outbox worker", self._outbox, outbox_seconds),
            ("digest scheduler", self._digests, digest_seconds),
        )
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self._running: set[asyncio.Task[object]] = set()

    def start(self) -> None:
        """Schedule the jobs on the running event loop."""
        # Every run would log two INFO lines; failures still come at ERROR.
        runs = logging.getLogger("apscheduler.executors")
        if runs.level == logging.NOTSET:
            runs.setLevel(logging.WARNING)
        now = datetime.now(UTC)
        for name, work, seconds in self.jobs:
            self.scheduler.add_job(self._tracked, "interval", args=[work], seconds=seconds, id=name, name=name,
                                   next_run_time=now)
        self.scheduler.start()

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """No new runs; let the running ones finish (a digest being posted stays whole), then stop."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    async def _tracked(self, work: Callable[[], Awaitable[object]]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await work()
        finally:
            self._running.discard(task)

    async def _outbox(self) -> int:
        return await deliver_due(self.rt, self.client)

    async def _digests(self) -> digests.DueRound:
        done = await digests.post_due(self.rt, self.client, pacer=self.pacer)
        if done.posted or done.failed:
            log.info("digests: %d posted, %d failed", done.posted, done.failed)
        return done
