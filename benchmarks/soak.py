"""Soak: `python -m bot` with 2 workers on PostgreSQL (a fresh schema of TEST_POSTGRES_URL; without
it the row says so and measures nothing) under 20 signed requests a second of mixed traffic for
30 minutes: `/tracker project <key>` and `/tracker issue <n>` commands, the *Create Issuetrak
issue* shortcut, pasted Issuetrak links (`link_shared`), *Watch here* clicks on issue cards, and
`/tracker note <n> …` (each a note written to Issuetrak through the outbox), with the watch
poller running every 5 s over the watched issues.

Reported: each worker's RSS and open descriptors a sixth of the way in (minute 5 of 30) and at
the end (growth under 10%), the ERROR lines and tracebacks the bot logged (0), the requests not
answered 200 (0), and whether every note reached Issuetrak exactly once (by the tag each note
carries). Not in the default run (`python -m benchmarks --only soak`; `--quick` for 2 minutes)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import aiohttp
import httpx

from benchmarks import slack_load
from benchmarks.ack import PROJECT_KEYS
from benchmarks.process import Bot, open_descriptors, rss_mb, running_bot
from benchmarks.report import Row
from benchmarks.servers import Servers
from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID
from bot.services import writes
from bot.views.ids import WATCH_HERE
from tests.fixtures.store import fresh_pg_schema

MINUTES = 30.0
QUICK_MINUTES = 2.0
RATE = 20  # requests a second
WORKERS = 2
WATCH_POLL_SECONDS = 5
GROWTH_TARGET = 0.10
WATCHED_ISSUES = 10  # the issues clicked *Watch here* on, and so polled every round
IN_FLIGHT = 50  # at most this many requests outstanding (the bot answers each in milliseconds)
SETTLE_SECONDS = 60.0  # after the traffic, for the outbox to write the last notes
KINDS = ("project", "issue", "shortcut", "link", "click", "note")


@dataclass(frozen=True)
class Sample:
    rss_mb: dict[int, float]  # worker pid -> resident set, MB
    descriptors: dict[int, int]  # worker pid -> open files


@dataclass(frozen=True)
class SoakRun:
    seconds: float
    sent: Counter[str]  # requests sent, by kind
    refused: Counter[str]  # answers other than 200 (or transport errors), by status
    early: Sample  # a sixth of the way in
    late: Sample  # at the end
    errors_logged: int  # ERROR lines and tracebacks in the bot's log
    watch_rounds: int  # rounds of the watch poller, all workers (trackerbot_watch_rounds_total)
    notes_sent: int
    notes_once: int  # notes whose tag Issuetrak holds exactly once
    notes_twice: int  # notes whose tag it holds more than once


def _sample(bot: Bot) -> Sample:
    pids = bot.workers()
    return Sample({pid: rss_mb(pid) for pid in pids}, {pid: open_descriptors(pid) for pid in pids})


def _requests(servers: Servers, issues: Sequence[int]) -> Iterator[tuple[str, slack_load.SignedRequest]]:
    """The mixed traffic, kind by kind in turn, each request with a hook of its own."""
    response_base = servers.response_url("").rstrip("/")
    site = servers.urls["issuetrak"].removesuffix("/api/v1")
    keys, numbers = itertools.cycle(PROJECT_KEYS), itertools.cycle(issues)
    watched = itertools.cycle(issues[:WATCHED_ISSUES])
    for index in itertools.count():
        kind, hook = KINDS[index % len(KINDS)], f"soak-{index}"
        who = slack_payloads.Who(
            TEAM_ID, slack_load.USER, "alice", slack_load.CHANNEL, "general", f"{response_base}/{hook}"
        )
        if kind == "project":
            yield kind, slack_load.command(f"project {next(keys)}", hook, response_base)
        elif kind == "issue":
            yield kind, slack_load.command(f"issue {next(numbers)}", hook, response_base)
        elif kind == "shortcut":
            yield kind, slack_load.create_issue_shortcut(hook, response_base)
        elif kind == "link":
            link = f"{site}/Issue_View.asp?ID={next(numbers)}"
            yield kind, slack_load.signed_json(slack_payloads.link_shared(who, f"{time.time():.6f}", [link]), hook)
        elif kind == "click":
            button = {"action_id": WATCH_HERE, "value": f"issue:{next(watched)}", "_block_id": "card"}
            yield kind, slack_load.interaction(slack_payloads.block_action(who, button, trigger_id=hook), hook)
        else:
            yield kind, slack_load.command(f"note {next(numbers)} soak note {index}", hook, response_base)


async def _traffic(
    url: str, requests: Iterator[tuple[str, slack_load.SignedRequest]], seconds: float, at_early: float, bot: Bot
) -> tuple[Counter[str], Counter[str], list[str], Sample]:
    """RATE requests a second for `seconds`, on schedule (not waiting for answers, up to IN_FLIGHT
    outstanding); (sent by kind, refused by status, the note hooks, the sample taken at `at_early`)."""
    sent: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    notes: list[str] = []
    outstanding = asyncio.Semaphore(IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()
    early: Sample | None = None
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT), timeout=timeout) as session:

        async def send(request: slack_load.SignedRequest) -> None:
            try:
                async with session.post(url, data=request.body, headers=request.headers) as response:
                    await response.read()
                    if response.status != 200:
                        refused[str(response.status)] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                refused[type(exc).__name__] += 1
            finally:
                outstanding.release()

        started = time.monotonic()
        for index, (kind, request) in enumerate(requests):
            due = started + index / RATE
            if due - started >= seconds:
                break
            if early is None and due - started >= at_early:
                early = await asyncio.to_thread(_sample, bot)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await outstanding.acquire()
            sent[kind] += 1
            if kind == "note":
                notes.append(request.hook)
            task = asyncio.create_task(send(request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    assert early is not None
    return sent, refused, notes, early


def _notes_written(servers: Servers, hooks: Sequence[str]) -> tuple[int, int]:
    """(notes whose tag Issuetrak holds once, more than once), once every note arrived or
    SETTLE_SECONDS passed."""
    tags = {writes.reference(f"command:{hook}") for hook in hooks}
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        held = Counter(tag for text in servers.note_texts() for tag in tags if tag in text)
        if len(held) == len(tags) or time.monotonic() > deadline:
            return sum(1 for n in held.values() if n == 1), sum(1 for n in held.values() if n > 1)
        time.sleep(1)


def measure(servers: Servers, *, seconds: float = MINUTES * 60) -> SoakRun | None:
    """One soak of `seconds`; None without TEST_POSTGRES_URL (several workers need PostgreSQL)."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return None
    servers.set_latency(0.0)
    issues = servers.add_issues(50)
    settings = {"WATCH_POLL_SECONDS": str(WATCH_POLL_SECONDS)}
    with (
        fresh_pg_schema(base) as url,
        running_bot(servers, workers=WORKERS, database_url=url, settings=settings) as bot,
    ):
        sent, refused, notes, early = asyncio.run(
            _traffic(bot.events_url, _requests(servers, issues), seconds, seconds / 6, bot)
        )
        late = _sample(bot)
        once, twice = _notes_written(servers, notes)
        rounds = _watch_rounds(bot)
        log = bot.log_path.read_text(errors="replace")
    errors = sum(1 for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback"))
    return SoakRun(seconds, sent, refused, early, late, errors, rounds, len(notes), once, twice)


def _watch_rounds(bot: Bot) -> int:
    """trackerbot_watch_rounds_total from /metrics (all workers added up)."""
    scraped = httpx.get(f"{bot.url}/metrics", timeout=10).raise_for_status().text
    return int(
        sum(
            float(line.split()[-1]) for line in scraped.splitlines() if line.startswith("trackerbot_watch_rounds_total")
        )
    )


def _span(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _growth(early: dict[int, float], late: dict[int, float]) -> float:
    """The largest growth of any worker, as a share of its early value."""
    return max((late[pid] - early[pid]) / early[pid] for pid in early)


def rows(runs: Sequence[SoakRun | None]) -> list[Row]:
    run = next((r for r in runs if r is not None), None)
    if run is None:
        missing = "not measured: several workers need PostgreSQL (set TEST_POSTGRES_URL)"
        return [Row("Soak (2 workers, PostgreSQL)", missing, "—", "—", None)]
    rss = _growth(run.early.rss_mb, run.late.rss_mb)
    fds = _growth(
        {p: float(n) for p, n in run.early.descriptors.items()}, {p: float(n) for p, n in run.late.descriptors.items()}
    )
    workers = "; ".join(
        f"worker {i}: {run.early.rss_mb[pid]:.0f} → {run.late.rss_mb[pid]:.0f} MB, "
        f"{run.early.descriptors[pid]} → {run.late.descriptors[pid]} descriptors"
        for i, pid in enumerate(sorted(run.early.rss_mb), 1)
    )
    refused = sum(run.refused.values())
    return [
        Row(
            f"Soak: {_span(run.seconds)} of mixed traffic at {RATE} requests a second ({', '.join(KINDS)}; "
            f"watch rounds every {WATCH_POLL_SECONDS} s: {run.watch_rounds} rounds), {WORKERS} workers, PostgreSQL: "
            f"each worker's RSS and open descriptors after {_span(run.seconds / 6)} and at the end",
            workers,
            f"growth < {GROWTH_TARGET:.0%}",
            f"largest growth: RSS {rss:+.1%}, descriptors {fds:+.1%}",
            rss < GROWTH_TARGET and fds < GROWTH_TARGET,
        ),
        Row(
            f"The same soak: {sum(run.sent.values()):,} requests; answers other than 200 / ERROR lines logged / "
            "notes written exactly once",
            f"{refused} / {run.errors_logged} / {run.notes_once:,} of {run.notes_sent:,}"
            + (f" ({run.notes_twice} twice)" if run.notes_twice else ""),
            "0 / 0 / all",
            "—",
            refused == 0 and run.errors_logged == 0 and run.notes_once == run.notes_sent,
        ),
    ]
