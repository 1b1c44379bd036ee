"""Client overhead per call: what the tracker client adds to a bare round trip on the same
server with no latency. Three ways to read one project's Projectrak values, one call at a time,
interleaved in blocks so drift on a shared machine hits all three alike:

- raw: a plain pooled `httpx.AsyncClient` GET with the bearer token, and `.json()`;
- core: `TrackerHTTP.get` (semaphore, stamina retry context, auth flow, error mapping);
- client: `ProjectrakClient.get_project` (the cached project list, the values call, and the
  normalized `ProjectStatus`).

Each way is timed twice: wall time, and this process's CPU time (`time.process_time`). The
server runs in another process, so the CPU time is the client's own work; on a machine shared
with other test runs it is the steadier of the two, and the target is judged on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from benchmarks.report import Row, Spread, us
from benchmarks.servers import Servers
from bot.trackers.projectrak import MINT_PATH, VALUES_PATH, ProjectrakClient

CALLS = 300
BLOCKS = 6
TARGET_SECONDS = 0.001


@dataclass(frozen=True)
class Cost:
    wall: float  # seconds per call
    cpu: float  # this process's CPU seconds per call


@dataclass(frozen=True)
class OverheadRun:
    raw: Cost
    core: Cost
    client: Cost


async def _timed(call: Callable[[], Awaitable[object]], count: int) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await call()
    return time.perf_counter() - started, time.process_time() - cpu


async def _measure(servers: Servers, calls: int) -> OverheadRun:
    url = servers.urls["projectrak"]
    client = ProjectrakClient(url, servers.secrets["projectrak_key_id"], servers.secrets["projectrak_key"])
    async with httpx.AsyncClient(base_url=url + "/") as raw:
        minted = await raw.post(
            MINT_PATH,
            json={"name": servers.secrets["projectrak_key_id"], "password": servers.secrets["projectrak_key"]},
        )
        raw.headers["Authorization"] = f"Bearer {minted.raise_for_status().json()['jwt']}"
        path = VALUES_PATH.format(key="WEB")

        async def bare() -> object:
            return (await raw.get(path)).raise_for_status().json()

        ways: dict[str, Callable[[], Awaitable[object]]] = {
            "raw": bare,
            "core": lambda: client.http.get(path),
            "client": lambda: client.get_project("WEB"),
        }
        try:
            for call in ways.values():  # connections, token and project list, before the clock
                await _timed(call, 5)
            walls, cpus = dict.fromkeys(ways, 0.0), dict.fromkeys(ways, 0.0)
            for _ in range(BLOCKS):
                for name, call in ways.items():
                    wall, cpu = await _timed(call, calls // BLOCKS)
                    walls[name] += wall
                    cpus[name] += cpu
        finally:
            await client.aclose()
    count = calls // BLOCKS * BLOCKS
    return OverheadRun(**{name: Cost(walls[name] / count, cpus[name] / count) for name in ways})


def measure(servers: Servers, *, calls: int = CALLS) -> OverheadRun:
    servers.set_latency(0.0)
    return asyncio.run(_measure(servers, calls))


def rows(runs: Sequence[OverheadRun]) -> list[Row]:
    raw_wall = Spread.of([r.raw.wall for r in runs])
    raw_cpu = Spread.of([r.raw.cpu for r in runs])
    found = []
    for label, name in (("`TrackerHTTP.get`", "core"), ("`ProjectrakClient.get_project`", "client")):
        cpu = Spread.of([getattr(r, name).cpu - r.raw.cpu for r in runs])
        wall = Spread.of([getattr(r, name).wall - r.raw.wall for r in runs])
        ratio = Spread.of([getattr(r, name).wall / r.raw.wall for r in runs])
        found.append(
            Row(
                f"Client overhead per call: {label} vs a raw httpx GET (round trip {raw_wall.show(us)}, "
                f"of which client CPU {raw_cpu.show(us)}), no latency",
                f"CPU +{cpu.show(us)}; wall +{wall.show(us)}",
                f"< {TARGET_SECONDS * 1e6:.0f} µs",
                f"wall {ratio.show(lambda v: f'{v:.2f}×')} raw",
                cpu.median < TARGET_SECONDS,
            )
        )
    return found
