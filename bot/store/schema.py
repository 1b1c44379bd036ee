"""The tables as they are now. An empty database gets them from here; older ones are upgraded by
the steps in migrations.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.store.models import require_aware


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: takes aware datetimes, stores UTC, returns aware UTC datetimes on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = require_aware(value, "a stored time").astimezone(UTC)
        # SQLite has no zone type: keep naive UTC text so comparisons stay lexical and correct.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
OWNER_LENGTH = 64


def claim_columns() -> list[Column[Any]]:
    """The columns of a claimable row (bot/store/claims.py): who holds it, the claim's generation
    (grows on every claim, never reset: the fencing token) and the end of its lease."""
    return [
        Column("claim_owner", String(OWNER_LENGTH)),
        Column("claim_generation", Integer, nullable=False, default=0, server_default="0"),
        Column("claim_until", UTCDateTime),
    ]


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
)

# Who writes as whom. `how`: "email" (the Slack email matched the Issuetrak user's; re-checked on
# every use), "admin" (an admin tied them) or "request" (an admin approved the person's request).
# An Issuetrak user belongs to at most one Slack person per workspace.
person_links = Table(
    "person_links",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("slack_user_id", String(32), primary_key=True),
    Column("issuetrak_user_id", String(255), nullable=False),
    Column("how", String(16), nullable=False, server_default="email"),
    Column("linked_by", String(32)),
    Column("linked_at", UTCDateTime),
    Index("uq_person_links_issuetrak_user", "team_id", "issuetrak_user_id", unique=True),
)

# Requests to be tied to an Issuetrak user whose email is not the person's, for an admin to decide.
# state: "pending", then "approved", "denied" or "withdrawn"; one pending request per person at a time.
link_requests = Table(
    "link_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("slack_user_id", String(32), nullable=False),
    Column("issuetrak_user_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(32)),
    Column("decided_at", UTCDateTime),
    Index(
        "uq_link_requests_pending",
        "team_id",
        "slack_user_id",
        unique=True,
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
)

# Every link decision: action is "link", "request", "approve", "deny" or "unlink"; `actor` did it,
# `subject` is the Slack person it was about.
link_audit = Table(
    "link_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(32), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("issuetrak_user_id", String(255)),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_link_audit_team_at", "team_id", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32)),
    Column("thread_ts", String(32)),
    Column("response_url", Text),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("result", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    *claim_columns(),  # schema version 4; `attempts` counts tries for the backoff, not claims
    Index("ix_outbox_due", "state", "next_attempt_at"),
)

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("scope", JSON, nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    # Whose rights the digest acts with (schema version 4): who set it up or last resumed it; it
    # pauses (paused_at) when they may no longer read what it shows.
    Column("owner", String(32)),
    Column("paused_at", UTCDateTime),
    UniqueConstraint("team_id", "channel_id", name="uq_digest_subscriptions_channel"),
)

digest_claims = Table(
    "digest_claims",
    metadata,
    Column("subscription_id", Integer, ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), primary_key=True),
    Column("due_date", Date, primary_key=True),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("posted_ts", String(32)),
    *claim_columns(),  # schema version 4
)

# Watches (schema version 3). A watch sends news of one item to a channel, or to a person by DM
# (`personal`, `destination` is then their user ID); ended watches stay (ended_at) so their last
# news can still be posted in their thread. One active watch per destination and item.
watches = Table(
    "watches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("personal", Boolean, nullable=False, default=False),
    Column("item_key", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tracker", String(32), nullable=False),
    Column("item_id", String(255), nullable=False),
    Column("name", Text, nullable=False),
    Column("ref_key", String(255)),
    Column("url", Text),
    Column("created_by", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("thread_ts", String(32)),
    Column("thread_channel", String(32)),  # where the thread is (a DM's D… ID; the destination may be a user ID)
    Column("ended_at", UTCDateTime),
    Column("ended_why", String(16)),
    *claim_columns(),  # schema version 4: the claim on posting the watch's news
    # Whose rights the watch acts with (schema version 5): who set it or last resumed it; a channel's
    # watch pauses (paused_at) when they may no longer read its item.
    Column("owner", String(32)),
    Column("paused_at", UTCDateTime),
    Index(
        "uq_watches_active",
        "team_id",
        "destination",
        "item_key",
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index("ix_watches_item", "item_key"),
)

# The watermark of each watched item: what its last poll saw (None: not polled yet). `version`
# is the compare-and-swap token: only the process that moves it on announces a change.
watch_items = Table(
    "watch_items",
    metadata,
    Column("item_key", String(255), primary_key=True),
    Column("snapshot", JSON),
    Column("version", Integer, nullable=False, default=0),
    Column("checked_at", UTCDateTime),
)

# News a poll recorded for a watch, in the same transaction as the watermark's advance; posted by
# whoever claims its watch (posted_ts the message, or "settled").
watch_news = Table(
    "watch_news",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("watch_id", Integer, ForeignKey("watches.id", ondelete="CASCADE"), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("posted_ts", String(32)),
    Index("ix_watch_news_pending", "posted_ts", "watch_id"),
)


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT on the connection's dialect (PostgreSQL or SQLite)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# The change feed (schema version 6): one row per feed (Issuetrak's: "issuetrak"). Its claim is
# the round's (one process reads the feed at a time); `cursor` is when its last round began, the
# SubmittedDate/ClosedDate after which the next round looks for new and closed issues.
feed_rounds = Table(
    "feed_rounds",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("cursor", UTCDateTime),
    *claim_columns(),
)

# Triage subscriptions (schema version 6): a channel hears of the new issues of a scope (the whole
# site, or one project) that its filters match, each posted as its card, and of the chosen later
# events in that card's thread. One active subscription per channel and scope; it acts with the
# rights of its owner and pauses (paused_at) when they may no longer read, as a watch does.
triage_subscriptions = Table(
    "triage_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False),
    Column("scope", String(64), nullable=False),  # "site", "project:<ProjectID>" or "production:<Zou id>"
    Column("scope_name", Text, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("events", JSON, nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("owner", String(32), nullable=False),
    Column("paused_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    *claim_columns(),  # the claim on posting the subscription's news
    Index(
        "uq_triage_subscriptions_active",
        "team_id",
        "channel_id",
        "scope",
        unique=True,
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
)

# Each issue a subscription announced: its card's message (the thread), and its watermark
# (`snapshot`, `version`: the compare-and-swap of later events, as `watch_items`).
triage_threads = Table(
    "triage_threads",
    metadata,
    Column("subscription_id", Integer, ForeignKey("triage_subscriptions.id", ondelete="CASCADE"), primary_key=True),
    Column("issue_number", Integer, primary_key=True, autoincrement=False),
    Column("snapshot", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("ts", String(32)),
)

# What a round recorded for a subscription, posted by whoever claims the subscription.
triage_news = Table(
    "triage_news",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscription_id", Integer, ForeignKey("triage_subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("issue_number", Integer, nullable=False),  # 0 for a Kitsu entity's news
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("posted_ts", String(32)),
    Column("entity_id", String(64)),  # schema version 7: the Kitsu entity (asset or shot) it is about
    Index("ix_triage_news_pending", "posted_ts", "subscription_id"),
)

# Kitsu production subscriptions (schema version 7). `kitsu_marks`: the status of each task of the
# production as the subscription last heard it (task id -> status id; its first round only records
# it), moved on with a compare-and-swap of `version`, its news in the same transaction.
kitsu_marks = Table(
    "kitsu_marks",
    metadata,
    Column("subscription_id", Integer, ForeignKey("triage_subscriptions.id", ondelete="CASCADE"), primary_key=True),
    Column("statuses", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=0),
)

# The thread of each entity a Kitsu subscription announced: the message its first change started.
kitsu_threads = Table(
    "kitsu_threads",
    metadata,
    Column("subscription_id", Integer, ForeignKey("triage_subscriptions.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", String(64), primary_key=True),
    Column("ts", String(32), nullable=False),
)

# Personal notifications (schema version 6). A person's choices (a row only once they chose, or once
# news was recorded for them: the defaults are in bot/store/notify.py), their quiet hours ("HH:MM",
# in their Slack time zone) and when they last changed them (the first round after is silent); the
# claim is on posting their DMs.
notify_settings = Table(
    "notify_settings",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("kinds", JSON, nullable=False),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("changed_at", UTCDateTime),
    *claim_columns(),
)

# Each issue's watermark for the notifications (the compare-and-swap of `version`, as `watch_items`).
notify_items = Table(
    "notify_items",
    metadata,
    Column("issue_number", Integer, primary_key=True, autoincrement=False),
    Column("snapshot", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=0),
)

notify_news = Table(
    "notify_news",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("issue_number", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("posted_ts", String(32)),
    Index("ix_notify_news_pending", "posted_ts", "team_id", "user_id"),
)
