"""What a tracker client can do, as small protocols the services loop over.

A client implements the capabilities its tracker has (`registry.Trackers` hands out the
configured clients by capability), so a service reads "every project source" instead of naming
Issuetrak, Projectrak and Kitsu, and a new tracker joins those loops by implementing them.

| capability       | Issuetrak | Projectrak | AIP | Kitsu |
|------------------|-----------|------------|-----|-------|
| Probe            | yes       | yes        | yes | yes   |
| ProjectSource    | yes       | yes        |     | yes   |
| IssueSource      | yes       |            |     |       |
| TaskSource       |           |            |     | yes   |
| AssetSource      |           |            | yes | yes   |
| CredentialWatch  |           |            | yes |       |
| LinkSource       | yes       | yes        |     | yes   |

Features that belong to one tracker (Issuetrak's writes, issues by number and people) are
reached through `Trackers.issuetrak` / `require_issuetrak()` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.trackers.models import (
    Asset,
    AssetPage,
    Issue,
    IssueActivity,
    Page,
    ProjectStatus,
    Task,
    TrackerName,
)


@runtime_checkable
class TrackerClient(Protocol):
    """Every client: which tracker it talks to, the label people read, and closing it."""

    @property
    def tracker(self) -> TrackerName: ...

    @property
    def name(self) -> str: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Probe(Protocol):
    """A tracker `/healthz` can ask whether it answers."""

    @property
    def name(self) -> str: ...

    async def ping(self) -> str:
        """One uncached authenticated call; a short detail ("12 projects") or a TrackerError."""
        ...


@runtime_checkable
class ProjectSource(TrackerClient, Protocol):
    """A tracker that holds projects: `/tracker project`, `/tracker projects`, digests."""

    @property
    def lists_statuses(self) -> bool:
        """Whether `list_projects` carries each project's status (else each one is read)."""
        ...

    @property
    def finds_statuses(self) -> bool:
        """Whether `find_projects` answers with what a card shows (else the card reads again)."""
        ...

    def names_one_project(self, ref: str) -> bool:
        """Whether `ref` is this tracker's own name for one project (an Issuetrak ID, a Jira
        key): such a ref is read directly before any search by name."""
        ...

    async def read_project(self, ref: str) -> ProjectStatus:
        """One project with its full status, by the id its card carries or by a ref
        `names_one_project` accepts; NotFound when there is none."""
        ...

    async def find_projects(self, words: str) -> list[ProjectStatus]:
        """Projects whose name (or key) holds the words, any case."""
        ...

    async def list_projects(self) -> list[ProjectStatus]:
        """The projects the tracker lists (Kitsu: its open productions)."""
        ...


@runtime_checkable
class IssueSource(TrackerClient, Protocol):
    """A tracker of issues, for the digest's issue lines."""

    async def issue_activity(self, since: datetime, projects: Sequence[ProjectStatus] | None) -> IssueActivity:
        """Issues opened and closed since `since` and the ones still open, of the whole
        tracker (`projects` None) or of those projects only."""
        ...


@runtime_checkable
class TaskSource(TrackerClient, Protocol):
    """A tracker of dated tasks, for the digest's tasks due and overdue counts."""

    async def open_tasks(self, *, project_id: str | None = None) -> list[Task]:
        """Tasks not done yet, of one project or of every open one, soonest due first."""
        ...


@runtime_checkable
class AssetSource(TrackerClient, Protocol):
    """A tracker of assets: `/tracker asset`."""

    @property
    def pages(self) -> bool:
        """Whether `search_assets` pages (else it answers everything on the first page)."""
        ...

    async def asset_by_key(self, ref: str) -> Asset | None:
        """The asset `ref` is the key of ("ART-12"), read directly; None when `ref` is not this
        tracker's kind of key, NotFound when it names no asset."""
        ...

    async def search_assets(self, words: str, *, start_at: int, size: int) -> AssetPage:
        """One page of the assets matching `words`."""
        ...


@runtime_checkable
class CredentialWatch(TrackerClient, Protocol):
    """A tracker whose credential expires and cannot be renewed by the bot."""

    def token_expiry_warning(self, now: datetime | None = None) -> str | None:
        """A sentence for whoever runs the bot when the credential expires soon, else None."""
        ...


@runtime_checkable
class LinkSource(TrackerClient, Protocol):
    """A tracker whose web pages people paste into Slack, where they unfurl into cards."""

    def page_of(self, url: str) -> Page | None:
        """The page of this tracker `url` is (no call made), else None: only links of the
        configured site count."""
        ...

    async def read_page(self, page: Page) -> Issue | ProjectStatus | Asset:
        """What the page shows, for its card; NotFound when it names nothing the tracker has."""
        ...


def offered_by(client: type, capability: type) -> bool:
    """Whether instances of the class `client` have what `capability` adds to `TrackerClient`:
    the names `isinstance` checks, read on the class (its methods, properties and class
    attributes), so that a tracker not set up can be named for what it could do."""
    own = [name for name in vars(capability) if not name.startswith("_")]
    return all(hasattr(client, name) for name in own)
