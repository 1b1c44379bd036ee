"""A fifth tracker, "Storyboard", that exists only in the tests, added as docs/adding-a-tracker.md
says: its settings (`STORYBOARD_URL`, `STORYBOARD_TOKEN`) and a client on the shared core
implementing `Probe`, `ProjectSource` and `AssetSource` (this module), its demo server (`tests/trackers/
fifth_demo.py`), and one registry line (`fifth_tracker`). Nothing in bot/ knows it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from pydantic import SecretStr

from bot.settings import TrackerSettings, secret
from bot.trackers import registry
from bot.trackers.dto import Day, Dto, Loose, parse, parse_rows
from bot.trackers.http_client import HttpOptions, TrackerHTTP
from bot.trackers.models import Asset, AssetPage, ProjectStatus, TrackerName
from bot.trackers.tokens import StaticBearerAuth


class StoryboardSettings(TrackerSettings):
    label = "Storyboard"
    switch = "STORYBOARD_URL"
    needs = ("STORYBOARD_URL", "STORYBOARD_TOKEN")

    STORYBOARD_URL: str | None = None
    STORYBOARD_TOKEN: SecretStr | None = None


class BoardDTO(Dto):
    """A board as Storyboard answers it, by Storyboard's field names."""

    id: str
    title: str
    state: Loose[str] = None
    done: Loose[float] = None
    due: Day = None


class PropDTO(Dto):
    """A drawn prop, Storyboard's kind of asset."""

    id: str
    title: str
    board: Loose[str] = None


class StoryboardClient:
    name = "Storyboard"
    lists_statuses = True
    finds_statuses = False  # as Kitsu: a card reads the one board found again
    pages = False  # as Kitsu: every matching prop on the first page

    def __init__(
        self, url: str, token: str, *, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.tracker = TrackerName("storyboard")
        self.site = url
        self.http = TrackerHTTP(self.name, f"{url}/api", StaticBearerAuth(token), options=options, transport=transport)

    @classmethod
    def from_settings(
        cls, settings: StoryboardSettings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> StoryboardClient:
        return cls(
            settings.STORYBOARD_URL or "", secret(settings.STORYBOARD_TOKEN), options=options, transport=transport
        )

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
            url=f"{self.site}/b/{board.id}",
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

    async def asset_by_key(self, ref: str) -> Asset | None:
        return None  # props have no key of their own

    async def search_assets(self, words: str, *, start_at: int, size: int) -> AssetPage:
        rows = parse_rows(self.name, PropDTO, await self.http.get("props", params={"q": words}))
        props = [
            Asset(tracker=self.tracker, id=p.id, name=p.title, collection=p.board, url=f"{self.site}/p/{p.id}")
            for p in rows
        ]
        return AssetPage(assets=props, total=len(props))


@contextmanager
def fifth_tracker() -> Iterator[TrackerName]:
    """Storyboard registered (its key, and its registry line) for the duration."""
    name = TrackerName.register("storyboard", "Storyboard")
    unregister = registry.register(
        registry.Entry(name, StoryboardSettings, StoryboardClient, "tests.trackers.fifth_demo")
    )
    try:
        yield name
    finally:
        unregister()
        TrackerName.unregister(name)
