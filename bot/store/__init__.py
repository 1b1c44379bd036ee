"""trackerbot's store: person links, link requests and their audit, the outbox of tracker writes,
digest subscriptions and claims, watches with their watermarks and news; once-only work is held
under one kind of claim (bot/store/claims.py).

`Store(DATABASE_URL)` opens SQLite or PostgreSQL and upgrades the schema itself; every operation is
async (one transaction in a worker thread) and takes the current time as an argument.
"""

from bot.store.digest_subscriptions import DigestStore, local_due_date
from bot.store.feeds import FeedStore
from bot.store.identity_links import Decision, IdentityLinkStore
from bot.store.models import (
    AuditAction,
    AuditEntry,
    Claim,
    DueDigest,
    IdentityLink,
    IdentityLinkHow,
    IdentityLinkRequest,
    IssuePayload,
    KitsuMark,
    NewsClaim,
    NotePayload,
    OutboxItem,
    OutboxKind,
    OutboxPayload,
    OutboxState,
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
from bot.store.notify import NotifyStore
from bot.store.outbox import OutboxStore
from bot.store.triage import TriageStore
from bot.store.watches import WatchStore


class Store(IdentityLinkStore, OutboxStore, DigestStore, WatchStore, FeedStore, TriageStore, NotifyStore):
    """The whole store; see each part's module for what its operations promise."""


__all__ = [
    "AuditAction",
    "AuditEntry",
    "Claim",
    "Decision",
    "DueDigest",
    "IdentityLink",
    "IdentityLinkHow",
    "IdentityLinkRequest",
    "IssuePayload",
    "KitsuMark",
    "NewsClaim",
    "NotePayload",
    "OutboxItem",
    "OutboxKind",
    "OutboxPayload",
    "OutboxState",
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
