"""The store's digest claims on SQLite and PostgreSQL: a claim given back is due again, one
abandoned by a crashed process is taken over by exactly one claimant, a settled day never comes
back, and `digest now` takes one turn per channel per minute however many processes ask."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.store import Store
from bot.store.digests import STALE_CLAIM
from tests.store.test_store import race

DAY = date(2025, 1, 15)
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def due_channels(store: Store, now: datetime) -> list[str]:
    return [d.subscription.channel_id for d in await store.due_subscriptions(now)]


async def test_a_released_claim_is_due_again_and_only_its_claimant_can_release_it(store: Store) -> None:
    sub = await store.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    assert await store.claim_digest(sub.id, DAY, NOW)
    assert await due_channels(store, NOW) == []

    assert not await store.release_digest(sub.id, DAY, NOW - MINUTE), "not this caller's claim"
    assert await store.release_digest(sub.id, DAY, NOW)
    assert await due_channels(store, NOW) == ["C1"]
    assert await store.claim_digest(sub.id, DAY, NOW + MINUTE)
    assert await store.mark_digest_posted(sub.id, DAY, "1736942400.000100")
    assert not await store.release_digest(sub.id, DAY, NOW + MINUTE), "a posted digest stays posted"
    assert await due_channels(store, NOW + STALE_CLAIM * 10) == []


async def test_a_claim_abandoned_by_a_crashed_process_is_taken_over_by_exactly_one(
    store_pair: tuple[Store, Store],
) -> None:
    stores = store_pair
    sub = await stores[0].subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    crashed_at = NOW - STALE_CLAIM
    assert await stores[0].claim_digest(sub.id, DAY, crashed_at)
    assert await due_channels(stores[1], crashed_at + STALE_CLAIM - timedelta(seconds=1)) == []
    assert not await stores[1].claim_digest(sub.id, DAY, NOW - timedelta(seconds=1)), "still being posted"

    async def take_over(n: int) -> bool:
        return await stores[n % 2].claim_digest(sub.id, DAY, NOW)

    assert await due_channels(stores[1], NOW) == ["C1"]
    assert (await race(20, take_over)).count(True) == 1
    assert not await stores[0].release_digest(sub.id, DAY, crashed_at), "the crashed claim is not its to give back"
    assert await due_channels(stores[1], NOW) == []


async def test_a_settled_day_is_never_due_nor_claimed_again(store: Store) -> None:
    sub = await store.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    assert await store.claim_digest(sub.id, DAY, NOW)
    await store.settle_digest(sub.id, DAY, NOW)  # e.g. Slack said not_in_channel
    later = NOW + STALE_CLAIM * 3
    assert await due_channels(store, later) == []
    assert not await store.claim_digest(sub.id, DAY, later)
    assert not await store.release_digest(sub.id, DAY, NOW)

    await store.settle_digest(sub.id, DAY + timedelta(days=1), NOW)  # unclaimed: set up after its time
    assert not await store.claim_digest(sub.id, DAY + timedelta(days=1), later)


async def test_digest_now_takes_one_turn_per_channel_per_minute_across_processes(
    store_pair: tuple[Store, Store],
) -> None:
    stores = store_pair

    async def ask(n: int) -> datetime | None:
        return await stores[n % 2].claim_digest_now("T1", "C1", f"U{n}", NOW, MINUTE)

    answers = await race(20, ask)
    assert answers.count(None) == 1, answers
    assert {answer for answer in answers if answer is not None} == {NOW}  # the others are told when

    assert await stores[0].claim_digest_now("T1", "C2", "U1", NOW, MINUTE) is None  # each channel its own
    assert await stores[1].claim_digest_now("T1", "C1", "U1", NOW + MINUTE - timedelta(seconds=1), MINUTE) == NOW
    assert await stores[1].claim_digest_now("T1", "C1", "U1", NOW + MINUTE, MINUTE) is None

    await stores[0].release_digest_now("T1", "C1", NOW + MINUTE)  # that one posted nothing
    assert await stores[0].claim_digest_now("T1", "C1", "U1", NOW + MINUTE, MINUTE) is None
    assert await stores[0].subscriptions() == [], "holding the turn sets up no digest"


async def test_digest_now_turns_leave_a_channels_daily_digest_alone(store: Store) -> None:
    sub = await store.subscribe("T1", "C1", "09:00", "UTC", ["mob"], "U1", NOW)
    assert await store.claim_digest_now("T1", "C1", "U2", NOW, MINUTE) is None
    assert await store.subscription("T1", "C1") == sub
    assert await due_channels(store, NOW) == ["C1"]

    await store.claim_digest_now("T1", "C2", "U2", NOW, MINUTE)  # no digest there yet
    later = await store.subscribe("T1", "C2", "10:00", "Europe/Paris", [], "U3", NOW)
    assert (later.time, later.timezone, later.created_by) == ("10:00", "Europe/Paris", "U3")
    assert [s.channel_id for s in await store.subscriptions()] == ["C1", "C2"]
