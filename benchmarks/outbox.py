"""How soon saved writes reach Issuetrak: `python -m benchmarks.outbox [--runs N]`.

In one process, as `python -m bot` serves: a runtime on an SQLite file with the real clock, its
`Workers` (the outbox worker every 5 s), the demo Issuetrak and a Slack stand-in on loopback.

- Flaky: Issuetrak answers 30% of requests with 503. 40 notes are submitted the way a person's
  request does it (recorded, then tried at once); the figure is the time from the first
  submission until the 40th note is on Issuetrak. Target: 40 of 40 within 90 s.
- Outage: Issuetrak answers only 503 while 10 notes are submitted and 10 minutes pass (the
  runtime's clock is moved through the backoffs, the outbox worker running at minutes 1, 2, 5
  and 10, so the notes wait 600 s more when it ends). Then it answers again; the figure is the time from
  then until the 10th note is on Issuetrak. Target: within 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.report import Spread, secs
from bot.demo.issuetrak import IssuetrakState, create_app
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import TEAM_ID, SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.running.app import web_client
from bot.running.workers import Workers, deliver_due
from bot.runtime import Runtime, utc_now
from bot.services import writes
from bot.settings import load_settings
from bot.slack.directory import SlackPerson
from bot.store import NotePayload, OutboxKind, Requester, Store
from bot.trackers.registry import build_trackers

FLAKY_NOTES, FLAKY_RATE, FLAKY_TARGET = 40, 0.3, 90.0
OUTAGE_NOTES, OUTAGE_MINUTES, OUTAGE_TARGET = 10, (1, 2, 5, 10), 15.0
GIVE_UP_SECONDS = 300.0
ALICE = SlackPerson(id="U0ALICE", name="Alice Martin", email="alice@example.com", tz="UTC")

log = logging.getLogger("benchmarks")


async def _alice(team: str, user: str) -> SlackPerson:
    """Who the benchmark's writes are sent as: Alice, as the Slack stand-in knows her."""
    return ALICE


@dataclass
class Bot:
    rt: Runtime
    issuetrak: IssuetrakState
    workers: Workers
    offset: list[timedelta]  # how far the runtime's clock is moved ahead of the real one

    async def submit(self, label: str, count: int) -> list[str]:
        """`count` notes on issue 1001, each as a person's request submits it; their keys."""
        keys = [f"bench:{label}:{n}" for n in range(count)]
        for key in keys:
            html = f"<p>{label} note</p><p><small>{writes.reference(key)}</small></p>"
            await writes.submit(
                self.rt,
                key=key,
                kind=OutboxKind.NOTE,
                person=ALICE,
                people=_alice,
                payload=NotePayload(issue=1001, html=html, private=False),
                requester=Requester(team_id=TEAM_ID, user_id=ALICE.id, channel_id="C0GENERAL"),
            )
        return keys

    async def all_posted(self, keys: list[str], since: float) -> float:
        """Seconds from `since` (time.monotonic) until every key's note is on Issuetrak."""
        tags = {writes.reference(key) for key in keys}
        while time.monotonic() - since < GIVE_UP_SECONDS:
            posted = {tag for tag in tags for note in list(self.issuetrak.notes.values()) if tag in note["NoteText"]}
            if posted == tags:
                return time.monotonic() - since
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{len(tags - posted)} of {len(tags)} notes were not posted in {GIVE_UP_SECONDS:.0f} s")


@asynccontextmanager
async def running_bot() -> AsyncIterator[Bot]:
    issuetrak, slack = IssuetrakState(), SlackState()
    slack.add_user(ALICE.id, ALICE.name, ALICE.email or "")
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_in_thread(create_app(issuetrak)) as issuetrak_url,
        serve_in_thread(create_slack_standin(slack)) as slack_url,
    ):
        settings = load_settings(
            _env_file=None,
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET="bench-signing-secret",
            SLACK_API_URL=f"{slack_url}/api/",
            DATABASE_URL=f"sqlite:///{Path(folder) / 'bot.db'}",
            ISSUETRAK_URL=issuetrak_url + issuetrak.prefix,
            ISSUETRAK_API_KEY=issuetrak.api_key,
        )
        offset = [timedelta(0)]

        def clock() -> datetime:
            return utc_now() + offset[0]

        rt = Runtime(
            settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL), clock=clock
        )
        workers = Workers(rt, web_client(rt))
        try:
            yield Bot(rt, issuetrak, workers, offset)
        finally:
            await workers.stop()
            await rt.aclose()
            await rt.store.aclose()


async def flaky() -> float:
    async with running_bot() as bot:
        bot.workers.start()
        bot.issuetrak.faults.fail_rate = FLAKY_RATE
        started = time.monotonic()
        keys = await bot.submit("flaky", FLAKY_NOTES)
        return await bot.all_posted(keys, started)


async def outage() -> float:
    async with running_bot() as bot:
        bot.issuetrak.faults.fail_rate = 1.0
        keys = await bot.submit("outage", OUTAGE_NOTES)
        client = web_client(bot.rt)
        for minute in OUTAGE_MINUTES:
            bot.offset[0] = timedelta(minutes=minute)
            await deliver_due(bot.rt, client)
        bot.workers.start()  # the serving process's worker, on its interval
        await asyncio.sleep(1.0)  # its first run finds Issuetrak still down
        bot.issuetrak.faults.fail_rate = 0.0
        return await bot.all_posted(keys, time.monotonic())


def row(flaky_seconds: list[float], outage_seconds: list[float]) -> str:
    """The README's table row for these runs."""
    flaky_spread, outage_spread = Spread.of(flaky_seconds), Spread.of(outage_seconds)
    met = flaky_spread.high <= FLAKY_TARGET and outage_spread.high <= OUTAGE_TARGET
    return (
        f"| Outbox: {FLAKY_NOTES} notes at {FLAKY_RATE:.0%} 5xx, all on Issuetrak / {OUTAGE_NOTES} notes saved "
        f"during a {OUTAGE_MINUTES[-1]}-minute outage, all on Issuetrak after it ends (worker every 5 s) "
        f"| {flaky_spread.show(secs)} / {outage_spread.show(secs)} "
        f"| ≤ {FLAKY_TARGET:.0f} s / ≤ {OUTAGE_TARGET:.0f} s "
        f"| {flaky_spread.high / FLAKY_TARGET:.2f} / {outage_spread.high / OUTAGE_TARGET:.2f} × target at worst "
        f"| {'met' if met else '**missed**'} |"
    )


async def measure(runs: int) -> str:
    flaky_seconds, outage_seconds = [], []
    for run in range(runs):
        flaky_seconds.append(await flaky())
        outage_seconds.append(await outage())
        log.info("outbox run %d/%d: flaky %.2f s, outage %.2f s", run + 1, runs, flaky_seconds[-1], outage_seconds[-1])
    return row(flaky_seconds, outage_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outbox", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(message)s", stream=sys.stdout)
    log.setLevel(logging.INFO)
    log.info("%s", asyncio.run(measure(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
