"""Read paths: issues, projects across trackers, assets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from dataclasses import dataclass, field
from typing import TypeVar

from bot import messages
from bot.runtime import Runtime
from bot.trackers import registry
from bot.trackers.capabilities import AssetSource, ProjectSource
from bot.trackers.errors import NotConfigured, NotFound, TrackerError
from bot.trackers.models import Asset, AssetPage, Issue, ProjectStatus, TrackerName

T = TypeVar("T")

ASSET_PAGE_SIZE = 10
LIST_DETAILS = 50  # projects read one by one for a list, per tracker whose list carries no status


@dataclass
class Gathered:
    """Results from several trackers, with the friendly error of each tracker that failed."""

    projects: list[ProjectStatus] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    searched: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return ", ".join(self.searched) or "no tracker"


async def _settle(label: str, work: Awaitable[T], gathered: Gathered) -> T | None:
    gathered.searched.append(label)
    try:
        return await work
    except NotFound:
        return None
    except TrackerError as exc:
        gathered.failures[label] = str(exc)
        return None


async def get_issue(rt: Runtime, number: int) -> Issue:
    return await rt.trackers.require_issuetrak().get_issue(number)


async def find_projects(rt: Runtime, ref: str) -> Gathered:
    """A project by a tracker's own reference (an Issuetrak ID, a Jira key), else a name matched
    across every project source (exact matches first)."""
    trackers = rt.trackers
    gathered = Gathered()
    ref = ref.strip()
    if not trackers.configured():
        raise NotConfigured("trackers", messages.NO_TRACKERS)
    sources = trackers.project_sources()
    for source in sources:
        if source.names_one_project(ref):
            project = await _settle(source.name, source.read_project(ref), gathered)
            if project:
                gathered.projects.append(project)
                return gathered
    gathered.searched.clear()
    jobs = [_settle(source.name, source.find_projects(ref), gathered) for source in sources]
    for found in await asyncio.gather(*jobs):
        gathered.projects.extend(found or [])
    exact = [p for p in gathered.projects if p.name.lower() == ref.lower() or (p.key or "").lower() == ref.lower()]
    if len(exact) == 1:
        gathered.projects = exact
    if len(gathered.projects) == 1:
        only = gathered.projects[0]
        source = next(s for s in sources if s.tracker is only.tracker)
        if not source.finds_statuses:  # a summary: a card shows the project's full status
            gathered.projects = [await source.read_project(only.id)]
    return gathered


async def refresh_project(rt: Runtime, tracker: TrackerName, project_id: str) -> ProjectStatus:
    source = next((s for s in rt.trackers.project_sources() if s.tracker is tracker), None)
    if source is None:
        raise NotConfigured(tracker.label)
    return await source.read_project(project_id)


async def open_projects(rt: Runtime) -> Gathered:
    """Open projects of every project source, fetched side by side."""
    trackers = rt.trackers
    gathered = Gathered()
    if not trackers.configured():
        raise NotConfigured("trackers", messages.NO_TRACKERS)
    jobs = [_settle(source.name, _statuses(source), gathered) for source in trackers.project_sources()]
    for found in await asyncio.gather(*jobs):
        gathered.projects.extend(p for p in found or [] if not p.is_closed)
    return gathered


async def _statuses(source: ProjectSource) -> list[ProjectStatus]:
    """A tracker's projects with their status. A list that carries none is read
    project by project, the first few only (a list shows a few per tracker), side by side within
    the client's bound."""
    listed = await source.list_projects()
    if source.lists_statuses:
        return listed
    return list(await asyncio.gather(*(source.read_project(p.id) for p in listed[:LIST_DETAILS])))


@dataclass
class AssetResult:
    """`page`: the paging source's matches; `unpaged`: every match of the sources that do not
    page, shown under them, one section per tracker, and paged through by the view
    (`cards.asset_list`)."""

    single: Asset | None = None
    page: AssetPage | None = None
    unpaged: list[Asset] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.single is None and not (self.page and self.page.assets) and not self.unpaged


async def find_assets(
    rt: Runtime, query: str, *, start_at: int = 0, unpaged: Collection[TrackerName] = ()
) -> AssetResult:
    """An asset by its key, else a search of every asset source (the paging one paged). Past the
    first page the sources that do not page are searched again only when named in `unpaged`."""
    sources = rt.trackers.asset_sources()
    if not sources:
        able = [tracker.label for tracker in registry.able_to(AssetSource)]
        raise NotConfigured("assets", messages.NO_ASSET_TRACKER.format(trackers=messages.either(able)))
    result = AssetResult()
    gathered = Gathered()
    if start_at == 0:
        for source in sources:
            asset = await _settle(source.name, source.asset_by_key(query), gathered)
            if asset:
                result.single = asset
                return result
    searched = [source for source in sources if source.pages or start_at == 0 or source.tracker in unpaged]
    answers = await asyncio.gather(
        *(
            _settle(source.name, source.search_assets(query, start_at=start_at, size=ASSET_PAGE_SIZE), gathered)
            for source in searched
        )
    )
    for source, answer in zip(searched, answers, strict=True):
        if answer is None:
            continue
        if source.pages:
            result.page = answer
        else:
            result.unpaged.extend(answer.assets)
    result.failures = gathered.failures
    if result.page and not result.page.assets:
        result.page = None
    if result.page is None and len(result.unpaged) == 1:
        result.single, result.unpaged = result.unpaged[0], []
    elif result.page and result.page.total == 1 and not result.unpaged:
        result.single, result.page = result.page.assets[0], None
    return result
