"""Slow clients on `python -m bot` held to 1,024 descriptors (as under systemd's default limit):
2,000 connections each trickling a request head, a header line every second, never ending it.
Meanwhile `/healthz` and signed `/tracker help` commands are sent on fresh connections, one every
`PROBE_SECONDS`, each timed from its connect to its answer: they must all be answered (p99 under
100 ms), and every slow connection must be closed by the bot within the head deadline
(bot.running.web.HEAD_SECONDS), whether at the deadline or earlier to make room for new ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from benchmarks import slack_load
from benchmarks.process import Bot, open_descriptors, running_bot
from benchmarks.report import Row, Spread, ms, percentile, secs
from benchmarks.servers import Servers
from bot.running.web import HEAD_SECONDS

DESCRIPTORS = 1024
SLOW_CONNECTIONS = 2000
OPENING_AT_ONCE = 100  # the attacker's connects in flight while it opens its connections
LINE_SECONDS = 1.0  # a slow connection sends one more header line this often
PROBE_SECONDS = 0.05
P99_TARGET_SECONDS = 0.100
CLOSE_SLACK_SECONDS = 0.5  # the bot's timer and our read of the close, beyond the deadline itself
GIVE_UP_SECONDS = 60.0  # the attack stops here, closing what the bot left open


@dataclass(frozen=True)
class SlowRun:
    connections: int
    descriptors: int
    lifetimes: list[float]  # seconds from each slow connection's connect to the bot closing it
    answered: int  # bytes a slow connection got before the close: 0 (a head never ends, so no answer)
    healthz: list[float]  # seconds, connect to answer, each /healthz during the attack
    commands: list[float]  # the same for each signed command
    failed: list[str]  # probes not answered 200: their status or error
    peak_descriptors: int  # the most the bot had open at once, sampled during the attack
    errors_logged: int  # ERROR lines in the bot's log (EMFILE would be one)


async def _slow(host: str, port: int, opening: asyncio.Semaphore, lifetimes: list[float], answers: list[bytes]) -> None:
    """One slow client: a request line, then a header line every LINE_SECONDS until the bot
    closes; its lifetime counts from the connect (`opening` bounds the connects under way)."""
    async with opening:
        reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n")
        while True:
            try:
                data = await asyncio.wait_for(reader.read(4096), LINE_SECONDS)
            except TimeoutError:
                writer.write(b"X-Slow: %d\r\n" % int(time.monotonic() - started))
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                lifetimes.append(time.monotonic() - started)
                return
            answers.append(data)
    finally:
        writer.close()


async def _probe(host: str, port: int, wire: bytes) -> tuple[float, str]:
    """Seconds from connect to a whole answer, and its status (or the error) ."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(wire)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12].decode()
        finally:
            writer.close()
    except (OSError, asyncio.IncompleteReadError) as exc:
        status = type(exc).__name__
    return time.monotonic() - started, status


def _wire(path: str, request: slack_load.SignedRequest | None) -> bytes:
    """A whole request as bytes (Connection: close): GET `path`, or POST `request` to it."""
    if request is None:
        return b"GET %s HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n" % path.encode()
    headers = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in request.headers.items())
    return b"POST %s HTTP/1.1\r\nHost: bot\r\nConnection: close\r\nContent-Length: %d\r\n%s\r\n%s" % (
        path.encode(),
        len(request.body),
        headers,
        request.body,
    )


async def _attack(bot: Bot, connections: int, response_base: str) -> SlowRun:
    where = urlsplit(bot.url)
    host, port = where.hostname or "127.0.0.1", where.port or 80
    lifetimes: list[float] = []
    answers: list[bytes] = []
    healthz: list[float] = []
    commands: list[float] = []
    failed: list[str] = []
    peak = open_descriptors(bot.pid)
    for warm in ("/healthz", "/slack/events"):  # Bolt's first auth.test is start-up, not the attack's
        request = slack_load.command("help", "slow-warm", response_base) if warm == "/slack/events" else None
        if (await _probe(host, port, _wire(warm, request)))[1] != "200":
            raise RuntimeError(f"trackerbot did not answer {warm} before the attack")
    opening = asyncio.Semaphore(OPENING_AT_ONCE)
    attack = asyncio.gather(*(_slow(host, port, opening, lifetimes, answers) for _ in range(connections)))
    index = 0
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while not attack.done() and time.monotonic() < give_up:
        index += 1
        command = slack_load.command("help", f"slow-{index}", response_base)
        wire, times = (_wire("/healthz", None), healthz) if index % 2 else (_wire("/slack/events", command), commands)
        seconds, status = await _probe(host, port, wire)
        times.append(seconds)
        if status != "200":
            failed.append(status)
        peak = max(peak, open_descriptors(bot.pid))
        await asyncio.sleep(PROBE_SECONDS)
    attack.cancel()  # any still open (none when the bot closes them): counted as not closed
    await asyncio.gather(attack, return_exceptions=True)
    errors = bot.log_path.read_text(errors="replace").count("ERROR")
    return SlowRun(connections, DESCRIPTORS, lifetimes, len(answers), healthz, commands, failed, peak, errors)


def measure(servers: Servers, *, connections: int = SLOW_CONNECTIONS) -> SlowRun:
    servers.set_latency(0.0)
    response_base = servers.response_url("").rstrip("/")
    with running_bot(servers, descriptors=DESCRIPTORS) as bot:
        return asyncio.run(_attack(bot, connections, response_base))


def rows(runs: Sequence[SlowRun]) -> list[Row]:
    healthz = Spread.of([percentile(r.healthz, 0.99) for r in runs])
    commands = Spread.of([percentile(r.commands, 0.99) for r in runs])
    longest = Spread.of([max(r.lifetimes) for r in runs])
    peak = Spread.of([r.peak_descriptors for r in runs])
    probes = sum(len(r.healthz) + len(r.commands) for r in runs)
    failed = sum(len(r.failed) for r in runs)
    closed = sum(len(r.lifetimes) for r in runs)
    opened = sum(r.connections for r in runs)
    late = sum(1 for r in runs for t in r.lifetimes if t > HEAD_SECONDS + CLOSE_SLACK_SECONDS)
    errors = sum(r.errors_logged + r.answered for r in runs)
    worst = max(healthz.median, commands.median)
    return [
        Row(
            f"{runs[0].connections:,} slow-header connections (a header line every {LINE_SECONDS:.0f} s, never ending) "
            f"against `python -m bot` held to {runs[0].descriptors:,} descriptors: `/healthz` / signed `/tracker help` "
            "p99 during the attack, connect to answer",
            f"{healthz.show(ms)} / {commands.show(ms)}; {probes - failed} of {probes} probes answered 200; "
            f"bot's peak descriptors {peak.show(lambda n: f'{n:.0f}')}; errors logged {errors}",
            f"p99 < {P99_TARGET_SECONDS * 1000:.0f} ms, all answered",
            f"{worst / P99_TARGET_SECONDS:.2f} × target",
            worst < P99_TARGET_SECONDS and failed == 0 and errors == 0,
        ),
        Row(
            "The same slow connections: closed by the bot, the longest-lived one",
            f"{closed:,} of {opened:,} closed; longest {longest.show(secs)}",
            f"all closed within the {HEAD_SECONDS:.0f} s head deadline",
            f"{late} late",
            closed == opened and late == 0,
        ),
    ]
