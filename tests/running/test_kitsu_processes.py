"""Kitsu production subscriptions exactly once with several processes: three runtimes (own Store,
own tracker clients, own Slack client) on one real PostgreSQL database run their watch rounds at
the same time while the production's tasks change in the contract Kitsu; each change is told once
per subscribed channel, an asset's first change in the channel and its later ones in that
message's thread. The harness is the watch processes' (tests/running/test_watch_processes.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from bot.demo.kitsu import DEMO_EMAIL, DEMO_PASSWORD, _id
from bot.demo.slack import TEAM_ID, SlackState
from bot.settings import load_settings
from tests.fixtures.kitsu import KitsuServer
from tests.running.test_watch_processes import CHANNELS, LATENCY, Processes, round_in
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.slack.test_kitsu_subscriptions import set_status

MOONRISE = _id("project", "Moonrise")


@pytest.fixture
async def kitsu_processes(pg_url: str, kitsu_server: KitsuServer, slack_url: str) -> AsyncIterator[Processes]:
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack_url}/api/",
        DATABASE_URL=pg_url,
        KITSU_URL=kitsu_server.url,
        KITSU_EMAIL=DEMO_EMAIL,
        KITSU_PASSWORD=DEMO_PASSWORD,
    )
    made = Processes(settings)
    yield made
    await made.close()


async def test_three_processes_tell_each_change_once_per_channel_and_later_ones_in_its_thread(
    kitsu_processes: Processes, kitsu_server: KitsuServer, slack_state: SlackState
) -> None:
    running = [kitsu_processes.start() for _ in range(3)]
    store = running[0][0].store
    channels = CHANNELS[:3]
    for channel in channels:
        await store.subscribe_triage(
            TEAM_ID,
            channel,
            scope=f"production:{MOONRISE}",
            scope_name="Moonrise",
            filters={},
            events=["status"],
            by="U0ALICE",
            now=kitsu_processes.clock[0],
            cap=20,
        )
    state = kitsu_server.state
    state.faults.latency = LATENCY
    await asyncio.gather(*(round_in(p) for p in running))
    assert slack_state.of("chat.postMessage") == []  # the first round only hears

    set_status(state, "Luna", "Modeling", "wfa", by="alice@example.com")
    set_status(state, "Captain Orrin", "Modeling", "done", by="bruno@example.com")
    for _ in range(2):
        await asyncio.gather(*(round_in(p) for p in running))
    started = Counter((m["channel"], m["text"].split("*")[1]) for m in slack_state.of("chat.postMessage"))
    assert started == Counter({(c, name): 1 for c in channels for name in ("Luna", "Captain Orrin")})

    set_status(state, "Luna", "Modeling", "done", by="chen@example.com")
    for _ in range(2):
        await asyncio.gather(*(round_in(p) for p in running))
    replies = [m for m in slack_state.of("chat.postMessage") if m.get("thread_ts")]
    assert sorted(m["channel"] for m in replies) == sorted(channels), "one reply per channel"
    for channel in channels:
        [sub] = await store.subscriptions_at(TEAM_ID, channel)
        luna = await store.kitsu_thread_ts(sub.id, _id("asset", "Luna"))
        assert [m["thread_ts"] for m in replies if m["channel"] == channel] == [luna]
    assert len(slack_state.of("chat.postMessage")) == 3 * 3
