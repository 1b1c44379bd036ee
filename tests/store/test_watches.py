"""The watch part of the store on SQLite and PostgreSQL: the version-3 upgrade, watches (one per
destination and item, a cap per destination that holds across processes), the watermark's
compare-and-swap, and the claims that post each piece of news once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store, WatchAdded, WatchEnd, WatchKind, WatchTarget
from bot.store.engine import open_engine
from bot.store.migrations import UPGRADES, migrate
from tests.store.test_store import LATEST, assert_shaped_like_fresh, race, v1_database, versions

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
ISSUE = WatchTarget(WatchKind.ISSUE, "issuetrak", "1001", "Printer jams")
LEASE = 600.0
STALE = timedelta(seconds=LEASE)
PROJECT = WatchTarget(WatchKind.PROJECT, "kitsu", "a1b2", "Moonrise", "MR", "https://kitsu.example/p/a1b2")


def v2_database(url: str) -> None:
    """A database as trackerbot left it at schema version 2 (before watches)."""
    v1_database(url, [("T1", "U1", "amartin")])
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            assert migrate(conn, UPGRADES[:1]) == 2
    finally:
        engine.dispose()


def test_a_version_2_database_is_upgraded_to_the_shape_of_a_new_one(store_url: str, tmp_path: Path) -> None:
    v2_database(store_url)
    assert versions(store_url) == [1, 2]
    upgraded = Store(store_url)
    assert upgraded.schema_version == LATEST and versions(store_url) == list(range(1, LATEST + 1))

    async def check() -> None:
        link = await upgraded.identity_link("T1", "U1")
        assert link is not None and link.issuetrak_user_id == "amartin"  # kept
        added, watch = await upgraded.add_watch("T1", "C1", ISSUE, personal=False, by="U1", now=NOW, cap=5)
        assert added is WatchAdded.ADDED and watch is not None
        [item] = await upgraded.watched_items()
        assert await upgraded.advance(item.target.item_key, item.version, {"status": "Open"}, NOW)
        await upgraded.aclose()

    asyncio.run(check())
    assert_shaped_like_fresh(store_url, tmp_path)


async def test_one_watch_per_destination_and_item_and_a_cap_per_destination(store: Store) -> None:
    added, first = await store.add_watch("T1", "C1", ISSUE, personal=False, by="U1", now=NOW, cap=2)
    assert added is WatchAdded.ADDED and first is not None
    again, same = await store.add_watch("T1", "C1", ISSUE, personal=False, by="U2", now=NOW, cap=2)
    assert again is WatchAdded.ALREADY and same == first
    assert (await store.add_watch("T1", "C2", ISSUE, personal=False, by="U2", now=NOW, cap=2))[0] is WatchAdded.ADDED
    assert (await store.add_watch("T1", "C1", PROJECT, personal=False, by="U1", now=NOW, cap=2))[0] is WatchAdded.ADDED
    other = WatchTarget(WatchKind.ISSUE, "issuetrak", "1002", "Scanner")
    assert (await store.add_watch("T1", "C1", other, personal=False, by="U1", now=NOW, cap=2)) == (
        WatchAdded.FULL,
        None,
    )
    assert [w.target for w in await store.watches_at("T1", "C1")] == [ISSUE, PROJECT]
    assert [i.target.item_key for i in await store.watched_items()] == ["issue:1001", "project:kitsu:a1b2"]

    assert await store.end_watch(first.id, WatchEnd.UNWATCHED, NOW)
    assert not await store.end_watch(first.id, WatchEnd.UNWATCHED, NOW)  # once
    assert (await store.add_watch("T1", "C1", other, personal=False, by="U1", now=NOW, cap=2))[0] is WatchAdded.ADDED
    assert [w.created_by for w in await store.watches_by("T1", "U2")] == ["U2"]


async def test_the_cap_holds_when_many_processes_add_watches_at_once(store_pair: tuple[Store, Store]) -> None:
    targets = [WatchTarget(WatchKind.ISSUE, "issuetrak", str(n), f"issue {n}") for n in range(12)]

    async def add(n: int) -> WatchAdded:
        return (await store_pair[n % 2].add_watch("T1", "C1", targets[n], personal=False, by="U1", now=NOW, cap=5))[0]

    results = await race(len(targets), add)
    assert results.count(WatchAdded.ADDED) == 5 and results.count(WatchAdded.FULL) == 7
    assert len(await store_pair[0].watches_at("T1", "C1")) == 5


async def test_the_watermark_moves_on_once_per_version_and_news_is_recorded_with_it(
    store_pair: tuple[Store, Store],
) -> None:
    one, two = store_pair
    for channel in ("C1", "C2"):
        await one.add_watch("T1", channel, ISSUE, personal=False, by="U1", now=NOW, cap=5)
    [item] = await one.watched_items()
    assert item.snapshot is None and await one.advance("issue:1001", item.version, {"status": "Open"}, NOW)
    [item] = await two.watched_items()
    assert item.snapshot == {"status": "Open"}

    async def announce(n: int) -> bool:
        body = {"item": "issue", "changes": [["status", "Open", f"Closed by {n}"]]}
        return await store_pair[n % 2].advance("issue:1001", item.version, {"status": "Closed"}, NOW, news_body=body)

    won = await race(8, announce)
    assert won.count(True) == 1
    claims = await two.claim_news(NOW, 10, LEASE)
    assert sorted(c.watch.destination for c in claims) == ["C1", "C2"]
    assert all(len(c.news) == 1 for c in claims)
    assert await one.claim_news(NOW, 10, LEASE) == []  # held by the claims above


async def test_first_polls_are_recorded_together_each_by_its_own_compare_and_swap(
    store_pair: tuple[Store, Store],
) -> None:
    one, two = store_pair
    other = WatchTarget(WatchKind.ISSUE, "issuetrak", "1002", "VPN")
    for target in (ISSUE, other):
        await one.add_watch("T1", "C1", target, personal=False, by="U1", now=NOW, cap=5)
    read = {item.target.item_key: item for item in await one.watched_items()}
    assert await two.advance("issue:1002", read["issue:1002"].version, {"status": "Closed"}, NOW)  # another process
    first = [(key, item.version, {"status": "Open"}) for key, item in sorted(read.items())]
    assert await one.first_polls(first, NOW) == 1
    assert await one.first_polls(first, NOW) == 0  # once
    after = {item.target.item_key: item.snapshot for item in await two.watched_items()}
    assert after == {"issue:1001": {"status": "Open"}, "issue:1002": {"status": "Closed"}}
    assert await one.claim_news(NOW, 10, LEASE) == []  # a first poll announces nothing
    assert await one.first_polls([], NOW) == 0


async def test_a_watermark_goes_stale_once_nobody_watches_the_item(store: Store) -> None:
    _, watch = await store.add_watch("T1", "C1", ISSUE, personal=False, by="U1", now=NOW, cap=5)
    [item] = await store.watched_items()
    await store.advance("issue:1001", item.version, {"status": "Open"}, NOW)
    assert watch is not None and await store.end_watch(watch.id, WatchEnd.UNWATCHED, NOW)
    assert await store.watched_items() == []
    await store.add_watch("T1", "C2", ISSUE, personal=False, by="U1", now=NOW, cap=5)
    [again] = await store.watched_items()
    assert again.snapshot is None  # watched afresh: its first poll records it again, announcing nothing


async def test_an_item_gone_ends_its_watches_and_tells_each_once(store: Store) -> None:
    for channel in ("C1", "C2"):
        await store.add_watch("T1", channel, ISSUE, personal=False, by="U1", now=NOW, cap=5)
    [item] = await store.watched_items()
    assert await store.advance("issue:1001", item.version, None, NOW, news_body={"gone": "x"}, gone=True)
    assert not await store.advance("issue:1001", item.version, None, NOW, news_body={"gone": "x"}, gone=True)
    assert await store.watches_at("T1", "C1") == [] and await store.watched_items() == []
    claims = await store.claim_news(NOW, 10, LEASE)
    assert sorted(c.watch.destination for c in claims) == ["C1", "C2"]
    assert all(c.watch.ended_why is WatchEnd.GONE for c in claims)


async def test_news_claims_are_fenced_and_given_back(store: Store) -> None:
    _, watch = await store.add_watch("T1", "C1", ISSUE, personal=False, by="U1", now=NOW, cap=5)
    assert watch is not None
    [item] = await store.watched_items()
    for n in range(3):
        assert await store.advance("issue:1001", item.version + n, {"n": n}, NOW, news_body={"n": n})
    [claim] = await store.claim_news(NOW, 10, LEASE)
    assert [p.body["n"] for p in claim.news] == [0, 1, 2]  # a watch's news, whole and in order
    assert await store.news_posted(claim.claim, claim.news[0].id, "1.1")
    assert await store.set_thread(watch.id, "1.1", "C1") and not await store.set_thread(watch.id, "2.2", "C1")
    assert await store.give_back(claim.claim)
    [retaken] = await store.claim_news(NOW + timedelta(seconds=1), 10, LEASE)
    assert [p.body["n"] for p in retaken.news] == [1, 2] and retaken.watch.thread_ts == "1.1"
    assert retaken.claim.generation == claim.claim.generation + 1
    assert not await store.news_posted(claim.claim, retaken.news[0].id, "late")  # the old claim's generation
    later = NOW + STALE + timedelta(seconds=2)
    [taken_over] = await store.claim_news(later, 10, LEASE)
    assert not await store.give_back(retaken.claim)
    assert await store.renew(retaken.claim, later, LEASE) is None
    assert all(await asyncio.gather(*(store.news_posted(taken_over.claim, p.id, "3.3") for p in taken_over.news)))
    assert await store.pending_news() == 0
    assert await store.give_back(taken_over.claim)
    assert await store.claim_news(later, 10, LEASE) == []  # nothing left to claim


# --- owners: whose rights a channel's watch acts with ---------------------------------------------


async def test_a_paused_watch_is_not_polled_for_gets_no_news_and_is_resumed_by_its_new_owner(store: Store) -> None:
    _, mine = await store.add_watch("T1", "C1", ISSUE, personal=False, by="U1", now=NOW, cap=5)
    _, theirs = await store.add_watch("T1", "C2", ISSUE, personal=False, by="U2", now=NOW, cap=5)
    assert mine is not None and theirs is not None and mine.owner == "U1"
    assert [w.id for w in await store.owned_watches()] == [mine.id, theirs.id]
    assert await store.pause_watches([mine.id], "U9", NOW) == []  # owned by someone else: left alone
    [paused] = await store.pause_watches([mine.id, theirs.id], "U1", NOW)
    assert paused.id == mine.id and paused.paused_at == NOW
    assert await store.pause_watches([mine.id], "U1", NOW) == []  # paused once
    assert [w.id for w in await store.owned_watches()] == [theirs.id]

    [item] = await store.watched_items()  # still followed, by C2's watch
    assert await store.advance(item.target.item_key, item.version, {"status": "Open"}, NOW, news_body={"n": 1})
    claims = await store.claim_news(NOW, 10, LEASE)
    assert [claim.watch.id for claim in claims] == [theirs.id]  # no news for the paused watch

    assert await store.resume_watch(mine.id, "U3") and not await store.resume_watch(mine.id, "U4")
    [resumed] = await store.watches_at("T1", "C1")
    assert (resumed.owner, resumed.paused_at, resumed.created_by) == ("U3", None, "U1")
    await store.pause_watches([theirs.id], "U2", NOW)
    assert [i.target.item_key for i in await store.watched_items()] == [ISSUE.item_key]  # by C1's, again
