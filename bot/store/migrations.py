"""Brings the database's schema up to date, run by the app itself when a Store opens.

An empty database gets the current tables from schema.py and is stamped with every version.
A database at an older version runs each later step of UPGRADES, in order. All of it happens in
one transaction under a lock (a PostgreSQL advisory lock; on SQLite the write lock that BEGIN
IMMEDIATE takes), so processes starting together upgrade once and the others then see it done.

To change a table: change schema.py, then append a Migration that alters an existing database to
that same shape, numbered one more than the last.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Table, delete, func, insert, inspect, select, tuple_, update

from bot.store.models import OutboxState, StoreError
from bot.store.schema import (
    digest_claims,
    feed_rounds,
    kitsu_marks,
    kitsu_threads,
    link_audit,
    link_requests,
    metadata,
    notify_items,
    notify_news,
    notify_settings,
    outbox,
    person_links,
    schema_version,
    triage_news,
    triage_subscriptions,
    triage_threads,
    watch_items,
    watch_news,
    watches,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[Connection], None]


BASELINE_VERSION = 1
BASELINE_DESCRIPTION = "person links, tracker-write outbox, digest subscriptions and claims"
LEGACY_DIGEST_LEASE = timedelta(minutes=10)  # how long a digest claim held before version 4


def _add_column(conn: Connection, table: Table, name: str) -> None:
    """Add one of the table's columns, as schema.py has it, to an existing table (a server default
    makes it NOT NULL, filled in for the rows already there)."""
    column = table.c[name]
    ddl = f"ALTER TABLE {table.name} ADD COLUMN {name} {column.type.compile(dialect=conn.dialect)}"
    if column.server_default is not None:
        ddl += f" DEFAULT '{column.server_default.arg}' NOT NULL"  # type: ignore[attr-defined]
    conn.exec_driver_sql(ddl)


def _identity_links(conn: Connection) -> None:
    """Version 2: how and by whom each link was made, one Slack person per Issuetrak user, link
    requests and the audit of link decisions.

    Version 1 links were self-service and unchecked, so each becomes an email link: it counts only
    while the person's Slack email matches that Issuetrak user. Issuetrak users that several people
    had tied themselves to are let go (their rightful owner is matched again by email)."""
    links = person_links.c
    for name in ("how", "linked_by", "linked_at"):
        _add_column(conn, person_links, name)
    conn.execute(update(person_links).values(linked_by=links.slack_user_id))
    shared = (
        select(links.team_id, links.issuetrak_user_id)
        .group_by(links.team_id, links.issuetrak_user_id)
        .having(func.count() > 1)
    )
    conn.execute(delete(person_links).where(tuple_(links.team_id, links.issuetrak_user_id).in_(shared)))
    for index in person_links.indexes:
        index.create(conn)
    link_requests.create(conn)
    link_audit.create(conn)


def _watches(conn: Connection) -> None:
    """Version 3: watches, the watermark of each watched item, and the news waiting to be posted."""
    for table in (watches, watch_items, watch_news):
        table.create(conn)


def _claims(conn: Connection) -> None:
    """Version 4: one claim for every once-only job (bot/store/claims.py): owner, generation and
    lease on outbox rows, digest days and watches (for their news).

    A row being sent keeps its lease (it was `next_attempt_at`) and its generations start at its
    count of attempts, so a claim taken before the upgrade stays fenced. A digest still being
    posted keeps its lease of LEGACY_DIGEST_LEASE from when it was claimed. News claimed but not
    posted is free again (those claims were per piece; the claim is now on the watch).

    Version 3 creates the watch tables as schema.py has them now: a column is added, or dropped,
    only where the database does not have it so yet."""
    found = inspect(conn)
    for table in (outbox, digest_claims, watches):
        have = {column["name"] for column in found.get_columns(table.name)}
        for name in ("claim_owner", "claim_generation", "claim_until"):
            if name not in have:
                _add_column(conn, table, name)
    conn.execute(update(outbox).values(claim_generation=outbox.c.attempts))
    sending = outbox.c.state == OutboxState.SENDING.value
    conn.execute(update(outbox).where(sending).values(claim_until=outbox.c.next_attempt_at))
    days = digest_claims.c
    for row in conn.execute(
        select(days.subscription_id, days.due_date, days.claimed_at).where(days.posted_ts.is_(None))
    ):
        conn.execute(
            update(digest_claims)
            .where(days.subscription_id == row.subscription_id, days.due_date == row.due_date)
            .values(claim_generation=1, claim_until=row.claimed_at + LEGACY_DIGEST_LEASE)
        )
    if "claimed_at" in {column["name"] for column in found.get_columns("watch_news")}:
        conn.exec_driver_sql("ALTER TABLE watch_news DROP COLUMN claimed_at")


def _owners(conn: Connection) -> None:
    """Version 5: the owner of each watch and digest (whose rights it acts with) and when it paused.

    Every existing watch and digest recorded who set it (`created_by`), and that person passed the
    read rules then: they become its owner. The next watch round or digest run checks them again,
    so one who may no longer read pauses it before anything more is posted; nothing is trusted
    that was not checked when it was set."""
    paused = watches.c.paused_at.type.compile(dialect=conn.dialect)
    for table in ("watches", "digest_subscriptions"):
        # Versions 3 and 4 made `watches` as schema.py has it now: only the columns it lacks are added.
        present = {column["name"] for column in inspect(conn).get_columns(table)}
        for name, ddl in (("owner", "VARCHAR(32)"), ("paused_at", paused)):
            if name not in present:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}")
        conn.exec_driver_sql(f"UPDATE {table} SET owner = created_by WHERE owner IS NULL")


def _feeds(conn: Connection) -> None:
    """Version 6: the change feed's rounds (their claim and cursor), and the triage channels'
    subscriptions, the threads of the issues they announced and their news; personal
    notifications' settings, watermarks and news."""
    for table in (
        feed_rounds,
        triage_subscriptions,
        triage_threads,
        triage_news,
        notify_settings,
        notify_items,
        notify_news,
    ):
        table.create(conn)


def _kitsu_subscriptions(conn: Connection) -> None:
    """Version 7: Kitsu production subscriptions: each one's task statuses as last heard, the
    thread of each entity it announced, and which entity a piece of news is about."""
    if "entity_id" not in {column["name"] for column in inspect(conn).get_columns("triage_news")}:
        _add_column(conn, triage_news, "entity_id")
    for table in (kitsu_marks, kitsu_threads):
        table.create(conn, checkfirst=True)


UPGRADES: tuple[Migration, ...] = (
    Migration(2, "link provenance, one Slack person per Issuetrak user, link requests and audit", _identity_links),
    Migration(3, "watches, their items' watermarks and news", _watches),
    Migration(4, "one claim (owner, generation, lease) for outbox rows, digests and watch news", _claims),
    Migration(5, "the owner of each watch and digest, and when it paused", _owners),
    Migration(6, "the change feed's rounds; triage subscriptions; personal notifications", _feeds),
    Migration(7, "Kitsu production subscriptions: task statuses heard, entity threads", _kitsu_subscriptions),
)

# pg_advisory_xact_lock takes a bigint; any fixed number unique to this purpose will do.
_PG_LOCK_KEY = zlib.crc32(b"trackerbot.store.migrations")


def migrate(conn: Connection, upgrades: Sequence[Migration] = UPGRADES) -> int:
    """Upgrade the schema inside the caller's transaction; return the version it is now at."""
    expected = list(range(BASELINE_VERSION + 1, BASELINE_VERSION + 1 + len(upgrades)))
    if [step.version for step in upgrades] != expected:
        raise ValueError(f"upgrades must be numbered {expected}, in order")
    latest = upgrades[-1].version if upgrades else BASELINE_VERSION

    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
    schema_version.create(conn, checkfirst=True)
    current = conn.execute(select(func.max(schema_version.c.version))).scalar_one()

    if current is None:
        metadata.create_all(conn)
        versions = [(BASELINE_VERSION, BASELINE_DESCRIPTION)]
        versions += [(step.version, step.description) for step in upgrades]
        conn.execute(insert(schema_version), [{"version": v, "description": d} for v, d in versions])
        logger.info("created the database schema at version %d", latest)
        return latest
    if current > latest:
        raise StoreError(
            f"The database was set up by a newer trackerbot (schema version {current}, this one "
            f"knows up to {latest}); upgrade trackerbot before starting it."
        )
    for step in upgrades:
        if step.version > current:
            step.upgrade(conn)
            conn.execute(insert(schema_version).values(version=step.version, description=step.description))
            logger.info("upgraded the database schema to version %d: %s", step.version, step.description)
    return latest
