"""Hostile bodies on `python -m bot`: a 60 MB unsigned body, sent once with a Content-Length and
once chunked (no length), must be refused with 413 without the bot ever holding it, so its peak
RSS (VmHWM) stays within the memory target; so must a 60 MB header that never ends (431 once the
head passes 64 KB), and a burst of 200 unsigned 1 MiB bodies sent at
once (the shared budget for bodies held at once refuses most with 503); and the unsigned 60 kB POST that used to freeze the
process (Bolt logged its body; the masker took 94 s over it) is refused at once, with `/healthz`
answering right after (the README's notes give the figures from before the fix)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from benchmarks.ack import RSS_TARGET_MB
from benchmarks.process import running_bot
from benchmarks.report import Row, Spread, ms
from benchmarks.servers import Servers

MEGABYTE = 1024 * 1024
BODY_MEGABYTES = 60
CHUNK = b"x" * 65536
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# A slash command whose text is one 60k-character word, unsigned: Bolt parsed it, refused it and
# logged it whole, and the old masker took minutes over that line.
FREEZE_BODY = b"command=%2Ftracker&text=" + b"x" * 60_000
FREEZE_TARGET_SECONDS = 0.050
BURST_REQUESTS = 200


@dataclass(frozen=True)
class BodyRun:
    megabytes: int  # the size of each big body
    fresh_rss_mb: float  # VmHWM once the bot answered /healthz
    peak_rss_mb: float  # VmHWM after both 60 MB bodies were refused
    declared: float  # seconds to the 413 of the body with a Content-Length
    chunked: float  # seconds to the 413 of the chunked body
    unsigned: float  # seconds to the 401 of the 60 kB unsigned body
    healthz: float  # seconds to /healthz right after it
    head: float  # seconds until the bot closed the connection sending the endless header
    head_rss_mb: float  # VmHWM after it
    burst_rss_mb: float  # VmHWM after the burst of 1 MiB bodies
    burst: dict[str, int]  # how the burst was answered: "401", "503", or the client's transport error


def _chunks(megabytes: int) -> Iterator[bytes]:
    for _ in range(megabytes * MEGABYTE // len(CHUNK)):
        yield CHUNK


def _post(client: httpx.Client, url: str, content: bytes | Iterator[bytes], expected: int) -> float:
    started = time.perf_counter()
    response = client.post(url, content=content, headers=FORM)
    seconds = time.perf_counter() - started
    if response.status_code != expected:
        raise RuntimeError(f"the bot answered {response.status_code} to a hostile body, not {expected}")
    return seconds


def _endless_head(url: str, megabytes: int) -> float:
    """Send one header `megabytes` long that never ends; seconds until the bot closes on it."""
    address = urlsplit(url)
    started = time.perf_counter()
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slack-Signature: v0=")
        try:
            for _ in range(megabytes * MEGABYTE // len(CHUNK)):
                sock.sendall(CHUNK)
        except OSError:
            return time.perf_counter() - started
    raise RuntimeError(f"the bot took a {megabytes} MB header without closing the connection")


async def _burst(url: str, requests: int) -> dict[str, int]:
    """`requests` unsigned bodies of 1 MiB (the largest allowed) at once; a client still sending
    when the bot refuses and closes sees a transport error, which is counted as such."""
    body = b"x" * MEGABYTE
    limits = httpx.Limits(max_connections=requests)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        answers = await asyncio.gather(
            *(client.post(url, content=body, headers=FORM) for _ in range(requests)), return_exceptions=True
        )
    outcomes = Counter(str(a.status_code) if isinstance(a, httpx.Response) else type(a).__name__ for a in answers)
    if set(outcomes) - {"401", "503", "ReadError", "WriteError", "RemoteProtocolError"}:
        raise RuntimeError(f"the bot answered a burst of unsigned bodies with {dict(outcomes)}")
    return dict(outcomes)


def measure(servers: Servers, *, megabytes: int = BODY_MEGABYTES, burst: int = BURST_REQUESTS) -> BodyRun:
    servers.set_latency(0.0)
    body = b"x" * (megabytes * MEGABYTE)
    with running_bot(servers) as bot, httpx.Client(timeout=60) as client:
        fresh = bot.peak_rss_mb()
        declared = _post(client, bot.events_url, body, 413)
        chunked = _post(client, bot.events_url, _chunks(megabytes), 413)
        peak = bot.peak_rss_mb()
        unsigned = _post(client, bot.events_url, FREEZE_BODY, 401)
        started = time.perf_counter()
        if client.get(f"{bot.url}/healthz").status_code != 200:
            raise RuntimeError("/healthz did not answer 200 after the hostile bodies")
        healthz = time.perf_counter() - started
        head = _endless_head(bot.url, megabytes)
        head_peak = bot.peak_rss_mb()
        outcomes = asyncio.run(_burst(bot.events_url, burst))
        burst_peak = bot.peak_rss_mb()
    return BodyRun(megabytes, fresh, peak, declared, chunked, unsigned, healthz, head, head_peak, burst_peak, outcomes)


def mb(value: float) -> str:
    return f"{value:.0f} MB"


def _outcomes(counts: dict[str, int]) -> str:
    """`163 × 503, 29 × ReadError, 8 × 401`: the most frequent first."""
    return ", ".join(f"{n} × {name}" for name, n in sorted(counts.items(), key=lambda item: -item[1]))


def rows(runs: Sequence[BodyRun]) -> list[Row]:
    peak, fresh = Spread.of([r.peak_rss_mb for r in runs]), Spread.of([r.fresh_rss_mb for r in runs])
    declared, chunked = Spread.of([r.declared for r in runs]), Spread.of([r.chunked for r in runs])
    unsigned, healthz = Spread.of([r.unsigned for r in runs]), Spread.of([r.healthz for r in runs])
    burst = Spread.of([r.burst_rss_mb for r in runs])
    head, head_peak = Spread.of([r.head for r in runs]), Spread.of([r.head_rss_mb for r in runs])
    return [
        Row(
            f"Peak RSS (VmHWM) of `python -m bot` refusing a {runs[0].megabytes} MB unsigned body, with a Content-Length "
            "and chunked (413 after)",
            f"{peak.show(mb)} (fresh bot {fresh.show(mb)}); 413 in {declared.show(ms)} / {chunked.show(ms)}",
            f"< {RSS_TARGET_MB:.0f} MB",
            f"{peak.median / RSS_TARGET_MB:.2f} × target",
            peak.median < RSS_TARGET_MB,
        ),
        Row(
            f"Peak RSS (VmHWM) after a {runs[0].megabytes} MB header that never ends (431 past 64 KB)",
            f"{head_peak.show(mb)}; connection closed after {head.show(ms)}",
            f"< {RSS_TARGET_MB:.0f} MB",
            f"{head_peak.median / RSS_TARGET_MB:.2f} × target",
            head_peak.median < RSS_TARGET_MB,
        ),
        Row(
            f"Peak RSS (VmHWM) after {sum(runs[0].burst.values())} unsigned 1 MiB bodies sent at once "
            f"(answers, first run: {_outcomes(runs[0].burst)})",
            burst.show(mb),
            f"< {RSS_TARGET_MB:.0f} MB",
            f"{burst.median / RSS_TARGET_MB:.2f} × target",
            burst.median < RSS_TARGET_MB,
        ),
        Row(
            "An unsigned 60 kB POST (a command whose text is one 60k-character word): its 401, then `/healthz`",
            f"{unsigned.show(ms)}; `/healthz` {healthz.show(ms)}",
            f"< {FREEZE_TARGET_SECONDS * 1000:.0f} ms",
            f"{unsigned.median / FREEZE_TARGET_SECONDS:.2f} × target",
            unsigned.median < FREEZE_TARGET_SECONDS,
        ),
    ]
