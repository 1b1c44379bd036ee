"""A scheduled digest whose post fails for a passing reason is posted by a later round the same
day; one Slack refuses for good is not tried again; one claimed by a process that died before
posting is taken over; and still no digest is ever posted twice."""

from __future__ import annotations

import asyncio
import operator
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from bot.demo.slack import DROP, TEAM_ID, SlackState
from bot.posting import digest_delivery
from bot.posting.digest_delivery import Pacer
from bot.running.app import web_client
from bot.runtime import Runtime
from bot.services import digest_rules
from bot.settings import Settings
from bot.store import Store
from tests.services.test_digest_rules import at, make_runtime, posts, until

NOW = at(10, 9)
STALE_CLAIM = timedelta(seconds=Settings.model_fields["CLAIM_LEASE_SECONDS"].default)  # the default lease
LEASE = STALE_CLAIM.total_seconds()


async def round_(runtime: Runtime) -> tuple[int, int]:
    done = await digest_delivery.post_due(runtime, web_client(runtime), pacer=Pacer(0))
    return done.posted, done.failed


@pytest.fixture
async def daily(sqlite_store: Store, slack_url: str) -> Runtime:
    """A runtime whose clock stands at 09:00 UTC on a day C0DAILY's 08:00 digest is due."""
    runtime = make_runtime(sqlite_store, [NOW], slack_url)
    await sqlite_store.subscribe(TEAM_ID, "C0DAILY", "08:00", "UTC", [], "U0ALICE", at(10, 7))
    return runtime


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param([503], id="Slack 5xx"),
        pytest.param([429] * 4, id="rate limited after the client's 3 retries"),
        pytest.param([DROP], id="connection dropped mid-answer"),
        pytest.param(["internal_error"], id="Slack's own passing error"),
    ],
)
async def test_a_post_that_fails_for_a_passing_reason_is_posted_by_the_next_round(
    daily: Runtime, slack_state: SlackState, failure: list[Any]
) -> None:
    slack_state.failures["chat.postMessage"] = list(failure)

    assert await round_(daily) == (0, 1)
    assert slack_state.failures["chat.postMessage"] == [], "the client's own retries were used up first"
    assert posts(slack_state, "C0DAILY") == []
    daily.clock = lambda: NOW + timedelta(seconds=30)  # the scheduler's next round
    assert await round_(daily) == (1, 0)
    assert await round_(daily) == (0, 0)
    assert len(posts(slack_state, "C0DAILY")) == 1


async def test_a_post_that_cannot_reach_slack_at_all_is_posted_once_slack_is_back(
    sqlite_store: Store, slack_url: str, slack_state: SlackState
) -> None:
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"
    await sqlite_store.subscribe(TEAM_ID, "C0DAILY", "08:00", "UTC", [], "U0ALICE", at(10, 7))

    assert await round_(make_runtime(sqlite_store, [NOW], dead)) == (0, 1)
    assert await round_(make_runtime(sqlite_store, [NOW + timedelta(seconds=30)], slack_url)) == (1, 0)
    assert len(posts(slack_state, "C0DAILY")) == 1


@pytest.mark.parametrize("error", ["not_in_channel", "invalid_blocks"])
async def test_a_post_slack_refuses_for_good_is_not_tried_again_that_day(
    daily: Runtime, slack_state: SlackState, error: str
) -> None:
    slack_state.failures["chat.postMessage"] = [error]
    assert await round_(daily) == (0, 1)
    for later in (timedelta(seconds=30), STALE_CLAIM * 2, timedelta(hours=14)):
        daily.clock = partial(operator.add, NOW, later)
        assert await round_(daily) == (0, 0)
    daily.clock = lambda: NOW + timedelta(days=1)  # the next day is a new day
    assert await round_(daily) == (1, 0)


async def test_a_digest_claimed_by_a_process_that_died_before_posting_is_taken_over(
    daily: Runtime, slack_state: SlackState
) -> None:
    sub = await daily.store.subscription(TEAM_ID, "C0DAILY")
    assert sub is not None
    assert await daily.store.claim_digest(sub.id, NOW.date(), NOW, LEASE)  # ... and then the process died

    daily.clock = lambda: NOW + STALE_CLAIM - timedelta(seconds=1)
    assert await round_(daily) == (0, 0), "it may still be posting"
    daily.clock = lambda: NOW + STALE_CLAIM
    assert await round_(daily) == (1, 0)
    assert await round_(daily) == (0, 0)
    assert len(posts(slack_state, "C0DAILY")) == 1


async def test_a_round_stopped_while_building_gives_its_claim_back(
    sqlite_store: Store, issuetrak_server: Any, slack_url: str, slack_state: SlackState
) -> None:
    runtime = make_runtime(
        sqlite_store,
        [NOW],
        slack_url,
        ISSUETRAK_URL=issuetrak_server.url,
        ISSUETRAK_API_KEY=issuetrak_server.state.api_key,
    )
    await sqlite_store.subscribe(TEAM_ID, "C0DAILY", "08:00", "UTC", [], "U0ALICE", at(10, 7))
    issuetrak_server.state.faults.latency = 30.0
    try:
        stopped = asyncio.ensure_future(round_(runtime))
        await until(lambda: issuetrak_server.state.received)  # the digest is being built
        stopped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopped
        assert [d.subscription.channel_id for d in await sqlite_store.due_subscriptions(NOW)] == ["C0DAILY"]
    finally:
        await runtime.trackers.aclose()


async def test_two_processes_retrying_after_failures_post_each_digest_once(
    store_pair: tuple[Store, Store], slack_url: str, slack_state: SlackState
) -> None:
    """Two schedulers in their own threads and event loops, round after round, while Slack fails
    some of the posts and one claim was left by a process that died."""
    channels = [f"C0RETRY{n}" for n in range(6)]
    for channel in channels:
        await store_pair[0].subscribe(TEAM_ID, channel, "08:00", "UTC", [], "U0ALICE", at(10, 7))
    crashed = await store_pair[0].subscription(TEAM_ID, channels[0])
    assert crashed is not None and await store_pair[0].claim_digest(crashed.id, NOW.date(), NOW - STALE_CLAIM, LEASE)
    slack_state.failures["chat.postMessage"] = [503, "internal_error", DROP, 503]
    barrier = threading.Barrier(2)

    def process(n: int) -> list[tuple[int, int]]:
        async def run() -> list[tuple[int, int]]:
            runtime = make_runtime(store_pair[n], [NOW], slack_url)
            rounds = []
            for _ in range(4):
                barrier.wait(timeout=10)
                rounds.append(await round_(runtime))
            return rounds

        return asyncio.run(run())

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(2) as pool:
        rounds = await asyncio.gather(*(loop.run_in_executor(pool, process, n) for n in range(2)))

    assert [len(posts(slack_state, channel)) for channel in channels] == [1] * len(channels)
    assert sum(posted for each in rounds for posted, _ in each) == len(channels)
    assert sum(failed for each in rounds for _, failed in each) == 4
    assert await store_pair[1].due_subscriptions(NOW) == []


async def test_two_processes_asked_for_digest_now_at_once_post_it_once(
    store_pair: tuple[Store, Store], issuetrak_server: Any, slack_url: str, slack_state: SlackState
) -> None:
    barrier = threading.Barrier(2)
    issuetrak = {"ISSUETRAK_URL": issuetrak_server.url, "ISSUETRAK_API_KEY": issuetrak_server.state.api_key}

    def process(n: int) -> str:
        async def run() -> str:
            runtime = make_runtime(store_pair[n], [NOW], slack_url, **issuetrak)  # `digest now` needs a tracker
            barrier.wait(timeout=10)
            return await digest_delivery.post_now(
                runtime,
                web_client(runtime),
                team=TEAM_ID,
                channel="C0BUSY",
                user=f"U0ASKER{n}",
                scope=None,
                shown=digest_rules.every_issue,
                pacer=Pacer(0),
            )

        return asyncio.run(run())

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(2) as pool:
        answers = await asyncio.gather(*(loop.run_in_executor(pool, process, n) for n in range(2)))

    assert sorted(answers) == [
        "A digest was asked for in this channel less than a minute ago; ask again in 60 s.",
        "Posted the digest in this channel.",
    ]
    assert len(posts(slack_state, "C0BUSY")) == 1


async def test_scheduled_digests_posted_and_failed_are_counted(daily: Runtime, slack_state: SlackState) -> None:
    from prometheus_client import REGISTRY

    def counted() -> tuple[float, float]:
        labels = {"trigger": "scheduled"}
        return (
            REGISTRY.get_sample_value("trackerbot_digests_posted_total", labels) or 0.0,
            REGISTRY.get_sample_value("trackerbot_digests_failed_total", labels) or 0.0,
        )

    posted, failed = counted()
    slack_state.failures["chat.postMessage"] = [503]
    assert await round_(daily) == (0, 1)
    assert counted() == (posted, failed + 1)
    daily.clock = lambda: NOW + timedelta(seconds=30)
    assert await round_(daily) == (1, 0)
    assert counted() == (posted + 1, failed + 1)


async def test_a_digest_built_for_longer_than_its_lease_is_posted_once(
    store_pair: tuple[Store, Store], issuetrak_server: Any, slack_url: str, slack_state: SlackState
) -> None:
    """The reproduction of issue 18: two runtimes on one database and a moved clock. The first
    claims the digest and builds it slowly; its lease runs out (no heartbeat came: the clock
    jumped) and the second takes the day over and posts. The first, done building, learns right
    before posting that the day is not its own any more, and posts nothing."""
    issuetrak = {"ISSUETRAK_URL": issuetrak_server.url, "ISSUETRAK_API_KEY": issuetrak_server.state.api_key}
    clock = [NOW]
    slow, other = (make_runtime(store, clock, slack_url, **issuetrak) for store in store_pair)
    await store_pair[0].subscribe(TEAM_ID, "C0GENERAL", "08:00", "UTC", [], "U0ALICE", at(10, 7))
    issuetrak_server.state.faults.latency = 1.0
    try:
        building = asyncio.ensure_future(round_(slow))
        await until(lambda: issuetrak_server.state.received)  # the first is building the digest
        clock[0] += STALE_CLAIM + timedelta(seconds=1)
        issuetrak_server.state.faults.latency = 0.0
        assert await round_(other) == (1, 0)  # the second takes the day over
        assert await building == (0, 0)
        assert len(posts(slack_state, "C0GENERAL")) == 1
        assert await round_(slow) == (0, 0) and await round_(other) == (0, 0)
    finally:
        for runtime in (slow, other):
            await runtime.trackers.aclose()


async def test_a_build_slower_than_the_lease_keeps_its_claim_by_renewing_it(
    store_pair: tuple[Store, Store], issuetrak_server: Any, slack_url: str, slack_state: SlackState
) -> None:
    """Real time and a lease of 2 s: the digest takes longer than that to build, and its claim's
    heartbeat keeps the day its own, so the other process, asking all along, never takes it over."""
    issuetrak = {
        "ISSUETRAK_URL": issuetrak_server.url,
        "ISSUETRAK_API_KEY": issuetrak_server.state.api_key,
        "CLAIM_LEASE_SECONDS": "2",
    }
    slow, other = (make_runtime(store, [NOW], slack_url, **issuetrak) for store in store_pair)
    for runtime in (slow, other):
        runtime.clock = lambda: datetime.now(UTC)
    await store_pair[0].subscribe(TEAM_ID, "C0GENERAL", "00:00", "UTC", [], "U0ALICE", at(10, 7))
    issuetrak_server.state.faults.latency = 3.0  # each read of the build outlasts the lease
    try:
        building = asyncio.ensure_future(round_(slow))
        await until(lambda: issuetrak_server.state.received)
        claimed, last_asked = time.monotonic(), 0.0  # the claim came right before the first read
        while not building.done():
            assert await round_(other) == (0, 0)
            last_asked = time.monotonic()
            await asyncio.sleep(0.2)
        assert await building == (1, 0)
        assert last_asked - claimed > 2 + 0.5, "the other asked after the first lease would have run out"
        assert len(posts(slack_state, "C0GENERAL")) == 1
    finally:
        for runtime in (slow, other):
            await runtime.trackers.aclose()
