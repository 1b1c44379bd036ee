"""Outbox payloads are typed at the store's edge: a write is a NotePayload or an IssuePayload,
stored as the same JSON as before, validated when read; a row written before the types (same
keys) still reads, and a row whose JSON does not read fails alone instead of stopping the queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot import messages
from bot.running.app import web_client
from bot.runtime import Runtime
from bot.services import writes
from bot.slack.directory import fresh_lookup
from bot.store import IssuePayload, NotePayload, OutboxKind, OutboxState, Requester, Store
from bot.store.schema import outbox
from tests.fixtures.issuetrak import IssuetrakServer

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
ALICE = Requester(team_id="T0001", user_id="U0ALICE", channel_id="C0GENERAL")


def _raw(store: Store, item_id: int) -> Any:
    with store._engine.begin() as conn:
        return conn.execute(select(outbox.c.payload).where(outbox.c.id == item_id)).scalar_one()


def _overwrite(store: Store, item_id: int, payload: Any) -> None:
    """What an older version (or a hand-edited row) left in the payload column."""
    with store._engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == item_id).values(payload=payload))


async def test_a_payload_is_stored_as_the_json_rows_always_held(store: Store) -> None:
    note = NotePayload(issue=1001, html="<p>jams</p>", private=True)
    item, _ = await store.enqueue("note:1", OutboxKind.NOTE, note, ALICE, NOW)
    assert _raw(store, item.id) == {"issue": 1001, "html": "<p>jams</p>", "private": True}
    assert item.payload == note and await store.get("note:1") == item


async def test_rows_written_before_the_types_still_read(store: Store) -> None:
    note, _ = await store.enqueue("note:old", OutboxKind.NOTE, NotePayload(issue=1, html=""), ALICE, NOW)
    issue, _ = await store.enqueue(
        "issue:old", OutboxKind.ISSUE, IssuePayload(subject="x", html="", type=1, priority=1), ALICE, NOW
    )
    _overwrite(
        store,
        note.id,
        {"issue": 1001, "html": "<p>a</p>", "private": False, "created_by": "amartin", "sent_at": NOW.isoformat()},
    )
    _overwrite(
        store,
        issue.id,
        {"subject": "Printer", "type": 3, "priority": 5, "html": "<p>b</p>", "created_by": None, "email": None},
    )
    old_note, old_issue = await store.get(note.id), await store.get(issue.id)
    # The Issuetrak user an older version stored with the write is not read: rights are decided
    # when the write goes out.
    assert old_note is not None and old_note.payload == NotePayload(
        issue=1001, html="<p>a</p>", private=False, sent_at=NOW
    )
    assert old_issue is not None and old_issue.payload == IssuePayload(
        subject="Printer", html="<p>b</p>", type=3, priority=5
    )


async def test_a_payload_of_the_other_kind_is_refused_and_nothing_is_recorded(store: Store) -> None:
    issue = IssuePayload(subject="Printer", html="", type=3, priority=5)
    with pytest.raises(ValueError, match="NotePayload"):
        await store.enqueue("k", OutboxKind.NOTE, issue, ALICE, NOW)
    assert await store.get("k") is None
    item, _ = await store.enqueue("k", OutboxKind.NOTE, NotePayload(issue=1, html=""), ALICE, NOW)
    with pytest.raises(ValueError, match="NotePayload"):
        await store.resubmit(item.id, issue, NOW)
    assert (await store.get(item.id)) == item


async def test_a_row_whose_payload_does_not_read_fails_alone(
    runtime: Runtime, issuetrak_server: IssuetrakServer
) -> None:
    """A broken row is claimed like any other (it does not block the queue), fails with the
    generic apology, and the note behind it is delivered."""
    now = runtime.clock()
    broken, _ = await runtime.store.enqueue("note:broken", OutboxKind.NOTE, NotePayload(issue=1, html=""), ALICE, now)
    good = NotePayload(issue=1001, html="<p>cabled</p>")
    await runtime.store.enqueue("note:fine", OutboxKind.NOTE, good, ALICE, now)
    _overwrite(runtime.store, broken.id, {"issue": "twelve", "html": 7})

    claimed = await runtime.store.claim_due(now, limit=10, lease_seconds=300)
    assert [(item.key, item.payload) for item in claimed] == [("note:broken", None), ("note:fine", good)]
    people = fresh_lookup(web_client(runtime))
    outcomes = [await writes.deliver(runtime, item, people) for item in claimed]
    assert [outcome.result if outcome else None for outcome in outcomes] == [
        writes.Result.FAILED,
        writes.Result.DELIVERED,
    ]
    failed = await runtime.store.get(broken.id)
    assert failed is not None and (failed.state, failed.last_error) == (OutboxState.FAILED, messages.UNEXPECTED)
    assert len(issuetrak_server.requests_to("notes")) == 1
