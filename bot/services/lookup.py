"""Read paths: issues, projects across trackers, assets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from bot import messages
from bot.running.runtime import Runtime
from bot.trackers.errors import NotConfigured, NotFound, TrackerError
from bot.trackers.models import Asset, AssetPage, Issue, ProjectStatus, TrackerName

T = TypeVar("T")

JIRA_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,9}")
ASSET_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*-\d+")
ASSET_PAGE_SIZE = 10
PROJECTRAK_LIST_DETAILS = 50


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
    """An Issuetrak project by ID, a Jira key with its Projectrak fields, or a name matched
    across Issuetrak, Projectrak and Kitsu (exact matches first)."""
    trackers = rt.trackers
    gathered = Gathered()
    ref = ref.strip()
    if not trackers.configured():
        raise NotConfigured("trackers", messages.NO_TRACKERS)
    if ref.isdigit() and trackers.issuetrak:
        project = await _settle("Issuetrak", trackers.issuetrak.get_project(int(ref)), gathered)
        if project:
            gathered.projects.append(project)
            return gathered
    if JIRA_KEY.fullmatch(ref) and trackers.projectrak:
        project = await _settle("Projectrak", trackers.projectrak.get_project(ref), gathered)
        if project:
            gathered.projects.append(project)
            return gathered
    gathered.searched.clear()
    jobs: list[Awaitable[list[ProjectStatus] | None]] = []
    if trackers.issuetrak:
        jobs.append(_settle("Issuetrak", _issuetrak_by_name(rt, ref), gathered))
    if trackers.projectrak:
        jobs.append(_settle("Projectrak", trackers.projectrak.find_projects(ref), gathered))
    if trackers.kitsu:
        jobs.append(_settle("Kitsu", trackers.kitsu.find_projects(ref), gathered))
    for found in await asyncio.gather(*jobs):
        gathered.projects.extend(found or [])
    exact = [p for p in gathered.projects if p.name.lower() == ref.lower() or (p.key or "").lower() == ref.lower()]
    if len(exact) == 1:
        gathered.projects = exact
    if len(gathered.projects) == 1 and gathered.projects[0].tracker is not TrackerName.ISSUETRAK:
        # Name searches answer with summaries; a card shows the project's full status.
        only = gathered.projects[0]
        gathered.projects = [await refresh_project(rt, only.tracker, only.id)]
    return gathered


async def _issuetrak_by_name(rt: Runtime, words: str) -> list[ProjectStatus]:
    assert rt.trackers.issuetrak is not None
    needle = words.lower()
    return [p for p in await rt.trackers.issuetrak.list_projects() if needle in p.name.lower()]


async def refresh_project(rt: Runtime, tracker: TrackerName, project_id: str) -> ProjectStatus:
    trackers = rt.trackers
    client = trackers.configured().get(tracker)
    if client is None:
        raise NotConfigured(tracker.label)
    if tracker is TrackerName.ISSUETRAK:
        return await trackers.issuetrak.get_project(int(project_id))  # type: ignore[union-attr]
    if tracker is TrackerName.PROJECTRAK:
        # Projectrak reads values by Jira key; cards carry the project's id.
        listed = await trackers.projectrak.list_projects()  # type: ignore[union-attr]
        key = next((p.key for p in listed if p.id == project_id and p.key), project_id)
        return await trackers.projectrak.get_project(key)  # type: ignore[union-attr]
    return await client.get_project(project_id)  # type: ignore[union-attr, arg-type]


async def open_projects(rt: Runtime) -> Gathered:
    """Open projects of every configured tracker, fetched side by side."""
    trackers = rt.trackers
    gathered = Gathered()
    if not trackers.configured():
        raise NotConfigured("trackers", messages.NO_TRACKERS)
    jobs: list[Awaitable[list[ProjectStatus] | None]] = []
    if trackers.issuetrak:
        jobs.append(_settle("Issuetrak", trackers.issuetrak.list_projects(), gathered))
    if trackers.projectrak:
        jobs.append(_settle("Projectrak", _projectrak_statuses(rt), gathered))
    if trackers.kitsu:
        jobs.append(_settle("Kitsu", trackers.kitsu.open_projects(), gathered))
    for found in await asyncio.gather(*jobs):
        gathered.projects.extend(p for p in found or [] if not p.is_closed)
    return gathered


async def _projectrak_statuses(rt: Runtime) -> list[ProjectStatus]:
    """Projectrak's project list carries no status: read the values of the first projects (a
    list shows a few per tracker), side by side within the client's bound."""
    client = rt.trackers.projectrak
    assert client is not None
    listed = (await client.list_projects())[:PROJECTRAK_LIST_DETAILS]
    return list(await asyncio.gather(*(client.get_project(p.key or p.id) for p in listed)))


@dataclass
class AssetResult:
    single: Asset | None = None
    page: AssetPage | None = None
    kitsu: list[Asset] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.single is None and not (self.page and self.page.assets) and not self.kitsu


async def find_assets(rt: Runtime, query: str, *, start_at: int = 0) -> AssetResult:
    """An AIP asset by key, else an AIP search (paged) and Kitsu assets by name."""
    trackers = rt.trackers
    if trackers.aip is None and trackers.kitsu is None:
        raise NotConfigured("AIP or Kitsu")
    result = AssetResult()
    gathered = Gathered()
    if trackers.aip and start_at == 0 and ASSET_KEY.fullmatch(query):
        asset = await _settle("AIP", trackers.aip.get_asset(query.upper()), gathered)
        if asset:
            result.single = asset
            return result
    jobs: list[Awaitable[object]] = []
    if trackers.aip:
        jobs.append(_settle("AIP", trackers.aip.search(query, start_at=start_at, max_result=ASSET_PAGE_SIZE), gathered))
    if trackers.kitsu and start_at == 0:
        jobs.append(_settle("Kitsu", trackers.kitsu.find_assets(query), gathered))
    answers = await asyncio.gather(*jobs)
    for answer in answers:
        if isinstance(answer, AssetPage):
            result.page = answer
        elif isinstance(answer, list):
            result.kitsu = answer
    result.failures = gathered.failures
    if result.page and not result.page.assets:
        result.page = None
    if result.page is None and len(result.kitsu) == 1:
        result.single, result.kitsu = result.kitsu[0], []
    elif result.page and result.page.total == 1 and not result.kitsu:
        result.single, result.page = result.page.assets[0], None
    return result
