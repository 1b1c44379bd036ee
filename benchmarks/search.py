"""`/tracker search`: one page of a word search over 1,000 more Issuetrak issues, with the tracker
taking 20 ms a call, through `issue_search.find` as the command runs it (the read rule with the
person's identity, the filters resolved, the page read and normalized), reference data warm.

Two figures per search: the Issuetrak calls it made (the target is one: one page, one round
trip), and this process's CPU time, the bot's own work (the servers run in another process, so
their time is not in it; on a shared machine it is steadier than wall time minus latency)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Row, Spread, ms
from benchmarks.servers import Servers
from bot.runtime import Runtime
from bot.services import issue_search
from bot.settings import load_settings
from bot.slack.command_parser import SearchIssues, parse
from bot.slack.directory import SlackPerson
from bot.store import Store
from bot.trackers.registry import build_trackers

ISSUES = 1000
SEARCHES = 40
LATENCY_SECONDS = 0.02
TARGET_CPU_SECONDS = 0.02
TEAM = "T0BENCH"
COMMAND = "search render node status:open priority:high"  # every added issue matches: a full page
PERSON = SlackPerson("U0BENCH", "Alice Martin", "alice@example.com", "UTC")  # the demo's amartin


@dataclass(frozen=True)
class SearchRun:
    wall: float  # seconds per search
    cpu: float  # this process's CPU seconds per search
    calls: int  # most Issuetrak calls one search made
    shown: int  # issues on the page


async def _searches(servers: Servers, folder: Path, searches: int) -> SearchRun:
    settings = load_settings(
        _env_file=None,
        ISSUETRAK_URL=servers.urls["issuetrak"],
        ISSUETRAK_API_KEY=servers.secrets["issuetrak_key"],
        DATABASE_URL=f"sqlite:///{folder / 'search.db'}",
    )
    rt = Runtime(settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL))
    command = parse(COMMAND)
    assert isinstance(command, SearchIssues)
    try:
        warm = await issue_search.find(rt, team=TEAM, person=PERSON, command=command)  # identity, names, projects
        if isinstance(warm, str):
            raise RuntimeError(f"the search was refused: {warm}")
        wall = cpu = 0.0
        calls = shown = 0
        for index in range(searches):
            before = servers.counters()["issuetrak_requests"]
            started, cpu_started = time.perf_counter(), time.process_time()
            found = await issue_search.find(rt, team=TEAM, person=PERSON, command=command, page_index=index % 5)
            wall += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            calls = max(calls, servers.counters()["issuetrak_requests"] - before)
            if isinstance(found, str):
                raise RuntimeError(f"the search was refused: {found}")
            shown = len(found.page.issues)
        return SearchRun(wall / searches, cpu / searches, calls, shown)
    finally:
        await rt.aclose()
        await rt.store.aclose()


def measure(servers: Servers, *, searches: int = SEARCHES) -> SearchRun:
    servers.set_latency(0.0)
    servers.add_issues(ISSUES)
    servers.set_latency(LATENCY_SECONDS)
    with tempfile.TemporaryDirectory(prefix="trackerbot-search-") as folder:
        return asyncio.run(_searches(servers, Path(folder), searches))


def rows(runs: Sequence[SearchRun]) -> list[Row]:
    cpu = Spread.of([r.cpu for r in runs])
    wall = Spread.of([r.wall for r in runs])
    calls = max(r.calls for r in runs)
    return [
        Row(
            f"`/tracker search` (`{COMMAND}`): one page of {runs[0].shown} issues over {ISSUES:,}+ issues, tracker "
            f"at {LATENCY_SECONDS * 1000:.0f} ms (wall {wall.show(ms)} a search)",
            f"{calls} Issuetrak call{'s' if calls != 1 else ''}; bot CPU {cpu.show(ms)}",
            f"1 call; < {TARGET_CPU_SECONDS * 1000:.0f} ms",
            "—",
            calls == 1 and cpu.median < TARGET_CPU_SECONDS,
        )
    ]
