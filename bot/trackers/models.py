"""Normalized models: what the Slack side sees, whichever tracker the data came from.

Text here is already decoded from HTML (each client does that once); the views escape it for
Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler
from pydantic_core import core_schema


class _Names(type):
    """Iterating `TrackerName` gives every registered tracker, in registration order."""

    def __iter__(cls) -> Iterator[TrackerName]:
        return iter(list(TrackerName._known.values()))

    def __len__(cls) -> int:
        return len(TrackerName._known)


class TrackerName(str, metaclass=_Names):
    """A tracker's key ("issuetrak"): an open set, so a new tracker adds its own with `register`
    without editing the code that loops over trackers. Each key has one instance (`is` compares
    them, as with an enum); `TrackerName("kitsu")` looks one up and raises ValueError for a key
    nobody registered. It compares and hashes as its plain string."""

    __slots__ = ()
    _known: ClassVar[dict[str, TrackerName]] = {}
    _labels: ClassVar[dict[str, str]] = {}
    ISSUETRAK: ClassVar[TrackerName]
    PROJECTRAK: ClassVar[TrackerName]
    AIP: ClassVar[TrackerName]
    KITSU: ClassVar[TrackerName]

    def __new__(cls, value: str) -> TrackerName:
        try:
            return cls._known[str(value)]
        except KeyError:
            raise ValueError(f"{value!r} is not a known tracker") from None

    @classmethod
    def register(cls, value: str, label: str) -> TrackerName:
        """Add a tracker key (lower-case letters) with the label people read ("Issuetrak")."""
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"a tracker key is lower-case letters, digits and _: {value!r}")
        if value in cls._known:
            raise ValueError(f"{value!r} is already a tracker")
        name = str.__new__(cls, value)
        cls._known[value] = name
        cls._labels[value] = label
        return name

    @classmethod
    def unregister(cls, name: TrackerName) -> None:
        """Forget a tracker added with `register` (the four built in stay)."""
        if name in BUILT_IN:
            raise ValueError(f"{name!r} is built in")
        cls._known.pop(name, None)
        cls._labels.pop(name, None)

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def name(self) -> str:
        """The key in capitals, as in the settings' names (ISSUETRAK_URL)."""
        return self.value.upper()

    @property
    def label(self) -> str:
        return TrackerName._labels[self.value]

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"TrackerName.{self.name}"

    def __reduce__(self) -> tuple[type[TrackerName], tuple[str]]:
        return TrackerName, (self.value,)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


TrackerName.ISSUETRAK = TrackerName.register("issuetrak", "Issuetrak")
TrackerName.PROJECTRAK = TrackerName.register("projectrak", "Projectrak")
TrackerName.AIP = TrackerName.register("aip", "AIP")
TrackerName.KITSU = TrackerName.register("kitsu", "Kitsu")
BUILT_IN = frozenset(TrackerName)


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
    late_tasks: list[Task] = Field(default_factory=list)  # Kitsu: the first of them, most overdue first
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
    next_action: str | None = None  # who the next action is with (Issuetrak's NextActionTo)
    substatus: str | None = None
    # What the names above stand for in Issuetrak (a card carries them, so a change can tell
    # whether the field moved since the card was drawn).
    priority_id: int | None = None
    substatus_id: int | None = None
    assignee_id: str | None = None
    next_action_id: str | None = None
    submitted_by: str | None = None
    submitted_date: datetime | None = None
    target_date: datetime | None = None
    closed_date: datetime | None = None
    project_id: int | None = None
    organization_id: int | None = None  # Issuetrak's OrganizationID: whose issue it is
    url: str | None = None
    notes: list[Note] = Field(default_factory=list)
    submitted_by_id: str | None = None  # the Issuetrak user ID behind submitted_by (a name)

    @property
    def is_closed(self) -> bool:
        return self.closed_date is not None or (self.status or "").lower() == "closed"


class IssueField(StrEnum):
    """The issue fields trackerbot changes, by their names in Issuetrak's UpdateIssueDTO."""

    ASSIGNEE = "AssignedTo"
    NEXT_ACTION = "NextActionTo"
    SUBSTATUS = "SubStatusID"
    PRIORITY = "PriorityID"
    TARGET_DATE = "TargetDate"


class IssueActivity(BaseModel):
    """What changed in a tracker's issues: opened and closed since a moment, and still open."""

    opened: list[Issue] = Field(default_factory=list)
    closed: list[Issue] = Field(default_factory=list)
    still_open: list[Issue] = Field(default_factory=list)


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
    organization_id: int | None = None  # an Issuetrak user's OrganizationID (inferred: docs/trackers.md)


class Lookup(BaseModel):
    """One entry of an Issuetrak lookup (issue type, priority, status, organization)."""

    id: int | str
    name: str


class Task(BaseModel):
    """An open task of a `TaskSource`, for digests."""

    tracker: TrackerName
    id: str
    name: str
    project: str | None = None
    entity: str | None = None
    task_type: str | None = None
    status: str | None = None
    due_date: date | None = None
    assignees: list[str] = Field(default_factory=list)
    url: str | None = None


class TaskPlace(BaseModel):
    """Where a Kitsu task sits (its production, entity and task type, by id and name), what its
    status is, and who is on its production's team (person ids): what a comment form shows and
    checks."""

    id: str
    project_id: str
    project: str
    entity_id: str
    entity: str
    task_type: str
    status_id: str | None = None
    team: list[str] = Field(default_factory=list)
    url: str | None = None  # its page in Kitsu (none for a TV show's task)


class TaskState(BaseModel):
    """One task of a production as a round of a Kitsu subscription reads it: its entity, task
    type and status, by id."""

    id: str
    entity_id: str
    task_type_id: str
    status_id: str


class StatusChange(BaseModel):
    """A task's status change, named for people: the entity (asset or shot) and its task type,
    the old and new status, and who made it and when, when Zou says (the task's latest comment
    that set the new status)."""

    task_id: str
    entity_id: str
    entity: str
    entity_kind: str | None = None  # "Asset", "Shot", ... (the task type's)
    task_type: str
    before: str | None = None
    after: str
    by: str | None = None
    at: datetime | None = None
    url: str | None = None  # the task's page in Kitsu


class Comment(BaseModel):
    """A comment Kitsu holds on a task: its author and the status it set."""

    id: str
    task_id: str
    person_id: str | None = None
    task_status_id: str | None = None
    text: str = ""


class PageKind(StrEnum):
    ISSUE = "issue"
    PROJECT = "project"
    ASSET = "asset"


class Page(BaseModel):
    """One of a tracker's own web pages, recognised in a URL a person pasted: what it shows
    (`kind`), the tracker's reference for it (`ref`: an issue number, a project id or key, an
    asset id) and, for a Kitsu asset, its production (`parent`). `url` is the link as pasted."""

    model_config = {"frozen": True}

    tracker: TrackerName
    kind: PageKind
    ref: str
    parent: str | None = None
    url: str
