"""The change feed at scale (`python -m benchmarks.triage`): 10,000 watched Issuetrak issues, 50
triage subscriptions and 2,000 people with notifications on, Issuetrak at 100 ms a call, at most
10 calls in flight. One watch round with nothing changed, then one with 1% of the issues changed
(reassigned, so DMs are owed too): seconds and Issuetrak calls of each, beside the per-item round
the feed replaced (one GET per watched issue: its floor, ceil(N / C) x L).

Targets (issue 21): nothing changed <= 5 s; 1% changed <= 15 s and <= 300 calls."""

from __future__ import annotations

import asyncio
import math
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.issuetrak import IssuetrakState, _user
from bot.demo.issuetrak import create_app as issuetrak_app
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as slack_app
from bot.posting.digest_posting import Pacer
from bot.posting.watch_posting import RoundSummary, run_round
from bot.runtime import Runtime
from bot.services import watches
from bot.settings import load_settings
from bot.store import LinkHow, Store, WatchKind, WatchTarget
from bot.trackers.issuetrak import format_datetime
from bot.trackers.registry import build_trackers

ISSUES = 10_000
SUBSCRIPTIONS = 50
PEOPLE = 2_000
LATENCY = 0.1
CHANGED = 0.01


@dataclass(frozen=True)
class Measured:
    seconds: float
    calls: int
    posted: int


def _state() -> IssuetrakState:
    state = IssuetrakState()
    template = state.issues[1003]
    old = format_datetime(datetime.now(UTC) - timedelta(days=30))
    for n in range(PEOPLE):
        user = _user(f"u{n:04d}", "Person", f"{n:04d}", f"person{n:04d}@example.com")
        state.users[user["UserID"]] = user
    for number in range(20_001, 20_001 + ISSUES):
        owner = f"u{number % PEOPLE:04d}"
        state.issues[number] = {
            **template,
            "IssueNumber": number,
            "AssignedTo": owner,
            "NextActionTo": owner,
            "SubmittedBy": owner,
            "SubmittedDate": old,
        }
    return state


async def _setup(rt: Runtime, slack: SlackState) -> None:
    now = rt.clock()
    for n in range(PEOPLE):
        user = f"U{n:08d}"
        slack.add_user(user, f"Person {n:04d}", f"person{n:04d}@example.com")
        await rt.store.link_person(TEAM_ID, user, f"u{n:04d}", how=LinkHow.ADMIN, by="U0ADMIN", now=now)
    slack.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    for index, number in enumerate(range(20_001, 20_001 + ISSUES)):
        target = WatchTarget(WatchKind.ISSUE, "issuetrak", str(number), f"issue {number}")
        channel = f"C0W{index // watches.MAX_WATCHES:05d}"
        await rt.store.add_watch(
            TEAM_ID, channel, target, personal=False, by="U0ALICE", now=now, cap=watches.MAX_WATCHES
        )
    for n in range(SUBSCRIPTIONS):
        priority = ["High", "Urgent", "Normal", "Low"][n % 4]
        await rt.store.subscribe_triage(
            TEAM_ID,
            f"C0S{n:05d}",
            scope="site",
            scope_name="all Issuetrak issues",
            filters={"priority": {"in": [priority], "out": []}, "substatus": {"in": [], "out": ["In Progress"]}},
            events=["new", "closed", "assigned", "notes"],
            by="U0ALICE",
            now=now,
            cap=20,
        )


async def _round(rt: Runtime, client: AsyncWebClient, state: IssuetrakState, clock: list[datetime]) -> Measured:
    clock[0] += timedelta(minutes=1)
    before = len(state.received)
    started = time.perf_counter()
    done: RoundSummary = await run_round(rt, client, pacer=Pacer(0))
    return Measured(time.perf_counter() - started, len(state.received) - before, done.posted)


async def _measure(issuetrak_url: str, slack_url: str, state: IssuetrakState, slack: SlackState, folder: Path) -> None:
    settings = load_settings(
        _env_file=None,
        ISSUETRAK_URL=issuetrak_url,
        ISSUETRAK_API_KEY=state.api_key,
        DATABASE_URL=f"sqlite:///{folder / 'triage.db'}",
    )
    clock = [datetime.now(UTC)]
    rt = Runtime(
        settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL), clock=lambda: clock[0]
    )
    client = AsyncWebClient(token="xoxb-benchmark", base_url=f"{slack_url}/api/")
    try:
        await _setup(rt, slack)
        first = await _round(rt, client, state, clock)
        await _round(rt, client, state, clock)  # the first round with the cursor set
        state.faults.latency = LATENCY
        quiet = await _round(rt, client, state, clock)
        for number in range(20_001, 20_001 + ISSUES, int(1 / CHANGED)):
            other = f"u{(number + 7) % PEOPLE:04d}"
            state.issues[number].update(AssignedTo=other, NextActionTo=other)
        changed = await _round(rt, client, state, clock)
    finally:
        await rt.aclose()
        await rt.store.aclose()
    per_item = math.ceil(ISSUES / watches.POLL_CONCURRENCY) * LATENCY
    print(f"first round (records {ISSUES} issues, latency 0): {first.seconds:.2f} s, {first.calls} calls")
    print(f"nothing changed: {quiet.seconds:.2f} s, {quiet.calls} Issuetrak calls (target <= 5 s)")
    print(
        f"1% changed ({int(ISSUES * CHANGED)} issues reassigned): {changed.seconds:.2f} s, {changed.calls} Issuetrak "
        f"calls, {changed.posted} posts and DMs (target <= 15 s, <= 300 calls)"
    )
    print(f"the per-item round it replaced: {ISSUES} GETs, floor {per_item:.0f} s at C = {watches.POLL_CONCURRENCY}")


def main() -> int:
    state, slack = _state(), SlackState()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="trackerbot-triage-") as folder:
        issuetrak_url = stack.enter_context(serve_in_thread(issuetrak_app(state)))
        slack_url = stack.enter_context(serve_in_thread(slack_app(slack)))
        asyncio.run(_measure(f"{issuetrak_url}{state.prefix}", slack_url, state, slack, Path(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
