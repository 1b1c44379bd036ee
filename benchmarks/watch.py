"""Watch round fan-out: 1,000 watched Issuetrak issues, each watched by two channels, at 100 ms a
call. One steady watch round (`watch_posting.run_round`, the reference data already cached by
the round before) against the floor ceil(S / C) x L (S: the searches of the change feed, one per
NUMBERS_PER_SEARCH watched issues; C: the round's bound on calls in flight), and the Issuetrak
calls it makes: one search per NUMBERS_PER_SEARCH distinct items, however many channels watch
them (before the change feed: one GET per item, 11.6 s and 1,000 calls for 1,000 items)."""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.report import Row, Spread, secs, times
from benchmarks.servers import Servers
from bot.posting.watch_posting import run_round
from bot.runtime import Runtime
from bot.services import issue_feed, watches
from bot.settings import load_settings
from bot.store import Store, WatchKind, WatchTarget
from bot.trackers.registry import build_trackers

LATENCY_SECONDS = 0.1
TARGET_SECONDS = 5.0  # a round where nothing changed (issue 21's target, at 10,000 issues)
ISSUES = 1000
WATCHERS = 2  # channels watching each issue
TEAM = "T0BENCH"


@dataclass(frozen=True)
class WatchRun:
    items: int
    watches: int
    bound: int  # C
    seconds: float  # the steady round
    first_seconds: float  # the first round: reference data loaded, every item recorded
    calls: int  # Issuetrak calls of the steady round

    @property
    def searches(self) -> int:
        """The searches that read the watched issues (pages of 100); the round also reads, for the
        DMs of the person the watches act for, the site's open issues, so its calls are held to a
        tenth of the per-item round's (one GET per item)."""
        return math.ceil(self.items / issue_feed.NUMBERS_PER_SEARCH)

    @property
    def floor(self) -> float:
        return math.ceil(self.searches / self.bound) * LATENCY_SECONDS


async def _watch_all(store: Store, numbers: Sequence[int]) -> int:
    """Each issue watched by WATCHERS channels, at most MAX_WATCHES a channel."""
    per_channel = watches.MAX_WATCHES
    now = datetime.now(UTC)
    made = 0
    for index, number in enumerate(numbers):
        target = WatchTarget(WatchKind.ISSUE, "issuetrak", str(number), f"issue {number}")
        for copy in range(WATCHERS):
            channel = f"C0BENCH{copy}X{index // per_channel}"
            await store.add_watch(TEAM, channel, target, personal=False, by="U0ALICE", now=now, cap=per_channel)
            made += 1
    return made


async def _rounds(servers: Servers, numbers: Sequence[int], folder: Path) -> WatchRun:
    settings = load_settings(
        _env_file=None,
        ISSUETRAK_URL=servers.urls["issuetrak"],
        ISSUETRAK_API_KEY=servers.secrets["issuetrak_key"],
        DATABASE_URL=f"sqlite:///{folder / 'watch.db'}",
    )
    rt = Runtime(settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL))
    client = AsyncWebClient(token="xoxb-benchmark", base_url=f"{servers.urls['slack']}/api/")
    try:
        made = await _watch_all(rt.store, numbers)
        first = await run_round(rt, client)
        before = servers.counters()["issuetrak_requests"]
        started = time.perf_counter()
        steady = await run_round(rt, client)
        seconds = time.perf_counter() - started
        calls = servers.counters()["issuetrak_requests"] - before
        if steady.items != len(numbers) or steady.unreadable or first.unreadable:
            raise RuntimeError(f"the watch round did not read every item: {steady}")
        bound = min(watches.POLL_CONCURRENCY, rt.trackers.require_issuetrak().http.options.max_in_flight)
        return WatchRun(len(numbers), made, bound, seconds, first.seconds, calls)
    finally:
        await rt.aclose()
        await rt.store.aclose()


def measure(servers: Servers, *, issues: int = ISSUES) -> WatchRun:
    servers.set_latency(0.0)
    numbers = servers.add_issues(issues)
    servers.set_latency(LATENCY_SECONDS)
    with tempfile.TemporaryDirectory(prefix="trackerbot-watch-") as folder:
        return asyncio.run(_rounds(servers, numbers, Path(folder)))


def rows(runs: Sequence[WatchRun]) -> list[Row]:
    first = runs[0]
    took = Spread.of([r.seconds for r in runs])
    ratio = Spread.of([r.seconds / r.floor for r in runs])
    cold = Spread.of([r.first_seconds for r in runs])
    calls = max(r.calls for r in runs)
    return [
        Row(
            f"Watch round: {first.items} watched Issuetrak issues ({first.watches} watches, {WATCHERS} channels "
            f"each) at {LATENCY_SECONDS * 1000:.0f} ms, C = {first.bound} (steady round; the first, which "
            f"records every item, {cold.show(secs)})",
            f"{took.show(secs)}; {calls} Issuetrak calls",
            f"≤ {secs(TARGET_SECONDS)}; calls ≤ items / 10 ({first.items // 10}; per item: {first.items})",
            f"{ratio.show(times)} floor ({secs(first.floor)})",
            took.median <= TARGET_SECONDS and all(r.calls <= r.items // 10 for r in runs),
        )
    ]
