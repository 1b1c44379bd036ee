"""The store against real databases: every test that takes `store`, `store_pair` or `store_url` runs
on an SQLite file and on PostgreSQL. Races use two Stores (two engines, like two processes) and
calls released together from many threads, each with its own event loop and connection."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, delete, insert, inspect, select

from bot.store import (
    AuditAction,
    Claim,
    IdentityLinkHow,
    IssuePayload,
    NotePayload,
    OutboxItem,
    OutboxKind,
    OutboxState,
    Requester,
    RequestState,
    Store,
    StoreError,
    StoreUnavailable,
)
from bot.store.engine import database_url, open_engine
from bot.store.migrations import UPGRADES, Migration, migrate
from bot.store.schema import (
    digest_subscriptions,
    metadata,
    schema_version,
    watches,
)
from tests.fixtures.store import fresh_pg_schema

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
LATEST = 1 + len(UPGRADES)
ALICE = Requester(team_id="T1", user_id="U1", channel_id="C1", thread_ts="1736942400.000100")
A_NOTE = NotePayload(issue=123, html="<p>Printer jams</p>")
T = TypeVar("T")


async def race(runners: int, call: Callable[[int], Coroutine[Any, Any, T]]) -> list[T]:
    """Run call(0) ... call(runners - 1) at the same instant, each in its own thread and event loop."""
    barrier = threading.Barrier(runners)

    def run(n: int) -> T:
        barrier.wait(timeout=10)
        return asyncio.run(call(n))

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(runners) as pool:
        return await asyncio.gather(*(loop.run_in_executor(pool, run, n) for n in range(runners)))


def versions(url: str) -> list[int]:
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            return list(conn.execute(select(schema_version.c.version).order_by("version")).scalars())
    finally:
        engine.dispose()


# --- URLs and start-up -------------------------------------------------------------------------


def test_database_url_maps_each_accepted_form_to_an_installed_driver() -> None:
    assert database_url("postgresql://u:p@db/trackerbot").drivername == "postgresql+psycopg"
    assert database_url("postgres://u:p@db/trackerbot").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///trackerbot.db").database == "trackerbot.db"
    assert database_url("sqlite://").database is None


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db/x", "not a url hunter2"])
def test_unsupported_database_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store(url)
    assert "hunter2" not in str(caught.value)
    assert "postgresql://" in str(caught.value)


def test_unreachable_database_is_a_friendly_error_without_the_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        Store("postgresql://trackerbot:hunter2@127.0.0.1:1/trackerbot")
    assert "hunter2" not in str(caught.value)
    assert "not answering" in str(caught.value)


async def test_in_memory_sqlite_is_one_database_across_threads() -> None:
    store = Store("sqlite://")
    await asyncio.gather(
        *(
            store.link_person("T1", f"U{n}", f"user{n}", how=IdentityLinkHow.ADMIN, by="UADMIN", now=NOW)
            for n in range(20)
        )
    )
    assert [(await linked(store, "T1", f"U{n}")) for n in range(20)] == [f"user{n}" for n in range(20)]
    await store.aclose()


# --- migrations --------------------------------------------------------------------------------


async def test_opening_twice_keeps_schema_and_data(store_url: str) -> None:
    first = Store(store_url)
    await first.link_person("T1", "U1", "alice", how=IdentityLinkHow.EMAIL, by="U1", now=NOW)
    second = Store(store_url)
    assert first.schema_version == second.schema_version == LATEST
    assert await linked(second, "T1", "U1") == "alice"
    assert versions(store_url) == list(range(1, LATEST + 1))
    await first.aclose()
    await second.aclose()


def test_concurrent_start_creates_the_schema_once(store_url: str) -> None:
    starters = 6
    barrier = threading.Barrier(starters)
    opened: list[Store] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            opened.append(Store(store_url))
        except BaseException as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [store.schema_version for store in opened] == [LATEST] * starters
    assert versions(store_url) == list(range(1, LATEST + 1))
    for store in opened:
        asyncio.run(store.aclose())


CLAIM_COLUMNS = ("claim_owner", "claim_generation", "claim_until")  # schema version 4
# Tables version 1 did not have (or had in another shape).
V1_ABSENT = (
    "schema_version",
    "person_links",
    "link_requests",
    "link_audit",
    "watches",
    "watch_items",
    "watch_news",
    "feed_rounds",
    "triage_subscriptions",
    "triage_threads",
    "triage_news",
    "notify_settings",
    "notify_items",
    "notify_news",
    "kitsu_marks",
    "kitsu_threads",
)


def v1_database(url: str, links: list[tuple[str, str, str]]) -> None:
    """A database as trackerbot left it at schema version 1 (the tables as they were then), with
    these (team, slack user, issuetrak user) links."""
    old = MetaData()
    Table(
        "schema_version",
        old,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("description", Text, nullable=False),
    )
    v1_links = Table(
        "person_links",
        old,
        Column("team_id", String(32), primary_key=True),
        Column("slack_user_id", String(32), primary_key=True),
        Column("issuetrak_user_id", String(255), nullable=False),
    )
    for table in metadata.sorted_tables:  # the other tables have not changed since version 1
        if table.name not in V1_ABSENT:
            table.to_metadata(old)
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            old.create_all(conn)
            for name in ("outbox", "digest_claims"):  # the claim's columns came with version 4
                for column in CLAIM_COLUMNS:
                    conn.exec_driver_sql(f"ALTER TABLE {name} DROP COLUMN {column}")
            drop_owner_columns(conn, ("digest_subscriptions",))
            conn.execute(insert(old.tables["schema_version"]).values(version=1, description="baseline"))
            if links:
                conn.execute(
                    insert(v1_links), [{"team_id": t, "slack_user_id": u, "issuetrak_user_id": i} for t, u, i in links]
                )
    finally:
        engine.dispose()


def shape(url: str) -> dict[str, Any]:
    """The tables, their columns (name, type, nullable) and indexes, as the database reports them."""
    engine = open_engine(url)
    try:
        found = inspect(engine)
        return {
            table: (
                sorted(
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in found.get_columns(table)
                ),
                sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)),
            )
            for table in sorted(found.get_table_names())
        }
    finally:
        engine.dispose()


def assert_shaped_like_fresh(store_url: str, tmp_path: Path) -> None:
    """The upgraded database at `store_url` has exactly the shape a fresh one is created with."""
    with ExitStack() as stack:
        fresh = (
            f"sqlite:///{tmp_path / 'fresh.db'}"
            if store_url.startswith("sqlite")
            else stack.enter_context(fresh_pg_schema(os.environ["TEST_POSTGRES_URL"]))
        )
        asyncio.run(Store(fresh).aclose())
        assert shape(store_url) == shape(fresh)


def test_a_version_1_database_is_upgraded_to_the_shape_of_a_new_one(store_url: str, tmp_path) -> None:
    v1_database(
        store_url, [("T1", "U1", "amartin"), ("T1", "U2", "bnguyen"), ("T1", "U3", "bnguyen"), ("T2", "U2", "bnguyen")]
    )
    upgraded = Store(store_url)
    assert upgraded.schema_version == LATEST and versions(store_url) == list(range(1, LATEST + 1))

    async def check() -> None:
        # Version 1 links were self-service: each now counts only while the email matches.
        kept = await upgraded.identity_link("T1", "U1")
        assert kept and (kept.issuetrak_user_id, kept.how, kept.linked_by) == ("amartin", IdentityLinkHow.EMAIL, "U1")
        # Two people had tied themselves to bnguyen in T1: neither keeps it; T2's one does.
        assert await upgraded.identity_link("T1", "U2") is None and await upgraded.identity_link("T1", "U3") is None
        assert await linked(upgraded, "T2", "U2") == "bnguyen"
        # The new tables and the one-person-per-user rule work on the upgraded database.
        taken = await upgraded.link_person("T1", "U9", "amartin", how=IdentityLinkHow.ADMIN, by="UADMIN", now=NOW)
        assert taken.slack_user_id == "U1"
        assert (await upgraded.request_link("T1", "U9", "cdubois", NOW))[1] is True
        await upgraded.aclose()

    asyncio.run(check())
    assert_shaped_like_fresh(store_url, tmp_path)


LATER_TABLES = tuple(metadata.tables[name] for name in V1_ABSENT[7:])  # schema version 6's and 7's
OWNERS_VERSION = next(step.version for step in UPGRADES if step.description.startswith("the owner of each watch"))


def drop_owner_columns(conn: Connection, tables: tuple[str, ...] = ("watches", "digest_subscriptions")) -> None:
    """Take the columns the owners' migration adds off `tables`, as they were before it."""
    for table in tables:
        for column in ("owner", "paused_at"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")


def test_watches_and_digests_from_before_owners_are_owned_by_whoever_set_them(store_url: str, tmp_path) -> None:
    """The owners' migration: each existing watch and digest acts for who set it (the next round
    checks them again), none paused; the database ends in the shape of a new one."""
    asyncio.run(Store(store_url).aclose())
    engine = open_engine(store_url)
    try:
        with engine.begin() as conn:  # as before the owners' migration, with a watch and a digest
            drop_owner_columns(conn)
            for later in reversed(LATER_TABLES):  # and every later one
                later.drop(conn)
            conn.execute(delete(schema_version).where(schema_version.c.version >= OWNERS_VERSION))
            conn.execute(
                insert(watches).values(
                    team_id="T1",
                    destination="C1",
                    personal=False,
                    item_key="issue:1001",
                    kind="issue",
                    tracker="issuetrak",
                    item_id="1001",
                    name="Printer",
                    created_by="U1",
                    created_at=NOW,
                )
            )
            conn.execute(
                insert(digest_subscriptions).values(
                    team_id="T1",
                    channel_id="C1",
                    time="09:00",
                    timezone="UTC",
                    scope=[],
                    created_by="U2",
                    created_at=NOW,
                    enabled=True,
                )
            )
    finally:
        engine.dispose()
    upgraded = Store(store_url)
    assert upgraded.schema_version == LATEST and versions(store_url) == list(range(1, LATEST + 1))

    async def check() -> None:
        [watch] = await upgraded.watches_at("T1", "C1")
        assert (watch.owner, watch.paused_at) == ("U1", None)
        sub = await upgraded.subscription("T1", "C1")
        assert sub is not None and (sub.owner, sub.paused_at) == ("U2", None)
        assert [w.id for w in await upgraded.pause_watches([watch.id], "U1", NOW)] == [watch.id]
        assert await upgraded.pause_digest(sub.id, "U2", NOW)
        await upgraded.aclose()

    asyncio.run(check())
    assert_shaped_like_fresh(store_url, tmp_path)


KITSU_VERSION = next(step.version for step in UPGRADES if step.description.startswith("Kitsu production"))


def test_a_version_6_database_gets_kitsu_subscriptions_and_keeps_its_triage_news(store_url: str, tmp_path) -> None:
    """Schema version 7: triage news gains the entity a Kitsu piece is about, and the Kitsu marks
    and threads tables come; a subscription and its waiting news are kept; the database ends in
    the shape of a new one."""
    asyncio.run(Store(store_url).aclose())
    engine = open_engine(store_url)
    try:
        with engine.begin() as conn:  # as before version 7, with a subscription and a piece of its news
            for table in ("kitsu_threads", "kitsu_marks"):
                conn.exec_driver_sql(f"DROP TABLE {table}")
            if conn.dialect.name == "sqlite":  # an index on the table keeps SQLite from dropping no column of it
                conn.exec_driver_sql("DROP INDEX ix_triage_news_pending")
            conn.exec_driver_sql("ALTER TABLE triage_news DROP COLUMN entity_id")
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("CREATE INDEX ix_triage_news_pending ON triage_news (posted_ts, subscription_id)")
            conn.execute(delete(schema_version).where(schema_version.c.version >= KITSU_VERSION))
            subscriptions, news = metadata.tables["triage_subscriptions"], metadata.tables["triage_news"]
            sub = conn.execute(
                insert(subscriptions)
                .values(
                    team_id="T1",
                    channel_id="C1",
                    scope="site",
                    scope_name="all Issuetrak issues",
                    filters={},
                    events=["new"],
                    created_by="U1",
                    created_at=NOW,
                    owner="U1",
                )
                .returning(subscriptions.c.id)
            ).scalar_one()
            conn.execute(
                insert(news).values(subscription_id=sub, issue_number=1001, body={"kind": "new"}, created_at=NOW)
            )
    finally:
        engine.dispose()

    upgraded = Store(store_url)
    assert upgraded.schema_version == LATEST and versions(store_url)[-1] == KITSU_VERSION

    async def check() -> None:
        [claimed] = await upgraded.claim_triage_news(NOW, 10, 60)
        assert [(p.issue_number, p.entity_id) for p in claimed.news] == [(1001, None)]
        assert await upgraded.first_kitsu_mark(claimed.subscription.id, {"task": "status"})
        await upgraded.aclose()

    asyncio.run(check())
    assert_shaped_like_fresh(store_url, tmp_path)


def test_upgrades_run_once_in_order_and_a_newer_schema_is_refused(store_url: str) -> None:
    v1_database(store_url, [])
    ran: list[int] = []

    def add_column(conn: Connection) -> None:
        ran.append(2)
        conn.exec_driver_sql("ALTER TABLE person_links ADD COLUMN linked_by VARCHAR(32)")

    upgrades = [Migration(2, "who made the link", add_column)]
    engine = open_engine(store_url)
    try:
        for _ in range(2):
            with engine.begin() as conn:
                assert migrate(conn, upgrades) == 2
        with pytest.raises(ValueError, match="in order"), engine.begin() as conn:
            migrate(conn, [Migration(3, "skips 2", add_column)])
        with engine.begin() as conn:
            conn.execute(insert(schema_version).values(version=LATEST + 1, description="from the future"))
    finally:
        engine.dispose()
    assert ran == [2]
    assert versions(store_url) == [1, 2, LATEST + 1]
    with pytest.raises(StoreError, match="newer trackerbot"):
        Store(store_url)


# --- person links, link requests, audit ---------------------------------------------------------


async def linked(store: Store, team: str, user: str) -> str | None:
    link = await store.identity_link(team, user)
    return link.issuetrak_user_id if link else None


async def test_person_links(store: Store) -> None:
    assert await store.identity_link("T1", "U1") is None
    await store.link_person("T1", "U1", "alice", how=IdentityLinkHow.EMAIL, by="U1", now=NOW)
    await store.link_person("T2", "U1", "someone-else", how=IdentityLinkHow.ADMIN, by="UADMIN", now=NOW)
    link = await store.identity_link("T1", "U1")
    assert link is not None and (link.issuetrak_user_id, link.how, link.linked_by, link.linked_at) == (
        "alice",
        IdentityLinkHow.EMAIL,
        "U1",
        NOW,
    )
    await store.link_person("T1", "U1", "alice.b", how=IdentityLinkHow.ADMIN, by="UADMIN", now=NOW)
    assert await linked(store, "T1", "U1") == "alice.b"
    assert await store.forget_email_link("T1", "U1", "alice.b") is False  # explicit links stay
    assert await store.unlink_person("T1", "U1", by="U1", now=NOW) == "alice.b"
    assert await store.unlink_person("T1", "U1", by="U1", now=NOW) is None
    assert await store.identity_link("T1", "U1") is None
    assert await linked(store, "T2", "U1") == "someone-else"
    actions = [(e.action, e.actor, e.subject, e.issuetrak_user_id) for e in await store.link_audit("T1")]
    assert actions == [
        (AuditAction.UNLINK, "U1", "U1", "alice.b"),
        (AuditAction.LINK, "UADMIN", "U1", "alice.b"),
        (AuditAction.LINK, "U1", "U1", "alice"),
    ]


async def test_an_issuetrak_user_belongs_to_one_slack_person(store: Store) -> None:
    await store.link_person("T1", "U1", "amartin", how=IdentityLinkHow.EMAIL, by="U1", now=NOW)
    holder = await store.link_person("T1", "U2", "amartin", how=IdentityLinkHow.ADMIN, by="UADMIN", now=NOW)
    assert holder.slack_user_id == "U1"
    assert await store.identity_link("T1", "U2") is None
    assert len(await store.link_audit("T1")) == 1  # the refused link changed and recorded nothing


async def test_many_people_claiming_one_user_at_once_one_wins(store_pair: tuple[Store, Store]) -> None:
    async def claim(n: int) -> str:
        holder = await store_pair[n % 2].link_person(
            "T1", f"U{n}", "amartin", how=IdentityLinkHow.EMAIL, by=f"U{n}", now=NOW
        )
        return holder.slack_user_id

    holders = await race(8, claim)
    assert len(set(holders)) == 1
    assert [await linked(store_pair[0], "T1", f"U{n}") for n in range(8)].count("amartin") == 1


async def test_link_requests_are_decided_once(store: Store) -> None:
    request, created = await store.request_link("T1", "U2", "bnguyen", NOW)
    again, created_again = await store.request_link("T1", "U2", "cdubois", NOW)
    assert created and not created_again and again.id == request.id  # one pending request a person
    assert (await store.decide_request("T2", request.id, admin="UADMIN", approve=True, now=NOW)).request is None
    decision = await store.decide_request("T1", request.id, admin="UADMIN", approve=True, now=NOW)
    assert decision.decided and decision.request and decision.request.state is RequestState.APPROVED
    link = await store.identity_link("T1", "U2")
    assert link and (link.issuetrak_user_id, link.how, link.linked_by) == ("bnguyen", IdentityLinkHow.REQUEST, "UADMIN")
    late = await store.decide_request("T1", request.id, admin="UOTHER", approve=False, now=NOW)
    assert not late.decided and late.request and late.request.decided_by == "UADMIN"
    assert await linked(store, "T1", "U2") == "bnguyen"

    assert await store.withdraw_request("T1", "U2", NOW) is None  # nothing pending
    withdrawn, _ = await store.request_link("T1", "U3", "cdubois", NOW)
    assert (await store.withdraw_request("T1", "U3", NOW)).state is RequestState.WITHDRAWN  # type: ignore[union-attr]
    stale = await store.decide_request("T1", withdrawn.id, admin="UADMIN", approve=True, now=NOW)
    assert not stale.decided and await store.identity_link("T1", "U3") is None

    denied, _ = await store.request_link("T1", "U2", "cdubois", NOW)  # a new request once decided
    assert (await store.decide_request("T1", denied.id, admin="UADMIN", approve=False, now=NOW)).decided
    assert await linked(store, "T1", "U2") == "bnguyen"
    assert [e.action for e in await store.link_audit("T1")] == [
        AuditAction.DENY,
        AuditAction.REQUEST,
        AuditAction.REQUEST,
        AuditAction.APPROVE,
        AuditAction.REQUEST,
    ]


async def test_an_approval_for_a_user_someone_else_took_meanwhile_decides_nothing(store: Store) -> None:
    request, _ = await store.request_link("T1", "U2", "amartin", NOW)
    await store.link_person("T1", "U1", "amartin", how=IdentityLinkHow.EMAIL, by="U1", now=NOW)
    decision = await store.decide_request("T1", request.id, admin="UADMIN", approve=True, now=NOW)
    assert not decision.decided and decision.taken_by and decision.taken_by.slack_user_id == "U1"
    assert decision.request and decision.request.state is RequestState.PENDING
    assert await store.identity_link("T1", "U2") is None


async def test_two_admins_clicking_at_once_one_decides(store_pair: tuple[Store, Store]) -> None:
    request, _ = await store_pair[0].request_link("T1", "U2", "bnguyen", NOW)

    async def click(n: int) -> bool:
        decision = await store_pair[n % 2].decide_request(
            "T1", request.id, admin=f"UADMIN{n}", approve=n % 2 == 0, now=NOW
        )
        return decision.decided

    assert sorted(await race(6, click)) == [False] * 5 + [True]
    decisions = [e for e in await store_pair[0].link_audit("T1") if e.action in (AuditAction.APPROVE, AuditAction.DENY)]
    assert len(decisions) == 1


# --- outbox ------------------------------------------------------------------------------------


async def test_enqueue_same_key_fifty_times_concurrently_makes_one_row(
    store_pair: tuple[Store, Store],
) -> None:
    stores = store_pair

    async def enqueue(n: int) -> tuple[OutboxItem, bool]:
        payload = NotePayload(issue=123, html=f"try {n}")
        return await stores[n % 2].enqueue("C1:1736942400.000100:123:U1", "note", payload, ALICE, NOW)

    results = await race(50, enqueue)
    created = [item for item, was_created in results if was_created]
    assert len(created) == 1
    assert {item.id for item, _ in results} == {created[0].id}
    assert isinstance(created[0].payload, NotePayload)
    assert {item.payload.html for item, _ in results if isinstance(item.payload, NotePayload)} == {
        created[0].payload.html
    }
    assert len(await stores[0].claim_due(NOW, limit=100, lease_seconds=60)) == 1


async def test_enqueue_records_the_write_and_who_asked(store: Store) -> None:
    item, created = await store.enqueue(
        "k1", OutboxKind.ISSUE, IssuePayload(subject="Printer on fire", html="", type=1, priority=2), ALICE, NOW
    )
    assert created
    assert (item.kind, item.state, item.attempts) == (OutboxKind.ISSUE, OutboxState.PENDING, 0)
    assert item.requester == ALICE
    assert item.created_at == item.next_attempt_at == NOW
    assert await store.get(item.id) == item
    assert await store.get("k1") == item
    assert await store.get("missing") is None
    with pytest.raises(ValueError, match="comment"):
        await store.enqueue("k2", "comment", {}, ALICE, NOW)  # type: ignore[arg-type]  # a wrong call, on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.enqueue("k3", "note", A_NOTE, ALICE, NOW.replace(tzinfo=None))


async def test_the_backlog_counts_the_writes_still_waiting_and_dates_the_oldest(store: Store) -> None:
    assert await store.backlog() == (0, None)
    await store.answers()  # the trivial query /healthz asks
    for n in range(4):
        await store.enqueue(f"k{n}", "note", NotePayload(issue=n, html=""), ALICE, NOW + timedelta(seconds=n))
    delivered, failed, sending = await store.claim_due(NOW + timedelta(seconds=5), limit=3, lease_seconds=600)
    assert await store.mark_delivered(delivered, {"note": 1}, NOW)
    assert await store.mark_failed(failed, "refused")
    assert sending.state is OutboxState.SENDING
    assert await store.backlog() == (2, NOW + timedelta(seconds=2)), (
        "sending and pending wait; delivered, failed do not"
    )


async def test_outbox_lifecycle(store: Store) -> None:
    for n in range(3):
        await store.enqueue(f"k{n}", "note", NotePayload(issue=n, html=""), ALICE, NOW + timedelta(seconds=n))
    first, second = await store.claim_due(NOW + timedelta(seconds=5), limit=2, lease_seconds=600)
    assert [first.key, second.key] == ["k0", "k1"]
    assert (first.state, first.attempts) == (OutboxState.SENDING, 1)
    assert first.claim is not None and (first.claim.generation, first.claim.owner) == (1, store.owner)
    assert first.claim.until == NOW + timedelta(seconds=605)

    assert await store.mark_retry(first, "Issuetrak did not answer.", NOW + timedelta(minutes=5))
    assert await store.mark_retry(first, "again", NOW) is False  # only a claimed row
    assert [i.key for i in await store.claim_due(NOW + timedelta(minutes=4), 10, 600)] == ["k2"]
    (again,) = await store.claim_due(NOW + timedelta(minutes=5), 10, 60)
    assert (again.key, again.attempts, again.last_error) == ("k0", 2, "Issuetrak did not answer.")

    assert again.claim is not None and again.claim.generation == 2
    assert await store.mark_delivered(again, {"note_id": 991}, NOW + timedelta(minutes=6))
    delivered = await store.get(again.id)
    assert delivered is not None
    assert (delivered.state, delivered.result) == (OutboxState.DELIVERED, {"note_id": 991})
    assert delivered.last_error is None
    assert delivered.delivered_at == NOW + timedelta(minutes=6)
    assert await store.mark_delivered(again, {"note_id": 992}, NOW) is False

    assert await store.mark_failed(second, "Issuetrak refused the note.")
    assert await store.mark_failed(second, "twice") is False
    failed = await store.get(second.id)
    assert failed is not None
    assert (failed.state, failed.last_error) == (OutboxState.FAILED, "Issuetrak refused the note.")
    later = NOW + timedelta(hours=1)
    assert [i.key for i in await store.claim_due(later, 10, 60)] == ["k2"]  # its lease ran out

    assert await store.retry(second.id, later)
    assert await store.retry(second.id, later) is False
    (retried,) = await store.claim_due(later, 10, 60)
    assert (retried.key, retried.attempts, retried.last_error) == ("k1", 1, None)
    assert retried.claim is not None and second.claim is not None
    assert retried.claim.generation == second.claim.generation + 2  # the retry's, then the claim's: never reused


async def test_claim_one_row_to_deliver_it_at_once(store: Store) -> None:
    item, _ = await store.enqueue("k", "note", A_NOTE, ALICE, NOW)
    await store.enqueue("other", "note", A_NOTE, ALICE, NOW)
    claimed = await store.claim(item.id, NOW, lease_seconds=120)
    assert claimed is not None
    assert (claimed.id, claimed.state, claimed.attempts) == (item.id, OutboxState.SENDING, 1)
    assert await store.claim(item.id, NOW, 120) is None  # a worker holds it
    assert [i.key for i in await store.claim_due(NOW, 10, 120)] == ["other"]
    await store.mark_retry(claimed, "Issuetrak did not answer.", NOW + timedelta(seconds=60))
    assert await store.claim(item.id, NOW + timedelta(seconds=59), 120) is None
    assert await store.claim(item.id, NOW + timedelta(seconds=60), 120) is not None
    assert await store.claim(9999, NOW, 120) is None


async def test_a_crashed_workers_rows_come_back_after_the_lease(store: Store) -> None:
    await store.enqueue("k", "note", A_NOTE, ALICE, NOW)
    (claimed,) = await store.claim_due(NOW, limit=10, lease_seconds=30)
    assert await store.claim_due(NOW + timedelta(seconds=29), 10, 30) == []
    (reclaimed,) = await store.claim_due(NOW + timedelta(seconds=30), 10, 30)
    assert (reclaimed.id, reclaimed.attempts) == (claimed.id, 2)


async def test_two_claimers_never_get_the_same_row(store_pair: tuple[Store, Store]) -> None:
    stores = store_pair
    total = 60
    for n in range(total):
        await stores[0].enqueue(f"k{n}", "note", NotePayload(issue=n, html=""), ALICE, NOW)

    async def drain(n: int) -> list[int]:
        got: list[int] = []
        while batch := await stores[n % 2].claim_due(NOW, limit=3, lease_seconds=600):
            got += [item.id for item in batch]
        return got

    claimed = await race(4, drain)
    every = list(chain.from_iterable(claimed))
    assert len(every) == len(set(every)) == total
    assert sum(1 for got in claimed if got) >= 2  # they really raced


# --- digest subscriptions and claims -----------------------------------------------------------


async def test_subscriptions(store: Store) -> None:
    first = await store.subscribe("T1", "C1", "09:00", "Europe/Paris", "issuetrak", "U1", NOW)
    assert (first.time, first.timezone, first.scope) == ("09:00", "Europe/Paris", ("issuetrak",))
    assert (first.created_by, first.created_at) == ("U1", NOW)
    changed = await store.subscribe("T1", "C1", "17:30", "UTC", ["issuetrak", "project:WEB"], "U2", NOW)
    assert changed.id == first.id
    assert (changed.time, changed.scope, changed.created_by) == ("17:30", ("issuetrak", "project:WEB"), "U2")
    other = await store.subscribe("T1", "C2", "08:00", "UTC", [], "U1", NOW)
    assert await store.subscription("T1", "C1") == changed
    assert await store.subscriptions() == [changed, other]

    assert await store.unsubscribe("T1", "C1") is True
    assert await store.unsubscribe("T1", "C1") is False
    assert await store.subscription("T1", "C1") is None
    assert await store.subscriptions() == [other]
    back = await store.subscribe("T1", "C1", "09:00", "UTC", [], "U1", NOW)
    assert back.id == first.id


@pytest.mark.parametrize(
    ("time_of_day", "zone"),
    [
        ("9:00", "UTC"),
        ("24:00", "UTC"),
        ("09:60", "UTC"),
        ("09:00 ", "UTC"),
        ("09:00", "Mars/Olympus"),
        ("09:00", "../etc/passwd"),
        ("09:00", ""),
        ("09:00", "Europe"),
    ],
)
async def test_bad_times_and_zones_are_refused_with_a_sentence(
    sqlite_store: Store,
    time_of_day: str,
    zone: str,
) -> None:
    with pytest.raises(ValueError, match="like"):
        await sqlite_store.subscribe("T1", "C1", time_of_day, zone, [], "U1", NOW)
    assert await sqlite_store.subscriptions() == []


async def test_two_schedulers_racing_claim_a_digest_exactly_once(store_pair: tuple[Store, Store]) -> None:
    stores = store_pair
    sub = await stores[0].subscribe("T1", "C1", "09:00", "Europe/Paris", [], "U1", NOW)
    day = date(2025, 1, 15)

    async def claim(n: int) -> Claim | None:
        return await stores[n % 2].claim_digest(sub.id, day, NOW, 600)

    [won] = [claim for claim in await race(20, claim) if claim is not None]
    assert await stores[1].mark_digest_posted(won, "1736928000.000200")
    assert await stores[1].mark_digest_posted(won, "1.2") is False  # posted once
    assert await stores[0].claim_digest(sub.id, date(2025, 1, 16), NOW, 600)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def due(store: Store, now: datetime) -> dict[str, date]:
    return {d.subscription.channel_id: d.due_date for d in await store.due_subscriptions(now)}


async def test_a_digest_is_due_from_its_local_time(store: Store) -> None:
    await store.subscribe("T1", "PARIS", "09:00", "Europe/Paris", [], "U1", NOW)  # UTC+1 in January
    assert await due(store, utc("2025-01-15T07:59:00")) == {}
    assert await due(store, utc("2025-01-15T08:00:00")) == {"PARIS": date(2025, 1, 15)}
    assert await due(store, utc("2025-01-15T08:01:00")) == {"PARIS": date(2025, 1, 15)}


async def test_zones_across_midnight_utc_use_the_local_date(store: Store) -> None:
    await store.subscribe("T1", "AUCKLAND", "07:30", "Pacific/Auckland", [], "U1", NOW)  # UTC+13
    await store.subscribe("T1", "LA", "20:00", "America/Los_Angeles", [], "U1", NOW)  # UTC-8
    assert await due(store, utc("2025-01-14T18:29:00")) == {}
    assert await due(store, utc("2025-01-14T18:31:00")) == {"AUCKLAND": date(2025, 1, 15)}
    assert await due(store, utc("2025-01-15T04:01:00")) == {
        "AUCKLAND": date(2025, 1, 15),
        "LA": date(2025, 1, 14),
    }


async def test_a_missed_digest_is_due_later_that_day_and_never_the_next(store: Store) -> None:
    sub = await store.subscribe("T1", "PARIS", "09:00", "Europe/Paris", [], "U1", NOW)
    # The bot was down all morning: at 16:00 local the day's digest is still due, once.
    afternoon = utc("2025-01-15T15:00:00")
    assert await due(store, afternoon) == {"PARIS": date(2025, 1, 15)}
    assert await store.claim_digest(sub.id, date(2025, 1, 15), afternoon, 600)
    assert await due(store, afternoon) == {}
    # Down again all day on the 16th: after midnight local, the 16th's is not owed any more,
    # and the 17th's is not due before 09:00.
    assert await due(store, utc("2025-01-16T23:30:00")) == {}
    assert await due(store, utc("2025-01-17T07:59:00")) == {}
    assert await due(store, utc("2025-01-17T08:00:00")) == {"PARIS": date(2025, 1, 17)}


async def test_a_time_skipped_by_daylight_saving_is_due_once_the_clock_passes_it(store: Store) -> None:
    sub = await store.subscribe("T1", "PARIS", "02:30", "Europe/Paris", [], "U1", NOW)
    # 2025-03-30: Paris clocks jump from 02:00 to 03:00 (00:59Z is 01:59 local, 01:00Z is 03:00).
    assert await due(store, utc("2025-03-30T00:59:00")) == {}
    assert await due(store, utc("2025-03-30T01:00:00")) == {"PARIS": date(2025, 3, 30)}
    await store.unsubscribe("T1", "PARIS")
    assert await due(store, utc("2025-03-30T01:00:00")) == {}
    assert sub.id == (await store.subscribe("T1", "PARIS", "02:30", "Europe/Paris", [], "U1", NOW)).id


async def test_due_subscriptions_refuses_a_naive_now(sqlite_store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await sqlite_store.due_subscriptions(datetime(2025, 1, 15, 12, 0))
