"""Scale out, measured on `python -m bot` with WEB_CONCURRENCY workers on one PostgreSQL (a fresh
schema of TEST_POSTGRES_URL each time; without it these rows say so and measure nothing):

- acknowledgement capacity with 1, 2 and 4 workers: `/tracker help` (answered in the
  acknowledgement itself, so it is the acknowledgement path alone: HTTP, the signature, Bolt)
  sent with enough in flight to keep every worker busy, acknowledgements per second;
- the bot's CPU per acknowledgement, and per whole `/tracker project <key>` (the ack, the four
  trackers' lookups and the card), on one worker: how many a second one core serves;
- the p99 of ack.py's burst (200 `/tracker project <key>` at 50 in flight, every tracker 2 s)
  with 2 workers, and with 1 in the same run for comparison.

The load generator, the tracker servers and every worker share this machine's cores, so the
capacity with N workers is what this machine does with them, not what N free cores would.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop

from benchmarks import slack_load
from benchmarks.ack import LOAD_IN_FLIGHT, LOAD_LATENCY_SECONDS, LOAD_REQUESTS, PROJECT_KEYS, wait_for
from benchmarks.process import Bot, running_bot
from benchmarks.report import Row, Spread, ms, percentile, times, us
from benchmarks.servers import Servers
from tests.fixtures.store import fresh_pg_schema

CAPACITY_WORKERS = (1, 2, 4)
BURST_WORKERS = (1, 2)
CAPACITY_REQUESTS = 10_000
CAPACITY_IN_FLIGHT = 64
CAPACITY_TARGET = 1.6  # 2 workers acknowledge at least this many times what 1 does
BURST_P99_TARGET_SECONDS = 0.050
WHOLE_COMMANDS = 100  # whole commands timed for their CPU, trackers at 0 ms
WHOLE_IN_FLIGHT = 10
WARM_REQUESTS = 40  # per worker: Bolt's first auth.test, the tracker clients' tokens and connections


@dataclass(frozen=True)
class ScaleRun:
    capacity: dict[int, float]  # workers -> acknowledgements a second
    ack_cpu: float  # the bot's CPU seconds per acknowledgement, 1 worker
    load_cpu: float  # the load generator's CPU seconds per request, 1 worker
    command_cpu: float  # the bot's CPU seconds per whole `/tracker project <key>`, 1 worker
    burst_p99: dict[int, float]  # workers -> p99 of the burst's acknowledgements, seconds
    burst_requests: int


@contextmanager
def _bot(servers: Servers, base: str, workers: int) -> Iterator[Bot]:
    with fresh_pg_schema(base) as url, running_bot(servers, workers=workers, database_url=url) as bot:
        yield bot


def _helps(prefix: str, count: int, response_base: str) -> list[slack_load.SignedRequest]:
    return [slack_load.command("help", f"{prefix}{i}", response_base) for i in range(count)]


def _capacity(servers: Servers, base: str, workers: int, requests: int, run: int) -> tuple[float, float, float]:
    """(acknowledgements a second, bot CPU seconds per acknowledgement, the load generator's CPU
    seconds per request) at saturation."""
    response_base = servers.response_url("").rstrip("/")
    with _bot(servers, base, workers) as bot:
        uvloop.run(_saturate(bot.events_url, _helps(f"s{run}w{workers}-warm", WARM_REQUESTS * workers, response_base)))
        load = _helps(f"s{run}w{workers}-", requests, response_base)
        cpu, own = bot.tree_cpu_seconds(), time.process_time()
        elapsed = uvloop.run(_saturate(bot.events_url, load))
        cpu, own = bot.tree_cpu_seconds() - cpu, time.process_time() - own
    return requests / elapsed, cpu / requests, own / requests


async def _saturate(url: str, requests: list[slack_load.SignedRequest]) -> float:
    """Send every request over CAPACITY_IN_FLIGHT keep-alive connections, one at a time on each,
    and return the seconds until the last was answered. A lean client (the requests written
    out before the clock starts; only the status line and Content-Length read), so the load
    generator takes as little of the shared cores as it can; any answer but 200 stops it."""
    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    written = [
        b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n%s"
        % (
            where.path.encode(),
            host.encode(),
            len(r.body),
            b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in r.headers.items()),
            r.body,
        )
        for r in requests
    ]
    wires = iter(written)  # shared by the connections: each takes the next request

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for wire in wires:
                writer.write(wire)
                head = await reader.readuntil(b"\r\n\r\n")
                if head[9:12] != b"200":
                    raise RuntimeError(f"trackerbot answered {head[:12]!r} under the capacity load")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(CAPACITY_IN_FLIGHT)))
    return time.monotonic() - started


def _burst(servers: Servers, base: str, workers: int, requests: int, run: int) -> tuple[list[float], float]:
    """ack.py's command burst: (its acknowledgement times, and, measured before it with the
    trackers at 0 ms, the bot's CPU seconds per whole command, card included)."""
    response_base = servers.response_url("").rstrip("/")
    servers.set_latency(0.0)
    with _bot(servers, base, workers) as bot:

        def commands(prefix: str, count: int) -> list[slack_load.SignedRequest]:
            keys = itertools.cycle(PROJECT_KEYS)
            return [slack_load.command(f"project {next(keys)}", f"{prefix}{i}", response_base) for i in range(count)]

        def answered(batch: list[slack_load.SignedRequest]) -> None:
            since = servers.counters()["slack_calls"]
            asyncio.run(slack_load.send_all(bot.events_url, batch, WHOLE_IN_FLIGHT))
            wait_for(servers, "response_url", since, {r.hook for r in batch}, "hook")

        answered(commands(f"b{run}w{workers}-warm", WARM_REQUESTS * workers))
        cpu = bot.tree_cpu_seconds()
        answered(commands(f"b{run}w{workers}-whole", WHOLE_COMMANDS))
        cpu = (bot.tree_cpu_seconds() - cpu) / WHOLE_COMMANDS
        servers.set_latency(LOAD_LATENCY_SECONDS)
        try:
            acks = asyncio.run(
                slack_load.send_all(bot.events_url, commands(f"b{run}w{workers}-", requests), LOAD_IN_FLIGHT)
            )
        finally:
            servers.set_latency(0.0)
    return [s.seconds for s in acks], cpu


def measure(
    servers: Servers, *, run: int, requests: int = CAPACITY_REQUESTS, burst: int = LOAD_REQUESTS
) -> ScaleRun | None:
    """One run of every scale figure; None without TEST_POSTGRES_URL (several workers need PostgreSQL)."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return None
    servers.set_latency(0.0)
    capacity, ack_cpu, load_cpu = {}, 0.0, 0.0
    for workers in CAPACITY_WORKERS:
        capacity[workers], cpu, own = _capacity(servers, base, workers, requests, run)
        if workers == 1:
            ack_cpu, load_cpu = cpu, own
    burst_p99, command_cpu = {}, 0.0
    for workers in BURST_WORKERS:
        acks, cpu = _burst(servers, base, workers, burst, run)
        burst_p99[workers] = percentile(acks, 0.99)
        if workers == 1:
            command_cpu = cpu
    return ScaleRun(capacity, ack_cpu, load_cpu, command_cpu, burst_p99, burst)


def per_second(value: float) -> str:
    return f"{value:.0f}/s"


def rows(runs: Sequence[ScaleRun | None]) -> list[Row]:
    measured = [r for r in runs if r is not None]
    if not measured:
        missing = "not measured: several workers need PostgreSQL (set TEST_POSTGRES_URL)"
        return [Row("Scale out (WEB_CONCURRENCY 1, 2, 4)", missing, "—", "—", None)]
    capacity = {n: Spread.of([r.capacity[n] for r in measured]) for n in CAPACITY_WORKERS}
    ratio = {n: Spread.of([r.capacity[n] / r.capacity[1] for r in measured]) for n in CAPACITY_WORKERS}
    ack_cpu = Spread.of([r.ack_cpu for r in measured])
    load_cpu = Spread.of([r.load_cpu for r in measured])
    # The most 2 workers could gain on 2 otherwise idle cores that also run the load generator:
    # 1 worker does at most 1 / bot a second (one core), 2 at most 2 / (bot + generator).
    ceiling = Spread.of([2 * r.ack_cpu / (r.ack_cpu + r.load_cpu) for r in measured])
    command_cpu = Spread.of([r.command_cpu for r in measured])
    p99 = {n: Spread.of([r.burst_p99[n] for r in measured]) for n in BURST_WORKERS}
    return [
        Row(
            "Ack capacity: `/tracker help` acknowledged a second at saturation "
            f"({CAPACITY_IN_FLIGHT} in flight, PostgreSQL), 1 / 2 / 4 workers, load generator on the same 2 cores",
            " / ".join(capacity[n].show(per_second) for n in CAPACITY_WORKERS),
            f"2 workers ≥ {CAPACITY_TARGET}× 1",
            f"2 workers {ratio[2].show(times)}, 4 workers {ratio[4].show(times)}; this machine's ceiling "
            f"{ceiling.show(times)} (2 idle cores, the generator's CPU beside the bot's)",
            ratio[2].median >= CAPACITY_TARGET,
        ),
        Row(
            "One core: the bot's CPU per acknowledgement (`/tracker help`) / per whole `/tracker project <key>` "
            "(ack, four trackers' lookups, the card), 1 worker; the load generator's per request",
            f"{ack_cpu.show(us)} / {command_cpu.show(ms)}; load generator {load_cpu.show(us)}",
            "—",
            f"one core serves {1 / ack_cpu.median:.0f} acks/s, {1 / command_cpu.median:.0f} whole commands/s",
            None,
        ),
        Row(
            f"Ack p99 of the command burst ({measured[0].burst_requests} `/tracker project <key>` at {LOAD_IN_FLIGHT} in flight, "
            f"every tracker {LOAD_LATENCY_SECONDS:.0f} s), 2 workers / 1 worker in the same run",
            f"{p99[2].show(ms)} / {p99[1].show(ms)}",
            f"2 workers < {BURST_P99_TARGET_SECONDS * 1000:.0f} ms",
            f"{p99[2].median / BURST_P99_TARGET_SECONDS:.2f} × target",
            p99[2].median < BURST_P99_TARGET_SECONDS,
        ),
    ]
