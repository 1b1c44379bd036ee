"""The outbox's two endings besides delivered and failed, on SQLite and PostgreSQL: refused (its
person may no longer write it; over for good) and cancelled (a correction from the same form
replaced it before it was sent; only resubmitting that write brings it back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import NotePayload, OutboxKind, OutboxState, Requester, Store

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
ALICE = Requester(team_id="T1", user_id="U1", channel_id="C_1")


def note(issue: int) -> NotePayload:
    return NotePayload(issue=issue, html=f"<p>for {issue}</p>")


async def test_a_refused_row_is_over_for_good(store: Store) -> None:
    item, _ = await store.enqueue("note:refused", OutboxKind.NOTE, note(1), ALICE, NOW)
    claimed = await store.claim(item.id, NOW, lease_seconds=60)
    assert claimed is not None
    assert await store.mark_refused(claimed, "Guest accounts cannot use trackerbot in this workspace.")
    assert not await store.mark_refused(claimed, "twice")  # fenced: only while sending under the claim
    later = NOW + timedelta(hours=2)
    assert not await store.retry(item.id, later)
    assert not await store.resubmit(item.id, note(2), later)
    assert await store.claim(item.id, later, 60) is None and await store.claim_due(later, 10, 60) == []
    row = await store.get(item.id)
    assert row is not None and (row.state, row.last_error, row.payload) == (
        OutboxState.REFUSED,
        "Guest accounts cannot use trackerbot in this workspace.",
        note(1),
    )
    assert await store.backlog() == (0, None)


async def test_a_correction_cancels_only_its_forms_unsent_writes(store: Store) -> None:
    """Keys are `note:<channel>:<ts>:<issue>:<user>[:<click>]`; LIKE's `_` and `%` in them are
    matched literally, the issue part must be a number, and a write that may have been sent, is
    being sent or was delivered is reported, not cancelled."""
    prefix, suffix = "note:C_1:1.2:", ":U1"
    keys = {
        "waiting": f"{prefix}1001{suffix}",
        "failed": f"{prefix}1002{suffix}",
        "maybe sent": f"{prefix}1003{suffix}",
        "delivered": f"{prefix}1004{suffix}",
        "another form (a card click)": f"{prefix}1005{suffix}:trigger",
        "another channel": "note:CX1:1.2:1006:U1",
        "not a number": f"{prefix}10%7{suffix}",
        "the correction": f"{prefix}1008{suffix}",
    }
    ids: dict[str, int] = {}
    for name, key in keys.items():
        item, _ = await store.enqueue(key, OutboxKind.NOTE, note(len(ids) + 1001), ALICE, NOW)
        ids[name] = item.id
    for name in ("failed", "maybe sent", "delivered"):
        claimed = await store.claim(ids[name], NOW, 60)
        assert claimed is not None
        if name == "failed":
            assert await store.mark_failed(claimed, "Issuetrak refused it.")
        elif name == "maybe sent":
            assert await store.start_sending(claimed, NOW, within_seconds=10)
            assert await store.mark_retry(claimed, "no answer", NOW + timedelta(minutes=1))
        else:
            assert await store.mark_delivered(claimed, {"note": 5, "issue": 1004}, NOW)

    found = await store.cancel_replaced(prefix, suffix, keep=keys["the correction"])
    assert [(item.key, item.state) for item in found] == [
        (keys["waiting"], OutboxState.CANCELLED),
        (keys["failed"], OutboxState.CANCELLED),
        (keys["maybe sent"], OutboxState.PENDING),
        (keys["delivered"], OutboxState.DELIVERED),
    ]
    assert await store.cancel_replaced(prefix, suffix, keep=keys["the correction"]) == found[2:]  # told once
    later = NOW + timedelta(hours=1)
    assert not await store.retry(ids["failed"], later)  # Try again cannot send what was replaced
    assert [item.key for item in await store.claim_due(later, 10, 60)] == [
        keys["another form (a card click)"],
        keys["another channel"],
        keys["not a number"],
        keys["the correction"],
        keys["maybe sent"],  # due last: it waited out a backoff
    ]
    assert await store.resubmit(ids["waiting"], note(1001), later)  # the first number typed again
    row = await store.get(ids["waiting"])
    assert row is not None and (row.state, row.attempts) == (OutboxState.PENDING, 0)
