"""The change feed at scale (`python -m benchmarks.triage`): 10,000 watched Issuetrak issues, 50
triage subscriptions and 2,000 people with notifications on, Issuetrak at 100 ms a call, at most
10 calls in flight. One watch round with nothing changed, then one with 1% of the issues changed
(reassigned, so DMs are owed too): seconds, Issuetrak calls and the bot's CPU of each, beside the
per-item round the feed replaced (one GET per watched issue: its floor, ceil(N / C) x L).

The Issuetrak and Slack stand-ins run in a process of their own (`_stand_ins`, turned by a pipe):
the contract Issuetrak evaluates every search's filters over all 10,000 issues for each page it
serves, work a real Issuetrak does in its database, and in the bot's process that CPU (most of
the round's, once) would be counted as the bot's. It keeps each search's matches for the search's
later pages (`IssuetrakState.searches`, emptied when `reassign` changes issues), as a database
would not filter 10,000 rows again for each page of 100.

Targets (issue 21): nothing changed <= 5 s; 1% changed <= 15 s and <= 300 calls."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.issuetrak import IssuetrakState, _user
from bot.demo.issuetrak import create_app as issuetrak_app
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as slack_app
from bot.posting.digest_delivery import Pacer
from bot.posting.watch_posting import RoundSummary, run_round
from bot.runtime import Runtime
from bot.services import watches
from bot.settings import load_settings
from bot.store import IdentityLinkHow, Store, WatchKind, WatchTarget
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
    cpu: float  # the bot's process, seconds


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


async def _setup(rt: Runtime) -> None:
    now = rt.clock()
    for n in range(PEOPLE):
        await rt.store.link_person(TEAM_ID, f"U{n:08d}", f"u{n:04d}", how=IdentityLinkHow.ADMIN, by="U0ADMIN", now=now)
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


class _StandIns:
    """The bot's side of the stand-ins' process: their URLs, and the knobs turned through the pipe."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self.issuetrak_url, self.api_key, self.slack_url = pipe.recv()

    def ask(self, *command: object) -> int:
        self.pipe.send(command)
        answer: int = self.pipe.recv()
        return answer

    def calls(self) -> int:
        return self.ask("calls")


def _stand_ins(pipe: Connection) -> None:
    """The stand-ins' process: serve Issuetrak (`_state`) and Slack until told to stop; answer
    `calls` (Issuetrak requests so far), `latency <s>`, `reassign` (1% of the issues to others)
    and `add_users` (the Slack users of the people) through `pipe`."""
    state, slack = _state(), SlackState()
    state.searches = {}  # a search's later pages from its first page's matches (issues change only here)
    with serve_in_thread(issuetrak_app(state)) as issuetrak_url, serve_in_thread(slack_app(slack)) as slack_url:
        pipe.send((f"{issuetrak_url}{state.prefix}", state.api_key, slack_url))
        while (command := pipe.recv())[0] != "stop":
            match command:
                case ("calls",):
                    pipe.send(len(state.received))
                case ("latency", seconds):
                    state.faults.latency = float(seconds)
                    pipe.send(0)
                case ("reassign",):
                    changed = range(20_001, 20_001 + ISSUES, int(1 / CHANGED))
                    for number in changed:
                        other = f"u{(number + 7) % PEOPLE:04d}"
                        state.issues[number].update(AssignedTo=other, NextActionTo=other)
                    state.searches.clear()
                    pipe.send(len(changed))
                case ("add_users",):
                    for n in range(PEOPLE):
                        slack.add_user(f"U{n:08d}", f"Person {n:04d}", f"person{n:04d}@example.com")
                    slack.add_user("U0ALICE", "Alice Martin", "alice@example.com")
                    pipe.send(PEOPLE + 1)
        pipe.send(0)


async def _round(rt: Runtime, client: AsyncWebClient, servers: _StandIns, clock: list[datetime]) -> Measured:
    clock[0] += timedelta(minutes=1)
    before = servers.calls()
    started, cpu = time.perf_counter(), time.process_time()
    done: RoundSummary = await run_round(rt, client, pacer=Pacer(0))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Measured(seconds, servers.calls() - before, done.posted, cpu)


async def _measure(servers: _StandIns, folder: Path) -> None:
    settings = load_settings(
        _env_file=None,
        ISSUETRAK_URL=servers.issuetrak_url,
        ISSUETRAK_API_KEY=servers.api_key,
        DATABASE_URL=f"sqlite:///{folder / 'triage.db'}",
    )
    clock = [datetime.now(UTC)]
    rt = Runtime(
        settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL), clock=lambda: clock[0]
    )
    client = AsyncWebClient(token="xoxb-benchmark", base_url=f"{servers.slack_url}/api/")
    try:
        servers.ask("add_users")
        await _setup(rt)
        first = await _round(rt, client, servers, clock)
        await _round(rt, client, servers, clock)  # the first round with the cursor set
        servers.ask("latency", LATENCY)
        quiet = await _round(rt, client, servers, clock)
        reassigned = servers.ask("reassign")
        changed = await _round(rt, client, servers, clock)
    finally:
        await rt.aclose()
        await rt.store.aclose()
    per_item = math.ceil(ISSUES / watches.POLL_CONCURRENCY) * LATENCY
    print(
        f"first round (records {ISSUES} issues, latency 0): {first.seconds:.2f} s, {first.calls} calls, "
        f"bot CPU {first.cpu:.2f} s"
    )
    print(
        f"nothing changed: {quiet.seconds:.2f} s, {quiet.calls} Issuetrak calls, bot CPU {quiet.cpu:.2f} s "
        "(target <= 5 s)"
    )
    print(
        f"1% changed ({reassigned} issues reassigned): {changed.seconds:.2f} s, {changed.calls} Issuetrak calls, "
        f"{changed.posted} posts and DMs, bot CPU {changed.cpu:.2f} s (target <= 15 s, <= 300 calls)"
    )
    print(f"the per-item round it replaced: {ISSUES} GETs, floor {per_item:.0f} s at C = {watches.POLL_CONCURRENCY}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> int:
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_stand_ins, args=(theirs,), daemon=True)
    process.start()
    try:
        servers = _StandIns(ours)
        with tempfile.TemporaryDirectory(prefix="trackerbot-triage-") as folder:
            asyncio.run(_measure(servers, Path(folder)))
        servers.ask("stop")
    finally:
        process.join(timeout=15)
        if process.is_alive():
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
