"""Digest fan-out: `digests.build` over 500 Projectrak projects at 100 ms a call, against the
floor ceil(N / C) x L (C: the client's bound on requests in flight) and against fetching the
same projects one by one (timed on a sample, scaled to N: the whole would take N x L)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.report import Row, Spread, secs, times
from benchmarks.servers import Servers
from bot.runtime import Runtime
from bot.services import digest_rules
from bot.settings import load_settings
from bot.store import Store
from bot.trackers.projectrak import ProjectrakClient
from bot.trackers.registry import Trackers

LATENCY_SECONDS = 0.1
TARGET_RATIO = 1.25
SEQUENTIAL_SAMPLE = 30


@dataclass(frozen=True)
class DigestRun:
    projects: int
    bound: int  # C
    seconds: float  # the whole digest, cold client (token and project list included)
    sequential_per_project: float

    @property
    def floor(self) -> float:
        return math.ceil(self.projects / self.bound) * LATENCY_SECONDS

    @property
    def sequential(self) -> float:
        return self.sequential_per_project * self.projects


def _client(servers: Servers) -> ProjectrakClient:
    return ProjectrakClient(
        servers.urls["projectrak"], servers.secrets["projectrak_key_id"], servers.secrets["projectrak_key"]
    )


async def _digest_seconds(servers: Servers) -> tuple[float, int, int]:
    client = _client(servers)
    settings = load_settings(
        _env_file=None,
        PROJECTRAK_URL=servers.urls["projectrak"],
        PROJECTRAK_API_KEY_ID=servers.secrets["projectrak_key_id"],
        PROJECTRAK_API_KEY=servers.secrets["projectrak_key"],
        DATABASE_URL="sqlite://",
    )
    rt = Runtime(settings=settings, trackers=Trackers([client]), store=Store(settings.DATABASE_URL))
    try:
        started = time.perf_counter()
        digest = await digest_rules.build(rt)
        seconds = time.perf_counter() - started
        if digest.failures:
            raise RuntimeError(f"the digest failed: {digest.failures}")
        return seconds, len(await client.list_projects()), client.http.options.max_in_flight
    finally:
        await client.aclose()


async def _sequential_per_project(servers: Servers, sample: int) -> float:
    client = _client(servers)
    try:
        projects = (await client.list_projects())[:sample]  # token and list fetched before the clock
        started = time.perf_counter()
        for project in projects:
            await client.get_project(project.key or project.id)
        return (time.perf_counter() - started) / len(projects)
    finally:
        await client.aclose()


def measure(servers: Servers, *, sample: int = SEQUENTIAL_SAMPLE) -> DigestRun:
    servers.set_latency(LATENCY_SECONDS)
    seconds, projects, bound = asyncio.run(_digest_seconds(servers))
    per_project = asyncio.run(_sequential_per_project(servers, sample))
    return DigestRun(projects, bound, seconds, per_project)


def rows(runs: Sequence[DigestRun]) -> list[Row]:
    first = runs[0]
    took = Spread.of([r.seconds for r in runs])
    ratio = Spread.of([r.seconds / r.floor for r in runs])
    sequential = Spread.of([r.sequential for r in runs])
    speedup = Spread.of([r.sequential / r.seconds for r in runs])
    return [
        Row(
            f"Digest fan-out: {first.projects} Projectrak projects at {LATENCY_SECONDS * 1000:.0f} ms, "
            f"C = {first.bound} (cold: token and project list included)",
            took.show(secs),
            f"≤ {TARGET_RATIO} × floor ({secs(first.floor)})",
            f"{ratio.show(times)} floor",
            ratio.median <= TARGET_RATIO,
        ),
        Row(
            f"Same projects fetched one by one ({SEQUENTIAL_SAMPLE} timed, scaled to {first.projects})",
            sequential.show(secs),
            "—",
            f"fan-out is {speedup.show(times)} faster",
            None,
        ),
    ]
