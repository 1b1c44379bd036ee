"""The unfurl service reads every card of an event side by side: a tracker whose page reads each
wait until all of them are in flight answers them all only if none waits for another."""

from __future__ import annotations

import asyncio

from bot.runtime import Runtime
from bot.services import unfurls
from bot.slack.directory import SlackPerson
from bot.trackers.models import Page, PageKind, ProjectStatus, TrackerName
from bot.trackers.registry import Trackers

ALICE = SlackPerson(id="U0ALICE", name="Alice Martin", email="alice@example.com", tz=None)


class TogetherTracker:
    """Pages `https://together.example/p/<n>`; a read returns only once `expected` reads are in flight."""

    tracker = TrackerName.KITSU
    name = "Together"

    def __init__(self, expected: int) -> None:
        self.barrier = asyncio.Barrier(expected)
        self.reads = 0

    async def aclose(self) -> None:
        return None

    def page_of(self, url: str) -> Page | None:
        prefix = "https://together.example/p/"
        if not url.startswith(prefix):
            return None
        return Page(tracker=self.tracker, kind=PageKind.PROJECT, ref=url.removeprefix(prefix), url=url)

    async def read_page(self, page: Page) -> ProjectStatus:
        self.reads += 1
        await self.barrier.wait()
        return ProjectStatus(tracker=self.tracker, id=page.ref, name=f"Project {page.ref}")


async def test_the_cards_of_an_event_are_read_side_by_side(runtime: Runtime) -> None:
    together = TogetherTracker(expected=unfurls.MAX_LINKS)
    rt = Runtime(settings=runtime.settings, trackers=Trackers([together]), store=runtime.store)
    urls = [f"https://together.example/p/{n}" for n in range(unfurls.MAX_LINKS)]
    found = await unfurls.unfurls(rt, team="T0TRACKER", person=ALICE, urls=urls, cache=unfurls.card_cache())
    assert [unfurl.url for unfurl in found] == urls  # none of them gave up waiting for the others
    assert together.reads == unfurls.MAX_LINKS
