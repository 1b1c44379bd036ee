"""trackerbot's store: person links, link requests and their audit, the outbox of tracker writes,
digest subscriptions and claims, watches with their watermarks and news; once-only work is held
under one kind of claim (bot/store/claims.py).

`Store(DATABASE_URL)` opens SQLite or PostgreSQL and upgrades the schema itself; every operation is
async (one transaction in a worker thread) and takes the current time as an argument.
"""

from bot.store.digests import DigestStore, local_due_date
from bot.store.feeds import FeedStore
from bot.store.notify import NotifyStore
from bot.store.outbox import OutboxStore
from bot.store.people import Decision, PeopleStore
from bot.store.records import (
    AuditAction,
    AuditEntry,
    Claim,
    DueDigest,
    IssuePayload,
    KitsuMark,
    LinkHow,
    LinkRequest,
    NewsClaim,
    NotePayload,
    OutboxItem,
    OutboxKind,
    OutboxPayload,
    OutboxState,
    PersonLink,
    Requester,
    RequestState,
    StoreError,
    StoreUnavailable,
    Subscribed,
    Subscription,
    TriageClaim,
    TriageNews,
    TriageSubscription,
    TriageThread,
    Watch,
    WatchAdded,
    WatchedItem,
    WatchEnd,
    WatchKind,
    WatchNews,
    WatchTarget,
)
from bot.store.triage import TriageStore
from bot.store.watches import WatchStore


class Store(PeopleStore, OutboxStore, DigestStore, WatchStore, FeedStore, TriageStore, NotifyStore):
    """The whole store; see each part's module for what its operations promise."""


__all__ = [
    "AuditAction",
    "AuditEntry",
    "Claim",
    "Decision",
    "DueDigest",
    "IssuePayload",
    "KitsuMark",
    "LinkHow",
    "LinkRequest",
    "NewsClaim",
    "NotePayload",
    "OutboxItem",
    "OutboxKind",
    "OutboxPayload",
    "OutboxState",
    "PersonLink",
    "RequestState",
    "Requester",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Subscribed",
    "Subscription",
    "TriageClaim",
    "TriageNews",
    "TriageSubscription",
    "TriageThread",
    "Watch",
    "WatchAdded",
    "WatchEnd",
    "WatchKind",
    "WatchNews",
    "WatchTarget",
    "WatchedItem",
    "local_due_date",
]
