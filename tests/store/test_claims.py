"""The one claim of every once-only job (bot/store/claims.py) on SQLite and PostgreSQL: the
version-4 upgrade carries the claims taken before it, a retried or resubmitted write never gives
an old claim its generation back, and, as a property over any sequence of claims, renewals,
give-backs and finishes by two processes at any times: at most one claim is live, generations
only grow, and only the current generation changes anything."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, Table, insert

from bot.store import Claim, NotePayload, OutboxKind, OutboxState, Requester, Store
from bot.store.engine import open_engine
from bot.store.migrations import LEGACY_DIGEST_LEASE, UPGRADES, migrate
from bot.store.schema import digest_claims, digest_subscriptions, outbox
from tests.store.test_store import CLAIM_COLUMNS, LATEST, assert_shaped_like_fresh, v1_database, versions

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
DAY = date(2025, 1, 15)
ALICE = Requester(team_id="T1", user_id="U1", channel_id="C1")
A_NOTE = NotePayload(issue=1001, html="<p>rack cabled</p>", created_by="amartin")
LEASE = 30.0


def as_before_claims(table: Table) -> Table:
    """The table as it was before version 4 (without the claim's columns), to write old rows."""
    return Table(
        table.name, MetaData(), *(Column(c.name, c.type) for c in table.columns if c.name not in CLAIM_COLUMNS)
    )


def v3_database(url: str) -> None:
    """A database as trackerbot left it at schema version 3, with a write being sent under its
    second claim (leased for five more minutes) and a digest being posted."""
    v1_database(url, [])
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            assert migrate(conn, UPGRADES[:2]) == 3
            for column in CLAIM_COLUMNS:  # version 3 makes the watch tables as schema.py has them now
                conn.exec_driver_sql(f"ALTER TABLE watches DROP COLUMN {column}")
            instant = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
            conn.exec_driver_sql(f"ALTER TABLE watch_news ADD COLUMN claimed_at {instant}")
            conn.execute(
                insert(as_before_claims(outbox)).values(
                    key="k",
                    kind="note",
                    payload=A_NOTE.model_dump(mode="json"),
                    team_id="T1",
                    user_id="U1",
                    state=OutboxState.SENDING.value,
                    attempts=2,
                    next_attempt_at=NOW + timedelta(minutes=5),
                    created_at=NOW,
                )
            )
            sub_id = conn.execute(
                insert(digest_subscriptions)
                .values(
                    team_id="T1",
                    channel_id="C1",
                    time="09:00",
                    timezone="UTC",
                    scope=[],
                    created_by="U1",
                    created_at=NOW,
                    enabled=True,
                )
                .returning(digest_subscriptions.c.id)
            ).scalar_one()
            conn.execute(
                insert(as_before_claims(digest_claims)).values(subscription_id=sub_id, due_date=DAY, claimed_at=NOW)
            )
    finally:
        engine.dispose()


def test_a_version_3_database_is_upgraded_and_keeps_the_claims_it_had(store_url: str, tmp_path: Path) -> None:
    v3_database(store_url)
    assert versions(store_url) == [1, 2, 3]
    upgraded = Store(store_url)
    assert upgraded.schema_version == LATEST and versions(store_url) == list(range(1, LATEST + 1))

    async def check() -> None:
        row = await upgraded.get("k")
        assert row is not None and row.claim is not None
        assert (row.claim.generation, row.claim.until) == (2, NOW + timedelta(minutes=5))  # the old lease holds
        assert await upgraded.claim_due(NOW + timedelta(minutes=4), 10, LEASE) == []
        [taken] = await upgraded.claim_due(NOW + timedelta(minutes=5), 10, LEASE)
        assert taken.claim is not None and (taken.attempts, taken.claim.generation) == (3, 3)
        sub = await upgraded.subscription("T1", "C1")
        assert sub is not None
        assert await upgraded.due_subscriptions(NOW + LEGACY_DIGEST_LEASE - timedelta(seconds=1)) == []
        claim = await upgraded.claim_digest(sub.id, DAY, NOW + LEGACY_DIGEST_LEASE, LEASE)
        assert claim is not None and claim.generation == 2
        await upgraded.aclose()

    asyncio.run(check())
    assert_shaped_like_fresh(store_url, tmp_path)


async def test_a_retried_write_never_gives_a_stalled_claim_its_generation_back(store_pair: tuple[Store, Store]) -> None:
    """A worker stalls holding a write's first claim; another takes it over when the lease runs
    out, and it fails; the person clicks Try again and a third claim starts. The count of attempts
    started again, the generation did not: the stalled worker, resumed, can neither send nor
    change anything."""
    stalled_store, other = store_pair
    item, _ = await stalled_store.enqueue("note:stalled", OutboxKind.NOTE, A_NOTE, ALICE, NOW)
    stalled = await stalled_store.claim(item.id, NOW, LEASE)
    assert stalled is not None and stalled.attempts == 1
    later = NOW + timedelta(seconds=LEASE)
    taken_over = await other.claim(item.id, later, LEASE)
    assert taken_over is not None and await other.mark_failed(taken_over, "Issuetrak refused the note.")
    assert await other.retry(item.id, later)
    again = await other.claim(item.id, later, LEASE)
    assert again is not None and again.attempts == stalled.attempts == 1  # attempts start again...

    assert not await stalled_store.start_sending(stalled, later, within_seconds=1)  # ...the fence does not
    assert not await stalled_store.mark_delivered(stalled, {"note": 5, "issue": 1001}, later)
    assert not await stalled_store.mark_retry(stalled, "late", later)
    assert not await stalled_store.mark_failed(stalled, "late")
    assert await other.start_sending(again, later, within_seconds=1)
    row = await other.get(item.id)
    assert row is not None and row.state is OutboxState.SENDING and row.claim == again.claim


async def test_a_resubmitted_write_never_gives_a_stalled_claim_its_generation_back(store: Store) -> None:
    item, _ = await store.enqueue("note:resubmitted", OutboxKind.NOTE, A_NOTE, ALICE, NOW)
    stalled = await store.claim(item.id, NOW, LEASE)
    assert stalled is not None
    assert await store.mark_retry(stalled, "Issuetrak did not answer.", NOW)  # a worker's own give-back...
    corrected = A_NOTE.model_copy(update={"html": "<p>rack 2 cabled</p>"})
    assert await store.resubmit(item.id, corrected, NOW)  # ...then the person corrected the form
    again = await store.claim(item.id, NOW, LEASE)
    assert again is not None and again.claim is not None and stalled.claim is not None
    assert again.claim.generation == stalled.claim.generation + 2
    assert not await store.start_sending(stalled, NOW, within_seconds=1)


# --- the primitive as a property ---------------------------------------------------------------


@dataclass
class Model:
    """What the store should say: the generation last handed out, when its lease ends (None: given
    back) and whether the day was finished (posted)."""

    generation: int = 0
    until: datetime | None = None
    finished: bool = False
    held: list[Claim] = field(default_factory=list)

    def free(self, now: datetime) -> bool:
        return not self.finished and (self.until is None or self.until <= now)

    def current(self, claim: Claim) -> bool:
        return not self.finished and claim.generation == self.generation and self.until is not None


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["claim", "renew", "give_back", "finish"]),
        st.integers(0, 1),  # which process
        st.integers(0, 3),  # which of the claims handed out so far (wrapping)
        st.integers(0, 50),  # seconds the clock moves on first
    ),
    max_size=25,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_sequence_of_claims_keeps_one_live_holder_and_fences_the_rest(
    steps: list[tuple[str, int, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On the digest day's row (the primitive is the same on every table), against a model."""
    path = tmp_path_factory.mktemp("claims") / "claims.db"  # a fresh database for each example

    async def run() -> None:
        stores = (Store(f"sqlite:///{path}"), Store(f"sqlite:///{path}"))
        try:
            sub = await stores[0].subscribe("T1", "C1", "00:00", "UTC", [], "U1", NOW)
            model, now = Model(), NOW
            for action, who, which, seconds in steps:
                now += timedelta(seconds=seconds)
                store = stores[who]
                picked = model.held[which % len(model.held)] if model.held else None
                if action == "claim":
                    claim = await store.claim_digest(sub.id, DAY, now, LEASE)
                    if model.free(now):
                        assert claim is not None and claim.generation == model.generation + 1
                        assert claim.owner == store.owner and claim.until == now + timedelta(seconds=LEASE)
                        model.generation, model.until = claim.generation, claim.until
                        model.held.append(claim)
                    else:
                        assert claim is None
                elif picked is None:
                    continue
                elif action == "renew":
                    renewed = await store.renew(picked, now, LEASE)
                    assert (renewed is not None) == model.current(picked)
                    if renewed is not None:
                        model.until = renewed.until
                elif action == "give_back":
                    assert await store.give_back(picked) == model.current(picked)
                    if model.current(picked):
                        model.until = None
                else:
                    done = await store.mark_digest_posted(picked, f"{now.timestamp()}")
                    assert done == model.current(picked)
                    if done:
                        model.finished, model.until = True, None
                due = await store.due_subscriptions(now)
                assert (due != []) == model.free(now)
        finally:
            for store in stores:
                await store.aclose()

    asyncio.run(run())
