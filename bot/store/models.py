"""What the store hands back: plain frozen records, their states, and the store's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from bot.errors import PersonFacingError


class StoreError(PersonFacingError):
    """The store cannot do what was asked; str(err) is a sentence safe to show a person."""


class StoreUnavailable(StoreError):
    """The database did not answer (down, refused the connection, or timed out)."""


class OutboxKind(StrEnum):
    NOTE = "note"
    ISSUE = "issue"
    KITSU_COMMENT = "kitsu_comment"  # a comment on a Kitsu task, which also sets its status
    CHANGE = "change"  # one field of an issue, and the note saying so (bot.services.changes)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUSED = "refused"  # its person may no longer write it (decided when it went out): never sent, never retried
    CANCELLED = "cancelled"  # replaced, unsent, by a correction from the same form (which may bring it back)


class IdentityLinkHow(StrEnum):
    """How a Slack person came to write as an Issuetrak user."""

    EMAIL = "email"  # their Slack email is the Issuetrak user's (re-checked on every use)
    ADMIN = "admin"  # an admin tied them
    REQUEST = "request"  # an admin approved their request


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"  # by the person, or because no admin could be told


class AuditAction(StrEnum):
    LINK = "link"
    REQUEST = "request"
    APPROVE = "approve"
    DENY = "deny"
    UNLINK = "unlink"


@dataclass(frozen=True, slots=True)
class IdentityLink:
    """A Slack person (team, user) tied to an Issuetrak user; `linked_by` and `linked_at` are
    unknown (None) for links carried over from schema version 1."""

    team_id: str
    slack_user_id: str
    issuetrak_user_id: str
    how: IdentityLinkHow
    linked_by: str | None
    linked_at: datetime | None


@dataclass(frozen=True, slots=True)
class IdentityLinkRequest:
    id: int
    team_id: str
    slack_user_id: str
    issuetrak_user_id: str
    state: RequestState
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link decision: `actor` did `action` about the Slack person `subject`."""

    action: AuditAction
    actor: str
    subject: str
    issuetrak_user_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked for a write and where to answer them."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None


class _WritePayload(BaseModel):
    """What an outbox row carries to write (its `payload` column, JSON): the model is dumped with
    `model_dump(mode="json")` when stored and validated when read. Keys a row does not know are
    ignored, so a row written by an older version still reads."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    html: str  # the note's text, or the new issue's description, as Issuetrak HTML
    sent_at: datetime | None = None  # when a write was last sent without a known answer (the store sets it)


class NotePayload(_WritePayload):
    issue: int
    private: bool = False


class IssuePayload(_WritePayload):
    subject: str
    type: int
    priority: int
    project: int | None = None  # an Issuetrak project ID (a Workflow Builder step may name one)


class CommentPayload(_WritePayload):
    """A Kitsu comment: `html` is its text as Kitsu takes it (Markdown), `created_by` the Zou
    person it is written as, `task` and `status` Zou ids, `task_name` what the person is told."""

    task: str
    status: str
    task_name: str = ""  # "Moonrise / Luna / Modeling"
    status_name: str = ""
    task_url: str = ""  # the task's page in Kitsu (a Workflow Builder step's output)


class ChangePayload(_WritePayload):
    """One field of an issue set to `value`, and the note that says so, as one write under one
    tag: `html` is the note's footer (who, from where, the tag); the line with the old and new
    values is written when the change is sent, from what Issuetrak shows then."""

    issue: int
    field: str  # the UpdateIssueDTO field ("PriorityID")
    value: str | int | None  # the new value, as Issuetrak takes it
    label: str  # the new value as people read it ("Urgent")
    seen: str | int | None = None  # what the card showed when clicked (`seen_known`)
    seen_known: bool = False  # False: no card said what it was (a command), so nothing to compare
    seen_label: str = ""
    force: bool = False  # "Apply anyway": the person saw the newer value and still wants theirs
    private: bool = True  # the note (CHANGE_NOTES, when the change was asked for)
    by: str = ""  # the Slack user who asked (named in the watches' news)


OutboxPayload = NotePayload | IssuePayload | CommentPayload | ChangePayload
PAYLOAD_OF: dict[OutboxKind, type[NotePayload] | type[IssuePayload] | type[CommentPayload] | type[ChangePayload]] = {
    OutboxKind.NOTE: NotePayload,
    OutboxKind.ISSUE: IssuePayload,
    OutboxKind.KITSU_COMMENT: CommentPayload,
    OutboxKind.CHANGE: ChangePayload,
}


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim on one row of once-only work (bot/store/claims.py): `kind` names the table and `key`
    the row; `generation` is the fencing token (grows on every claim, never reset); `until` is
    when the lease runs out unless renewed; `owner` is the process that took it."""

    kind: str
    key: tuple[Any, ...]
    owner: str
    generation: int
    until: datetime


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One tracker write. `attempts` counts its tries (for the backoff); while `state` is sending,
    `claim` is the worker's (its lease and generation), else None. `payload` is None when the
    stored JSON does not read as its kind's payload (the row can only fail)."""

    id: int
    key: str
    kind: OutboxKind
    payload: OutboxPayload | None
    requester: Requester
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    delivered_at: datetime | None
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's daily digest: posted at `time` ("HH:MM") in `timezone`; an empty scope means everything."""

    id: int
    team_id: str
    channel_id: str
    time: str
    timezone: str
    scope: tuple[str, ...]
    created_by: str
    created_at: datetime
    owner: str | None = None  # whose rights it acts with: who set it up or last resumed it
    paused_at: datetime | None = None  # since when it waits for someone who may read to resume it


class DueDigest(NamedTuple):
    """A subscription whose digest for the local date `due_date` has not been claimed yet."""

    subscription: Subscription
    due_date: date


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """Refuse naive datetimes: the store compares instants, never wall-clock readings."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


class WatchKind(StrEnum):
    ISSUE = "issue"
    PROJECT = "project"


class WatchEnd(StrEnum):
    """Why a watch ended."""

    UNWATCHED = "unwatched"  # someone stopped it
    GONE = "gone"  # the item disappeared or became unreadable
    CLOSED = "closed"  # Slack no longer lets the bot post where its news goes


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """What is watched: an Issuetrak issue (`tracker` "issuetrak", `item_id` its number) or a
    project of a tracker (`item_id` the id its card carries). `name` and `key` are how people
    named it when the watch was made (for lists and `unwatch project <ref>`)."""

    kind: WatchKind
    tracker: str
    item_id: str
    name: str
    key: str | None = None
    url: str | None = None

    @property
    def item_key(self) -> str:
        """One watched item, whichever channels watch it: "issue:1001", "project:kitsu:<id>"."""
        if self.kind is WatchKind.ISSUE:
            return f"issue:{self.item_id}"
        return f"project:{self.tracker}:{self.item_id}"


@dataclass(frozen=True, slots=True)
class Watch:
    """A channel's (or, `personal`, a person's: `destination` is then their user ID) watch of one
    item; its news goes into the thread whose parent is `thread_ts` (None until the first news),
    in `thread_channel` (the channel Slack posted the parent in: a DM's ID for a personal watch)."""

    id: int
    team_id: str
    destination: str
    personal: bool
    target: WatchTarget
    created_by: str
    created_at: datetime
    thread_ts: str | None
    thread_channel: str | None
    ended_at: datetime | None
    ended_why: WatchEnd | None
    owner: str | None = None  # whose rights it acts with: who set it or last resumed it
    paused_at: datetime | None = None  # a channel's watch whose owner may no longer read waits here


class WatchAdded(StrEnum):
    ADDED = "added"
    ALREADY = "already"  # the destination watches this item already
    FULL = "full"  # the destination has as many watches as it may


@dataclass(frozen=True, slots=True)
class WatchedItem:
    """One item some active watch follows, with its watermark: `snapshot` None until its first
    poll; `version` changes with every advance (the compare-and-swap token)."""

    target: WatchTarget
    snapshot: dict[str, Any] | None
    version: int


@dataclass(frozen=True, slots=True)
class WatchNews:
    """News to post for one watch (`body`, as the poll recorded it)."""

    id: int
    watch_id: int
    body: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewsClaim:
    """A watch's news, claimed together in order (so its thread's parent is posted once) under the
    watch's claim."""

    watch: Watch
    news: tuple[WatchNews, ...]
    claim: Claim


class Subscribed(StrEnum):
    ADDED = "added"
    UPDATED = "updated"  # the channel had a subscription of this scope: changed, never doubled
    FULL = "full"  # the channel has as many subscriptions as it may


@dataclass(frozen=True, slots=True)
class TriageSubscription:
    """A triage channel's subscription: the new issues of `scope` ("site" or "project:<id>") that
    `filters` match ({field: {"in": [...], "out": [...]}}), and the later `events` it hears of."""

    id: int
    team_id: str
    channel_id: str
    scope: str
    scope_name: str
    filters: dict[str, dict[str, list[str]]]
    events: tuple[str, ...]
    created_by: str
    created_at: datetime
    owner: str
    paused_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TriageThread:
    """An issue a subscription announced: its watermark and its card's message."""

    subscription_id: int
    issue_number: int
    snapshot: dict[str, Any]
    version: int
    ts: str | None


@dataclass(frozen=True, slots=True)
class TriageNews:
    id: int
    subscription_id: int
    issue_number: int
    body: dict[str, Any]
    entity_id: str | None = None  # a Kitsu subscription's news: the entity it is about


@dataclass(frozen=True, slots=True)
class KitsuMark:
    """The status of each task of a Kitsu subscription's production as it last heard them
    (task id -> status id), and the version its next compare-and-swap expects."""

    subscription_id: int
    statuses: dict[str, str]
    version: int


@dataclass(frozen=True, slots=True)
class TriageClaim:
    """A subscription's pending news, claimed for posting (the store's one claim, on its row)."""

    subscription: TriageSubscription
    news: tuple[TriageNews, ...]
    claim: Claim
