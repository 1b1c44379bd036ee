"""Token mints for 500 concurrent calls: on a cold cache, and again once the cached token's life
has run out. ProjectrakClient against the Projectrak contract server, which counts its mints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.report import Row, Spread
from benchmarks.servers import DEFAULT_TOKEN_SECONDS, Servers
from bot.trackers.projectrak import ProjectrakClient

CALLS = 500
LATENCY_SECONDS = 0.01  # a mint that takes a while, so the 500 callers really overlap it
TOKEN_SECONDS = 6.0  # the server's token life for this measurement ...
TOKEN_MARGIN = 2.0  # ... less the client's margin: 4 s, well over the ~1 s the 500 calls take
EXPIRY_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class MintRun:
    cold: int
    after_expiry: int


async def _calls(client: ProjectrakClient, keys: Sequence[str], calls: int) -> None:
    await asyncio.gather(*(client.get_project(keys[i % len(keys)]) for i in range(calls)))


async def _measure(servers: Servers, calls: int) -> MintRun:
    client = ProjectrakClient(
        servers.urls["projectrak"],
        servers.secrets["projectrak_key_id"],
        servers.secrets["projectrak_key"],
        token_margin=TOKEN_MARGIN,
    )
    try:
        before = servers.counters()["projectrak_mints"]
        await _calls(client, ("WEB", "MOB", "OPS", "DATA"), calls)
        cold = servers.counters()["projectrak_mints"] - before
        deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
        while client.tokens.peek() is not None:  # the cached token's life runs out
            if time.monotonic() > deadline:
                raise RuntimeError("the cached Projectrak token did not expire")
            await asyncio.sleep(0.05)
        before = servers.counters()["projectrak_mints"]
        await _calls(client, ("WEB", "MOB", "OPS", "DATA"), calls)
        return MintRun(cold, servers.counters()["projectrak_mints"] - before)
    finally:
        await client.aclose()


def measure(servers: Servers, *, calls: int = CALLS) -> MintRun:
    servers.set_latency(LATENCY_SECONDS)
    servers.set_token_seconds(TOKEN_SECONDS)
    try:
        return asyncio.run(_measure(servers, calls))
    finally:
        servers.set_token_seconds(DEFAULT_TOKEN_SECONDS)


def rows(runs: Sequence[MintRun], *, calls: int = CALLS) -> list[Row]:
    def row(label: str, values: list[int]) -> Row:
        spread = Spread.of(values)
        return Row(
            f"Token mints, {calls} concurrent Projectrak calls, {label}",
            spread.show(lambda v: f"{v:.0f}"),
            "1",
            f"{spread.high:.0f} at worst",
            spread.high == 1,
        )

    return [
        row("cold cache", [r.cold for r in runs]),
        row("after the cached token expired", [r.after_expiry for r in runs]),
    ]
