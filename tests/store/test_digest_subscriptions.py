"""The store's digest claims on SQLite and PostgreSQL: a claim given back is due again, one
abandoned by a crashed process is taken over by exactly one claimant (a new generation, which
fences the old one out), one renewed stays its holder's, a settled day never comes back, and
`digest now` takes one turn per channel per minute however many processes ask."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.store import Claim, Store
from bot.store.digest_subscriptions import SETTLED
from tests.store.test_store import race

DAY = date(2025, 1, 15)
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LEASE = 600.0
STALE = timedelta(seconds=LEASE)


async def due_channels(store: Store, now: datetime) -> list[str]:
    return [d.subscription.channel_id for d in await store.due_subscriptions(now)]


async def test_a_claim_given_back_is_due_again_and_only_its_holder_can_give_it_back(store: Store) -> None:
    sub = await store.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    claim = await store.claim_digest(sub.id, DAY, NOW, LEASE)
    assert claim is not None and claim.generation == 1 and claim.owner == store.owner
    assert await due_channels(store, NOW) == []

    assert not await store.give_back(replace(claim, generation=0)), "not this caller's claim"
    assert await store.give_back(claim)
    assert await due_channels(store, NOW) == ["C1"]
    again = await store.claim_digest(sub.id, DAY, NOW + MINUTE, LEASE)
    assert again is not None and again.generation == 2  # a new generation, never an old one back
    assert not await store.mark_digest_posted(claim, "late"), "the claim given back is not current"
    assert await store.mark_digest_posted(again, "1736942400.000100")
    assert not await store.give_back(again), "a posted digest stays posted"
    assert await due_channels(store, NOW + STALE * 10) == []


async def test_a_claim_abandoned_by_a_crashed_process_is_taken_over_by_exactly_one(
    store_pair: tuple[Store, Store],
) -> None:
    stores = store_pair
    sub = await stores[0].subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    crashed_at = NOW - STALE
    crashed = await stores[0].claim_digest(sub.id, DAY, crashed_at, LEASE)
    assert crashed is not None
    assert await due_channels(stores[1], crashed_at + STALE - timedelta(seconds=1)) == []
    assert await stores[1].claim_digest(sub.id, DAY, NOW - timedelta(seconds=1), LEASE) is None, "still held"

    async def take_over(n: int) -> Claim | None:
        return await stores[n % 2].claim_digest(sub.id, DAY, NOW, LEASE)

    assert await due_channels(stores[1], NOW) == ["C1"]
    taken = [claim for claim in await race(20, take_over) if claim is not None]
    assert [claim.generation for claim in taken] == [crashed.generation + 1]
    assert not await stores[0].give_back(crashed), "the crashed claim is not its to give back"
    assert await stores[0].renew(crashed, NOW, LEASE) is None, "nor to renew"
    assert not await stores[0].mark_digest_posted(crashed, "late"), "nor to mark posted"
    assert await due_channels(stores[1], NOW) == []


async def test_a_holder_that_renews_keeps_the_day_past_its_first_lease(store_pair: tuple[Store, Store]) -> None:
    first, second = store_pair
    sub = await first.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    claim = await first.claim_digest(sub.id, DAY, NOW, LEASE)
    assert claim is not None
    renewed = await first.renew(claim, NOW + STALE - MINUTE, LEASE)  # a heartbeat while it builds
    assert renewed is not None and renewed.until == NOW + 2 * STALE - MINUTE
    assert await second.claim_digest(sub.id, DAY, NOW + STALE + MINUTE, LEASE) is None
    assert await due_channels(second, NOW + STALE + MINUTE) == []
    assert await first.mark_digest_posted(claim, "1.1")  # the generation fences, not the lease end


async def test_a_settled_day_is_never_due_nor_claimed_again(store: Store) -> None:
    sub = await store.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    claim = await store.claim_digest(sub.id, DAY, NOW, LEASE)
    assert claim is not None
    assert await store.mark_digest_posted(claim, SETTLED)  # e.g. Slack said not_in_channel
    later = NOW + STALE * 3
    assert await due_channels(store, later) == []
    assert await store.claim_digest(sub.id, DAY, later, LEASE) is None
    assert not await store.give_back(claim)

    await store.settle_digest(sub.id, DAY + timedelta(days=1), NOW)  # unclaimed: set up after its time
    assert await store.claim_digest(sub.id, DAY + timedelta(days=1), later, LEASE) is None


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
