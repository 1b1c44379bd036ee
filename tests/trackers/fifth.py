"""A fifth tracker, "Storyboard", that exists only in the tests: its contract server (an
`httpx.MockTransport` answering JSON) and a client on the shared core implementing `Probe` and
`ProjectSource`, as docs/adding-a-tracker.md describes. Nothing in bot/services knows it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.settings import Settings
from bot.trackers import registry
from bot.trackers.core import HttpOptions, TrackerHTTP
from bot.trackers.dto import Day, Dto, Loose, parse, parse_rows
from bot.trackers.models import ProjectStatus, TrackerName

BOARDS: list[dict[str, Any]] = [
    {"id": "b1", "title": "Lighthouse animatic", "state": "active", "done": 40, "due": "2030-01-31"},
    {"id": "b2", "title": "Harbour teaser boards", "state": "active", "done": 90, "due": "2030-03-01"},
    {"id": "b3", "title": "Archived pitch boards", "state": "archived", "done": 100, "due": "2020-01-01"},
    {"id": "b4", "title": "Ferry chase boards", "state": "active", "done": 10, "due": "2021-06-01"},
]


def storyboard_server(request: httpx.Request) -> httpx.Response:
    """GET /api/boards and GET /api/boards/{id}: the fifth tracker's whole API."""
    parts = request.url.path.removeprefix("/api/").strip("/").split("/")
    if parts == ["boards"]:
        return httpx.Response(200, json=BOARDS)
    if len(parts) == 2 and parts[0] == "boards":
        board = next((b for b in BOARDS if b["id"] == parts[1]), None)
        return httpx.Response(200, json=board) if board else httpx.Response(404, json={"error": "no such board"})
    return httpx.Response(404)


class BoardDTO(Dto):
    """A board as Storyboard answers it, by Storyboard's field names."""

    id: str
    title: str
    state: Loose[str] = None
    done: Loose[float] = None
    due: Day = None


class StoryboardClient:
    name = "Storyboard"
    lists_statuses = True
    finds_statuses = False  # as Kitsu: a card reads the one board found again

    def __init__(
        self, tracker: TrackerName, url: str, *, options: HttpOptions | None, transport: httpx.AsyncBaseTransport
    ) -> None:
        self.tracker = tracker
        self.http = TrackerHTTP(self.name, url, options=options, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    def _project(self, board: BoardDTO) -> ProjectStatus:
        return ProjectStatus(
            tracker=self.tracker,
            id=board.id,
            name=board.title,
            status=board.state,
            is_closed=board.state == "archived",
            percent_complete=board.done,
            target_date=board.due,
            url=f"https://storyboard.example.com/b/{board.id}",
        )

    async def _boards(self) -> list[BoardDTO]:
        return parse_rows(self.name, BoardDTO, await self.http.get("boards"))

    async def ping(self) -> str:
        return f"{len(await self._boards())} boards"

    def names_one_project(self, ref: str) -> bool:
        return False

    async def read_project(self, ref: str) -> ProjectStatus:
        return self._project(parse(self.name, BoardDTO, await self.http.get(f"boards/{ref}", not_found=f"Board {ref}")))

    async def find_projects(self, words: str) -> list[ProjectStatus]:
        return [p for p in await self.list_projects() if words.casefold() in p.name.casefold()]

    async def list_projects(self) -> list[ProjectStatus]:
        return [self._project(board) for board in await self._boards()]


@contextmanager
def fifth_tracker() -> Iterator[TrackerName]:
    """Storyboard registered (its key and its registry entry) for the duration."""
    name = TrackerName.register("storyboard", "Storyboard")

    def build(
        settings: Settings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> StoryboardClient:
        return StoryboardClient(
            name,
            "https://storyboard.example.com/api",
            options=options,
            transport=transport or httpx.MockTransport(storyboard_server),
        )

    unregister = registry.register(registry.Entry(name, lambda settings: True, build))
    try:
        yield name
    finally:
        unregister()
        TrackerName.unregister(name)
