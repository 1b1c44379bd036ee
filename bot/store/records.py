"""What the store hands back: plain frozen records, their states, and the store's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict


class StoreError(Exception):
    """The store cannot do what was asked; str(err) is a sentence safe to show a person."""


class StoreUnavailable(StoreError):
    """The database did not answer (down, refused the connection, or timed out)."""


class OutboxKind(StrEnum):
    NOTE = "note"
    ISSUE = "issue"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class LinkHow(StrEnum):
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
class PersonLink:
    """A Slack person (team, user) tied to an Issuetrak user; `linked_by` and `linked_at` are
    unknown (None) for links carried over from schema version 1."""

    team_id: str
    slack_user_id: str
    issuetrak_user_id: str
    how: LinkHow
    linked_by: str | None
    linked_at: datetime | None


@dataclass(frozen=True, slots=True)
class LinkRequest:
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
    created_by: str | None = None  # the Issuetrak user; None while Issuetrak was down when recorded
    email: str | None = None  # the person's Slack email, to find `created_by` later
    sent_at: datetime | None = None  # when a write was last sent without a known answer (the store sets it)


class NotePayload(_WritePayload):
    issue: int
    private: bool = False


class IssuePayload(_WritePayload):
    subject: str
    type: int
    priority: int


OutboxPayload = NotePayload | IssuePayload
PAYLOAD_OF: dict[OutboxKind, type[NotePayload] | type[IssuePayload]] = {
    OutboxKind.NOTE: NotePayload,
    OutboxKind.ISSUE: IssuePayload,
}


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One tracker write. While `state` is sending, `next_attempt_at` is the end of the worker's lease.
    `payload` is None when the stored JSON does not read as its kind's payload (the row can only fail)."""

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


class DueDigest(NamedTuple):
    """A subscription whose digest for the local date `due_date` has not been claimed yet."""

    subscription: Subscription
    due_date: date


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """Refuse naive datetimes: the store compares instants, never wall-clock readings."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment
