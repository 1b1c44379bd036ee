"""Stopping a serving process's background workers (SIGTERM, after the requests are answered):
the outbox run in progress claims no further row, finishes the one it is sending when that ends
within the bound, and otherwise gives that row back to the outbox, due at once for the others."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from bot import messages
from bot.running.app import web_client
from bot.running.workers import Workers
from bot.runtime import Runtime
from bot.store import OutboxKind, OutboxState
from tests.fixtures.issuetrak import IssuetrakServer
from tests.running.test_outbox_processes import ALICE, note_payload, tagged

KEYS = [f"note:stopping:{n}" for n in range(3)]
HOURLY: dict[str, Any] = {"outbox_seconds": 3600.0, "digest_seconds": 3600.0}  # one run, at start


async def _sending(rt: Runtime, key: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20  # a generous bound: the first run starts at once
    while loop.time() < deadline:
        row = await rt.store.get(key)
        if row is not None and row.state is OutboxState.SENDING:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{key} was never claimed")


async def _saved(rt: Runtime, clock: list[datetime]) -> None:
    for n, key in enumerate(KEYS):
        await rt.store.enqueue(key, OutboxKind.NOTE, note_payload(key, f"shelf {n} labelled"), ALICE, clock[0])


async def test_stopping_finishes_the_row_being_sent_and_claims_no_other(
    runtime: Runtime, issuetrak_server: IssuetrakServer, clock: list[datetime]
) -> None:
    await _saved(runtime, clock)
    issuetrak_server.state.faults.latency = 0.3
    workers = Workers(runtime, web_client(runtime), **HOURLY)
    workers.start()
    await _sending(runtime, KEYS[0])
    await workers.stop()

    rows = [await runtime.store.get(key) for key in KEYS]
    assert [(row.state, row.attempts) for row in rows if row is not None] == [
        (OutboxState.DELIVERED, 1),
        (OutboxState.PENDING, 0),
        (OutboxState.PENDING, 0),
    ]
    assert [tagged(issuetrak_server)(key) for key in KEYS] == [1, 0, 0]


async def test_a_send_outlasting_the_bound_is_cancelled_and_its_row_given_back(
    runtime: Runtime, issuetrak_server: IssuetrakServer, clock: list[datetime]
) -> None:
    await _saved(runtime, clock)
    issuetrak_server.state.faults.latency = 30.0  # far beyond the bound below
    workers = Workers(runtime, web_client(runtime), **HOURLY)
    workers.start()
    await _sending(runtime, KEYS[0])
    await workers.stop(timeout=0.2)

    row = await runtime.store.get(KEYS[0])
    assert row is not None
    assert (row.state, row.attempts, row.last_error) == (OutboxState.PENDING, 1, messages.WRITE_HANDED_OVER)
    assert row.next_attempt_at <= clock[0]  # due at once, for any process
    assert await runtime.store.claim(row.id, clock[0], 60) is not None  # and claimable now
