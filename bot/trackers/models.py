"""Normalized models: what the Slack side sees, whichever tracker the data came from.

Text here is already decoded from HTML (each client does that once); the views escape it for
Slack.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class TrackerName(StrEnum):
    ISSUETRAK = "issuetrak"
    PROJECTRAK = "projectrak"
    AIP = "aip"
    KITSU = "kitsu"

    @property
    def label(self) -> str:
        return {"issuetrak": "Issuetrak", "projectrak": "Projectrak", "aip": "AIP", "kitsu": "Kitsu"}[self.value]


class ProjectStatus(BaseModel):
    tracker: TrackerName
    id: str
    key: str | None = None  # a Jira project key (Projectrak) or a production code (Kitsu)
    name: str
    status: str | None = None
    is_closed: bool = False
    percent_complete: float | None = None  # 0..100
    open_date: date | None = None
    target_date: date | None = None
    closed_date: date | None = None
    budget_estimated: float | None = None
    budget_actual: float | None = None
    hours_estimated: float | None = None
    hours_actual: float | None = None
    health: str | None = None  # Projectrak's health field, as the tenant names it
    owner: str | None = None
    overdue_tasks: int | None = None  # Kitsu: open tasks past their due date
    url: str | None = None

    def is_overdue(self, today: date) -> bool:
        return not self.is_closed and self.target_date is not None and self.target_date < today


class Asset(BaseModel):
    tracker: TrackerName
    id: str
    key: str | None = None
    name: str
    collection: str | None = None  # AIP collection, or the Kitsu asset type
    status: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    attachments: int | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    project: str | None = None
    url: str | None = None


class AssetPage(BaseModel):
    assets: list[Asset]
    start_at: int = 0
    total: int = 0

    @property
    def has_more(self) -> bool:
        return self.start_at + len(self.assets) < self.total


class Note(BaseModel):
    id: int | None = None
    issue_number: int
    text: str
    created_by: str | None = None
    created_date: datetime | None = None
    is_private: bool = False


class Issue(BaseModel):
    number: int
    subject: str
    description: str | None = None
    status: str | None = None
    priority: str | None = None
    issue_type: str | None = None
    assignee: str | None = None
    submitted_by: str | None = None
    submitted_date: datetime | None = None
    target_date: datetime | None = None
    closed_date: datetime | None = None
    project_id: int | None = None
    url: str | None = None
    notes: list[Note] = Field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.closed_date is not None or (self.status or "").lower() == "closed"


class IssuePage(BaseModel):
    issues: list[Issue]
    page_index: int = 0
    page_size: int = 0
    total: int = 0

    @property
    def has_more(self) -> bool:
        return (self.page_index + 1) * self.page_size < self.total


class Person(BaseModel):
    """A tracker user: an Issuetrak user or a Kitsu person."""

    id: str
    name: str
    email: str | None = None
    active: bool = True


class Lookup(BaseModel):
    """One entry of an Issuetrak lookup (issue type, priority, status, organization)."""

    id: int | str
    name: str


class Task(BaseModel):
    """An open Kitsu task, for digests."""

    id: str
    name: str
    project: str | None = None
    entity: str | None = None
    task_type: str | None = None
    status: str | None = None
    due_date: date | None = None
    assignees: list[str] = Field(default_factory=list)
    url: str | None = None
