"""Background work of a serving process, on APScheduler's AsyncIOScheduler: the outbox worker
that delivers saved writes, the digest scheduler and the watch poller. All are driven by the
store (leases, claims, compare-and-swap), so several processes can run them side by side."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from slack_sdk.web.async_client import AsyncWebClient

from bot.posting import digest_delivery, watch_posting
from bot.posting.saying import say_outcome
from bot.runtime import Runtime
from bot.services import writes
from bot.slack.directory import PersonLookup, fresh_lookup
from bot.trackers.errors import TrackerError

log = logging.getLogger(__name__)

OUTBOX_INTERVAL_SECONDS = 5.0
DIGEST_INTERVAL_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0  # what runs in progress get to finish when the process stops
STOP_GRACE_SECONDS = 2.0  # then they are cancelled: what a cancelled run gets to give its claims back
PROBE_SECONDS = 10.0
WAKE_DEBOUNCE_SECONDS = 1.0
_IN_OUTBOX_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("in_outbox_run", default=False)


async def deliver_due(
    rt: Runtime,
    client: AsyncWebClient,
    *,
    limit: int = 20,
    timing: writes.Timing | None = None,
    stopping: asyncio.Event | None = None,
) -> int:
    """Deliver what is due in the outbox and tell each person; returns how many were tried.

    Rows are claimed one at a time, each with a lease of its own, so a slow tracker never lets a
    claimed row's lease run out while it waits its turn. When nothing is due but writes wait out
    a backoff, a cheap probe asks whether Issuetrak answers again; if it does they are all due now.
    Once `stopping` is set no further row is claimed: they are left to the other processes.
    `timing` is the deployment's (writes.timing) unless given."""
    stopping = stopping or asyncio.Event()
    timing = timing or writes.timing(rt)
    people = fresh_lookup(client)  # each write goes out under its person's rights of this run
    tried = await _deliver_claimed(rt, client, people, limit, timing, stopping)
    if tried == 0 and await rt.store.has_waiting(rt.clock()) and await tracker_answers(rt):
        await rt.store.make_waiting_due(rt.clock())
        tried = await _deliver_claimed(rt, client, people, limit, timing, stopping)
    return tried


async def _deliver_claimed(
    rt: Runtime,
    client: AsyncWebClient,
    people: PersonLookup,
    limit: int,
    timing: writes.Timing,
    stopping: asyncio.Event,
) -> int:
    tracker_answered = False
    for tried in range(limit):
        if stopping.is_set():
            return tried
        item = next(iter(await rt.store.claim_due(rt.clock(), 1, timing.lease_seconds)), None)
        if item is None:
            return tried
        outcome = await writes.deliver(rt, item, people, timing=timing)
        if outcome is None:
            continue  # the claim was taken over: its new holder tells the person
        if outcome.result is not writes.Result.SAVED:  # SAVED: still waiting; the person was told
            await say_outcome(client, item.requester, outcome)
        if outcome.result is writes.Result.DELIVERED and not tracker_answered:
            tracker_answered = True  # Issuetrak answers: nothing need wait out its backoff
            await rt.store.make_waiting_due(rt.clock())
    return limit


async def tracker_answers(rt: Runtime) -> bool:
    """A cheap probe: whether Issuetrak answers one signed call now."""
    issuetrak = rt.trackers.issuetrak
    if issuetrak is None:
        return False
    try:
        await asyncio.wait_for(issuetrak.ping(), PROBE_SECONDS)
    except (TrackerError, TimeoutError):
        return False
    return True


class Workers:
    """Interval jobs beside the web server, from `start()` until `await stop()`.

    Each job runs at once on start, then every interval; never two runs of one job at a time
    (max_instances=1), and runs missed while the loop was busy collapse into one (coalesce).
    Job failures are logged by APScheduler and the job runs again at its next interval.

    Any answer from Issuetrak (to anyone's request in this process) makes the writes waiting out a
    backoff due, and wakes the outbox worker at once (at most once a second).
    """

    def __init__(
        self,
        rt: Runtime,
        client: AsyncWebClient,
        *,
        outbox_seconds: float = OUTBOX_INTERVAL_SECONDS,
        digest_seconds: float = DIGEST_INTERVAL_SECONDS,
        watch_seconds: float | None = None,
        pacer: digest_delivery.Pacer = digest_delivery.PACER,
    ) -> None:
        self.rt = rt
        self.client = client
        self.pacer = pacer
        self.jobs: tuple[tuple[str, Callable[[], Awaitable[object]], float], ...] = (
            ("outbox worker", self._outbox, outbox_seconds),
            ("digest scheduler", self._digests, digest_seconds),
            ("watch poller", self._watches, watch_seconds or rt.settings.WATCH_POLL_SECONDS),
        )
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = asyncio.Event()
        self._delivering = asyncio.Lock()  # one outbox run at a time: the interval's or a wake-up's
        self._wake: asyncio.Task[None] | None = None
        self._last_wake = float("-inf")
        if rt.trackers.issuetrak is not None:
            rt.trackers.issuetrak.http.on_success = self._tracker_answered

    def start(self) -> None:
        """Schedule the jobs on the running event loop."""
        # Every run would log two INFO lines; failures still come at ERROR.
        runs = logging.getLogger("apscheduler.executors")
        if runs.level == logging.NOTSET:
            runs.setLevel(logging.WARNING)
        now = datetime.now(UTC)
        for name, work, seconds in self.jobs:
            self.scheduler.add_job(
                self._tracked, "interval", args=[work], seconds=seconds, id=name, name=name, next_run_time=now
            )
        self.scheduler.start()

    async def stop(self, timeout: float = STOP_TIMEOUT_SECONDS, *, grace: float = STOP_GRACE_SECONDS) -> None:
        """No new runs, and no new outbox row claimed; let the running ones finish within
        `timeout` (a digest being posted stays whole), then cancel what is left: a cancelled run
        gives its claims back (the row or the digest is due again for the other processes)
        within `grace`. Then stop."""
        if not self.scheduler.running:
            return
        self._stopping.set()
        self.scheduler.pause()
        running = self._running | ({self._wake} if self._wake is not None and not self._wake.done() else set())
        if running:
            _done, left = await asyncio.wait(running, timeout=timeout)
            for task in left:
                task.cancel()
            if left:
                log.warning("%d background run(s) still going after %.0f s were cancelled", len(left), timeout)
                await asyncio.wait(left, timeout=grace)
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
        async with self._delivering:
            token = _IN_OUTBOX_RUN.set(True)
            try:
                return await deliver_due(self.rt, self.client, stopping=self._stopping)
            finally:
                _IN_OUTBOX_RUN.reset(token)

    def _tracker_answered(self) -> None:
        """Issuetrak answered someone's call in this process: the writes waiting out a backoff are
        due now, and an outbox run starts (after the one in progress, if any). Answers to the
        outbox run's own calls are left out: `deliver_due` acts on those itself."""
        loop = asyncio.get_running_loop()
        if (
            _IN_OUTBOX_RUN.get()
            or self.scheduler.state != STATE_RUNNING
            or (self._wake is not None and not self._wake.done())
            or loop.time() - self._last_wake < WAKE_DEBOUNCE_SECONDS
        ):
            return
        self._last_wake = loop.time()
        self._wake = loop.create_task(self._tracked(self._woken), name="outbox wake-up")

    async def _woken(self) -> int:
        await self.rt.store.make_waiting_due(self.rt.clock())
        return await self._outbox()

    async def _digests(self) -> digest_delivery.DueRound:
        done = await digest_delivery.post_due(self.rt, self.client, pacer=self.pacer)
        if done.posted or done.failed:
            log.info("digests: %d posted, %d failed", done.posted, done.failed)
        return done

    async def _watches(self) -> watch_posting.RoundSummary:
        done = await watch_posting.run_round(self.rt, self.client, pacer=self.pacer)
        if done.posted or done.gone or done.paused:
            log.info(
                "watches: %d items checked, %d news posted, %d gone, %d paused (%.1f s)",
                done.items,
                done.posted,
                done.gone,
                done.paused,
                done.seconds,
            )
        return done


async def wind_down(rt: Runtime, workers: Workers | None) -> None:
    """A serving process stopping (SIGTERM): its background runs and the work its requests
    started finish side by side within one bound, what is left is cancelled and gives its
    claims back (README: "Several workers"), and the runtime closes."""
    await asyncio.gather(rt.drain(), *([workers.stop()] if workers is not None else []))
    await rt.aclose()
