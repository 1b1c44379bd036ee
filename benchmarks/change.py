"""Assign to me, from the click to the redrawn card, on `python -m bot` with Issuetrak at a fixed
latency: the Issuetrak round trips it costs (counted at the contract server: the read and the PUT
of the change, its note, the read-back the card is redrawn from) and the rest, the bot's own time.

The floor is those same four calls made one after the other by a bare `IssuetrakClient` in this
process, against the same server at the same latency (the latency and the server's own handling of
four signed requests); the bot's own time is the click's time minus that floor. Each click is on a
fresh copy of a demo issue (assigned to someone else), one at a time, after a warm-up that draws a
card (the users and lookups, cached a while) and makes one change (the channel's name).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from benchmarks import slack_load
from benchmarks.ack import wait_for
from benchmarks.process import running_bot
from benchmarks.report import Row, Spread, ms, percentile, secs
from benchmarks.servers import Servers
from bot.demo.slack import TEAM_ID
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.models import IssueField
from bot.views import ids
from bot.views.issue_actions import CardState

LATENCY_SECONDS = 0.2
CLICKS = 10
ROUND_TRIPS = 4  # GET issues/false/n and PUT issues; POST notes; GET issues/true/n
OWN_TIME_TARGET_SECONDS = 0.030


@dataclass(frozen=True)
class ChangeRun:
    seconds: list[float]  # click sent to the redrawn card at the Slack stand-in
    round_trips: list[int]  # Issuetrak requests each click cost
    cpu: float  # the bot's CPU seconds per click
    floor: list[float]  # the same four calls from a bare client


async def _bare(servers: Servers, numbers: list[int]) -> list[float]:
    """The four calls of a change, one after the other, from a bare client: seconds for each issue."""
    client = IssuetrakClient(servers.urls["issuetrak"], servers.secrets["issuetrak_key"])
    took = []
    try:
        for number in numbers:
            started = time.perf_counter()
            dto = await client.read_for_update(number)
            await client.update_issue({**dto, "AssignedTo": "amartin"})
            await client.add_note(number, "<p>Assignee: David Okafor → Alice Martin (from Slack)</p>", "amartin")
            await client.get_issue(number, include_notes=True)
            took.append(time.perf_counter() - started)
    finally:
        await client.aclose()
    return took


def _click(number: int, hook: str, response_base: str) -> slack_load.SignedRequest:
    """A click on the card's Assign to me, as Slack posts it (the card showed the issue assigned
    to dokafor, as the demo issue copies are)."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "demo"},
        "user": {"id": slack_load.USER, "team_id": TEAM_ID},
        "api_app_id": "A0TRACKER",
        "token": "legacy",
        "trigger_id": hook,
        "container": {"type": "message", "channel_id": slack_load.CHANNEL, "is_ephemeral": True},
        "channel": {"id": slack_load.CHANNEL, "name": "general"},
        "response_url": f"{response_base}/{hook}",
        "actions": [
            {
                "type": "button",
                "action_id": ids.CARD_ASSIGN_ME,
                "block_id": CardState(number, {IssueField.ASSIGNEE: "dokafor"}).encode("issue_card_buttons"),
                "value": str(number),
                "action_ts": "1700000000.000100",
            }
        ],
    }
    return slack_load.interaction(payload, hook)


def _one(servers: Servers, url: str, number: int, hook: str) -> tuple[float, int]:
    since, asked = servers.counters()["slack_calls"], servers.counters()["issuetrak_requests"]
    sent = asyncio.run(slack_load.send_all(url, [_click(number, hook, servers.response_url("").rstrip("/"))], 1))[0]
    card = wait_for(servers, "response_url", since, {hook}, "hook")[hook]
    if "Issue #" not in card["text"]:
        raise RuntimeError(f"the answer was not the redrawn card: {card['text']!r}")
    return card["at"] - sent.started, servers.counters()["issuetrak_requests"] - asked


def measure(servers: Servers, *, run: int, clicks: int = CLICKS) -> ChangeRun:
    response_base = servers.response_url("").rstrip("/")
    servers.set_latency(0.0)
    numbers = servers.add_issues(clicks + 1)
    bare = servers.add_issues(clicks + 1)
    asyncio.run(_bare(servers, bare[:1]))  # the users and lookups, as the bot's warm-up reads them
    servers.set_latency(LATENCY_SECONDS)
    floor = asyncio.run(_bare(servers, bare[1:]))
    servers.set_latency(0.0)
    with running_bot(servers) as bot:
        asyncio.run(
            slack_load.send_all(bot.events_url, [slack_load.command("issue 1001", f"c{run}-warm", response_base)], 1)
        )
        _one(servers, bot.events_url, numbers[0], f"c{run}-warm-click")
        servers.set_latency(LATENCY_SECONDS)
        try:
            cpu = bot.cpu_seconds()
            timed = [_one(servers, bot.events_url, n, f"c{run}-{i}") for i, n in enumerate(numbers[1:])]
            cpu = (bot.cpu_seconds() - cpu) / clicks
        finally:
            servers.set_latency(0.0)
    return ChangeRun([t for t, _ in timed], [r for _, r in timed], cpu, floor)


def rows(runs: list[ChangeRun]) -> list[Row]:
    trips = sorted({r for run in runs for r in run.round_trips})
    total = Spread.of([percentile(run.seconds, 0.5) for run in runs])
    floor = Spread.of([percentile(run.floor, 0.5) for run in runs])
    own = Spread.of([percentile(run.seconds, 0.5) - percentile(run.floor, 0.5) for run in runs])
    cpu = Spread.of([run.cpu for run in runs])
    return [
        Row(
            f"Assign to me: click to the redrawn card, Issuetrak {LATENCY_SECONDS * 1000:.0f} ms a call "
            f"(median of {len(runs[0].seconds)} per run)",
            f"{total.show(secs)} = {'/'.join(map(str, trips))} round trips ({floor.show(secs)} from a bare client) "
            f"+ {own.show(ms)}; bot CPU {cpu.show(ms)} a click",
            f"{ROUND_TRIPS} round trips (read + PUT, note, read-back) + < {OWN_TIME_TARGET_SECONDS * 1000:.0f} ms",
            f"{own.median / OWN_TIME_TARGET_SECONDS:.2f} × target",
            trips == [ROUND_TRIPS] and own.median < OWN_TIME_TARGET_SECONDS,
        )
    ]
