"""The vendor-sample baseline: 200 Issuetrak issue reads done the way the Python sample in
Issuetrak's "API Samples Overview" (docs/trackers.md) does them (a fresh `ApiAuthorization` and a new `http.client` connection per call, one call after
another) against the bot's pooled `IssuetrakClient`, one by one and side by side (bounded by C),
with the tracker answering at once, and again with the tracker taking 20 ms a call.

Two differences from the sample, both needed on loopback: the request target is the path (the
sample sends the absolute URL, which IIS accepts and uvicorn does not route), and the connection
is closed after each read (the sample leaves it to the garbage collector).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import http.client
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha512
from urllib.parse import urlparse
from uuid import uuid4

from benchmarks.report import Row, Spread, ms, secs, times
from benchmarks.servers import Servers
from bot.trackers.issuetrak import IssuetrakClient

READS = 200
SLOW_LATENCY_SECONDS = 0.02
ISSUES = range(1001, 1013)  # the demo site's issues


class SampleApiAuthorization:
    """Seed 001's `ApiAuthorization`, in Python 3."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def _hash(self, message: str) -> str:
        digest = hmac.new(str(self._api_key).encode("UTF-8"), str(message).encode("UTF-8"), sha512).digest()
        return base64.b64encode(digest).decode("UTF-8")

    def perform_api_call(self, verb: str, endpoint_url: str, query: str = "", body: str = "") -> bytes:
        parts = urlparse(endpoint_url)
        path = parts.path.lower()
        request_id = str(uuid4()).lower()
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        signed = self._hash("\n".join([verb, request_id, timestamp, path, query, body]))
        connection = http.client.HTTPConnection(parts.netloc.lower())
        try:
            connection.request(
                verb,
                parts.path,
                body,
                {
                    "X-IssueTrak-API-Request-ID": request_id,
                    "X-IssueTrak-API-Timestamp": timestamp,
                    "X-IssueTrak-API-Authorization": signed,
                    "content-type": "application/json",
                },
            )
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError(f"Issuetrak answered {response.status} to the sample's call")
            return response.read()
        finally:
            connection.close()


def sample_reads(site_url: str, api_key: str, reads: int) -> float:
    """Seconds for `reads` issue reads, the sample's way (`performGet` per call)."""
    started = time.perf_counter()
    for i in range(reads):
        json.loads(
            SampleApiAuthorization(api_key)
            .perform_api_call("GET", f"{site_url}/issues/false/{ISSUES[i % len(ISSUES)]}")
            .decode()
        )
    return time.perf_counter() - started


@dataclass(frozen=True)
class VendorRun:
    sample: float  # seconds for all reads, tracker at 0 ms
    pooled_sequential: float
    pooled_concurrent: float
    slow_sample: float  # tracker at SLOW_LATENCY_SECONDS
    slow_pooled_concurrent: float
    bound: int


async def _pooled(servers: Servers, reads: int, *, side_by_side: bool) -> tuple[float, int]:
    """Seconds for the reads with a warm pooled client, and the client's bound C."""
    client = IssuetrakClient(servers.urls["issuetrak"], servers.secrets["issuetrak_key"])
    issues = [ISSUES[i % len(ISSUES)] for i in range(reads)]
    try:
        await client.get_issue(ISSUES[0])  # connection and lookups, before the clock
        started = time.perf_counter()
        if side_by_side:
            await asyncio.gather(*(client.get_issue(number) for number in issues))
        else:
            for number in issues:
                await client.get_issue(number)
        return time.perf_counter() - started, client.http.options.max_in_flight
    finally:
        await client.aclose()


def measure(servers: Servers, *, reads: int = READS) -> VendorRun:
    url, key = servers.urls["issuetrak"], servers.secrets["issuetrak_key"]
    servers.set_latency(0.0)
    sample = sample_reads(url, key, reads)
    sequential, _ = asyncio.run(_pooled(servers, reads, side_by_side=False))
    concurrent, bound = asyncio.run(_pooled(servers, reads, side_by_side=True))
    servers.set_latency(SLOW_LATENCY_SECONDS)
    slow_sample = sample_reads(url, key, reads)
    slow_concurrent, _ = asyncio.run(_pooled(servers, reads, side_by_side=True))
    return VendorRun(sample, sequential, concurrent, slow_sample, slow_concurrent, bound)


def rows(runs: Sequence[VendorRun], *, reads: int = READS) -> list[Row]:
    bound = runs[0].bound

    def took(name: str) -> str:
        return Spread.of([getattr(r, name) for r in runs]).show(secs)

    def ratio(sample: str, pooled: str) -> str:
        return Spread.of([getattr(r, sample) / getattr(r, pooled) for r in runs]).show(times)

    per_read = Spread.of([r.sample / reads for r in runs])
    return [
        Row(
            f"Vendor-sample baseline, {reads} Issuetrak reads, tracker at 0 ms: the vendor sample's way (new connection "
            f"and signer per call; {per_read.show(ms)} a read) / bot's pooled client one by one / side by side "
            f"(C = {bound})",
            f"{took('sample')} / {took('pooled_sequential')} / {took('pooled_concurrent')}",
            "—",
            f"sample ÷ pooled: {ratio('sample', 'pooled_sequential')} one by one, "
            f"{ratio('sample', 'pooled_concurrent')} side by side",
            None,
        ),
        Row(
            f"The same with the tracker taking {SLOW_LATENCY_SECONDS * 1000:.0f} ms: the vendor sample's way / "
            f"bot's pooled client side by side (C = {bound})",
            f"{took('slow_sample')} / {took('slow_pooled_concurrent')}",
            "—",
            f"sample ÷ pooled: {ratio('slow_sample', 'slow_pooled_concurrent')}",
            None,
        ),
    ]
