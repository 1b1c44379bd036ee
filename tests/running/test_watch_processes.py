"""Watch news exactly once with several processes: two runtimes (own Store, own tracker clients,
own Slack client) on one real PostgreSQL database run their watch rounds at the same time while
the watched issues change; every change is announced once per destination, in that destination's
one thread per item. A process that dies between advancing the watermark and posting leaves the
news to the next round, and a restarted process announces nothing twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack import TEAM_ID, SlackState
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import RoundSummary, run_round
from bot.running.app import web_client
from bot.runtime import Runtime, utc_now
from bot.services import watches
from bot.settings import Settings, load_settings
from bot.store import Store, WatchKind, WatchTarget
from bot.trackers.issuetrak import format_datetime
from bot.trackers.registry import build_trackers
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import FAST
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

ISSUES = (1001, 1002, 1003)
CHANNELS = tuple(f"C0WATCH{n}" for n in range(6))
LATENCY = 0.02  # seconds Issuetrak takes for every call: the two rounds overlap


def issue(number: int) -> WatchTarget:
    return WatchTarget(WatchKind.ISSUE, "issuetrak", str(number), f"issue {number}")


@pytest.fixture
def pg_settings(pg_url: str, issuetrak_server: IssuetrakServer, slack_url: str) -> Settings:
    return load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack_url}/api/",
        DATABASE_URL=pg_url,
        ISSUETRAK_URL=issuetrak_server.url,
        ISSUETRAK_API_KEY=issuetrak_server.state.api_key,
        OPEN_READS=True,
    )


class Processes:
    """Runtimes as separate processes would have them; `start()` one more (a restart)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = [utc_now()]
        self.running: list[tuple[Runtime, AsyncWebClient]] = []

    def start(self) -> tuple[Runtime, AsyncWebClient]:
        rt = Runtime(
            settings=self.settings,
            trackers=build_trackers(self.settings, options=FAST),
            store=Store(self.settings.DATABASE_URL),
            clock=lambda: self.clock[0],
        )
        self.running.append((rt, web_client(rt)))
        return self.running[-1]

    async def close(self) -> None:
        for rt, _ in self.running:
            await rt.aclose()
            await rt.store.aclose()


@pytest.fixture
async def processes(pg_settings: Settings) -> AsyncIterator[Processes]:
    made = Processes(pg_settings)
    yield made
    await made.close()


async def round_in(process: tuple[Runtime, AsyncWebClient]) -> RoundSummary:
    rt, client = process
    return await run_round(rt, client, pacer=Pacer(0))


def posted(slack: SlackState) -> Counter[tuple[str, str]]:
    """(channel, text) of every piece of news posted (the text names the item and the change)."""
    return Counter((m["channel"], m["text"]) for m in slack.of("chat.postMessage"))


async def test_two_processes_announce_each_change_once_and_a_restart_announces_nothing_again(
    processes: Processes, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    first, second = processes.start(), processes.start()
    store = first[0].store
    for channel in CHANNELS:
        for number in ISSUES:
            await store.add_watch(
                TEAM_ID, channel, issue(number), personal=False, by="U0ALICE", now=processes.clock[0], cap=50
            )
    issuetrak_server.state.faults.latency = LATENCY
    reads = issuetrak_server.requests_to

    both = await asyncio.gather(round_in(first), round_in(second))
    assert [r.posted for r in both] == [0, 0]  # the first poll of an item only records it
    # The watched issues are read by one search (the change feed), never one GET each, however
    # many channels watch them; of two processes in the same round, at most each reads once.
    assert all(not reads(f"issues/true/{number}") for number in ISSUES)
    assert 1 <= len(reads("issues/search")) <= 2

    statuses = ("Pending", "Waiting for vendor", "Open", "Closed")
    for status in statuses:
        for number in ISSUES:
            issuetrak_server.state.issues[number]["Status"] = status
        rounds = await asyncio.gather(round_in(first), round_in(second))
        assert sum(r.posted for r in rounds) == len(CHANNELS) * len(ISSUES)

    said = posted(slack_state)
    assert set(said.values()) == {1}, "every change announced once per channel"
    assert len(said) == len(statuses) * len(CHANNELS) * len(ISSUES)
    threads = {
        (w.destination, w.target.item_id): w.thread_ts for c in CHANNELS for w in await store.watches_at(TEAM_ID, c)
    }
    assert all(threads.values())
    replies = [m for m in slack_state.of("chat.postMessage") if m.get("thread_ts")]
    assert len(replies) == (len(statuses) - 1) * len(CHANNELS) * len(ISSUES)  # one parent per channel and item
    assert {m["thread_ts"] for m in replies} == set(threads.values())

    restarted = processes.start()
    again = await round_in(restarted)
    assert (again.items, again.posted) == (len(ISSUES), 0)
    assert posted(slack_state) == said


async def test_news_recorded_by_a_process_that_died_before_posting_is_posted_once_later(
    processes: Processes, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    dying = processes.start()
    rt = dying[0]
    await rt.store.add_watch(
        TEAM_ID, "C0WATCH0", issue(1001), personal=False, by="U0ALICE", now=processes.clock[0], cap=50
    )
    await watches.poll(rt)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    assert (await watches.poll(rt)).changed == 1  # the watermark moved on, then the process died

    restarted = processes.start()
    assert (await round_in(restarted)).posted == 1
    assert (await round_in(restarted)).posted == 0
    assert (await round_in(processes.start())).posted == 0
    assert len(slack_state.of("chat.postMessage")) == 1


async def test_a_claim_abandoned_by_a_dead_process_is_taken_over_after_it_went_stale(
    processes: Processes, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    dying, other = processes.start(), processes.start()
    store = dying[0].store
    await store.add_watch(
        TEAM_ID, "C0WATCH0", issue(1001), personal=False, by="U0ALICE", now=processes.clock[0], cap=50
    )
    await watches.poll(dying[0])
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    await watches.poll(dying[0])
    lease = dying[0].settings.CLAIM_LEASE_SECONDS
    [claimed] = await store.claim_news(processes.clock[0], 10, lease)  # claimed, then the process died
    assert (await round_in(other)).posted == 0  # held: nobody else posts it meanwhile

    processes.clock[0] += timedelta(seconds=lease + 1)
    assert (await round_in(other)).posted == 1
    assert not await store.news_posted(claimed.claim, claimed.news[0].id, "late")  # the dead claim is fenced
    assert len(slack_state.of("chat.postMessage")) == 1


async def test_three_processes_announce_each_new_issue_and_each_closure_once_per_subscribed_channel(
    processes: Processes, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    """Triage subscriptions on PostgreSQL: three processes run their rounds at once; each new
    matching issue is one card per channel, each closure one reply in its thread."""
    running = [processes.start() for _ in range(3)]
    store = running[0][0].store
    for channel in CHANNELS[:3]:
        await store.subscribe_triage(
            TEAM_ID,
            channel,
            scope="site",
            scope_name="all Issuetrak issues",
            filters={"priority": {"in": ["Urgent"], "out": []}},
            events=["new", "closed"],
            by="U0ALICE",
            now=processes.clock[0],
            cap=20,
        )
    issuetrak_server.state.faults.latency = LATENCY
    await asyncio.gather(*(round_in(p) for p in running))
    template = issuetrak_server.state.issues[1003]
    now_text = format_datetime(datetime.now(UTC) + timedelta(seconds=1))
    for number, priority in ((3001, 4), (3002, 4), (3003, 1)):
        issuetrak_server.state.issues[number] = {
            **template,
            "IssueNumber": number,
            "PriorityID": priority,
            "SubmittedDate": now_text,
        }
    for _ in range(2):
        await asyncio.gather(*(round_in(p) for p in running))
    cards = Counter((m["channel"], m["text"]) for m in slack_state.of("chat.postMessage") if not m.get("thread_ts"))
    assert set(cards.values()) == {1}, "each new issue once per channel"
    subject = "Replace <broken> Wacom tablet pen"
    assert sorted(cards) == sorted((c, f"Issue #{n}: {subject}") for c in CHANNELS[:3] for n in (3001, 3002))

    issuetrak_server.state.issues[3001].update(Status="Closed", ClosedDate=now_text)
    for _ in range(2):
        await asyncio.gather(*(round_in(p) for p in running))
    closures = [m for m in slack_state.of("chat.postMessage") if m.get("thread_ts")]
    assert sorted(m["channel"] for m in closures) == sorted(CHANNELS[:3])
    assert len(slack_state.of("chat.update")) == 3
