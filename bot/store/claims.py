"""The one claim of every once-only job (an outbox write, a day's digest, a watch's news, a
round of the change feed).

A claimed row carries three columns: `claim_owner` (which process holds it: host, pid and a
random part, for people reading the database), `claim_generation` (grows by one on every claim and
on every retry or resubmission, never reset) and `claim_until` (the lease: past it, or when it
is NULL, anyone may claim the row again). Taking a row sets all three in one compare-and-set
statement on a row that is free, so of two claimers one wins.

The holder keeps the lease alive while the work goes on (`renew`, or `kept` in the background),
and renews it once more right before the one step that cannot be undone (a Slack post, a write
to Issuetrak): a holder that was stopped past its lease (a stalled process, a SIGSTOP) learns
there that the work is someone else's now. Every change after the work (posted, delivered, given
back, retry later, failed) is fenced: it applies only while the row's generation is still the
one claimed, so a late holder changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, RowMapping, Table, select, update

from bot.store.models import Claim, StoreError, require_aware
from bot.store.schema import (
    OWNER_LENGTH,
    digest_claims,
    feed_rounds,
    notify_settings,
    outbox,
    triage_subscriptions,
    watches,
)
from bot.store.transactions import StoreBase

log = logging.getLogger(__name__)


def process_owner() -> str:
    """A name for claims taken by this store: host, process id and a random part (unique even
    after a pid is reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:OWNER_LENGTH]


@dataclass(frozen=True, slots=True)
class Lease:
    """The claim columns of one claimable table, and the conditions and values that claim,
    fence and give back its rows. `key` is the table's primary key, in order."""

    table: Table
    kind: str

    @property
    def key(self) -> tuple[Column[Any], ...]:
        return tuple(self.table.primary_key.columns)

    def free(self, now: datetime) -> ColumnElement[bool]:
        """Rows nobody holds at `now`: never claimed, given back, or their lease ran out."""
        until = self.table.c.claim_until
        return until.is_(None) | (until <= now)

    def live(self, now: datetime) -> ColumnElement[bool]:
        """Rows someone holds at `now` (never NULL, so it can be negated)."""
        until = self.table.c.claim_until
        return until.is_not(None) & (until > now)

    def take(self, owner: str, now: datetime, seconds: float) -> dict[str, Any]:
        """The values that claim a row: a new generation, this owner, a lease of `seconds`."""
        return {
            "claim_owner": owner,
            "claim_generation": self.table.c.claim_generation + 1,
            "claim_until": require_aware(now) + timedelta(seconds=seconds),
        }

    def new_generation(self) -> dict[str, Any]:
        """The values that end whatever claim a row has (a retry, a resubmission): a holder of an
        older generation changes nothing after this."""
        return {"claim_generation": self.table.c.claim_generation + 1, "claim_until": None}

    def holds(self, claim: Claim) -> ColumnElement[bool]:
        """The claimed row, while its generation is still the one claimed and it was not given
        back or finished (the fence). A lease that ran out still holds until someone claims again."""
        if claim.kind != self.kind or len(claim.key) != len(self.key):
            raise ValueError(f"a {claim.kind} claim does not name a row of {self.table.name}")
        matches = [column == value for column, value in zip(self.key, claim.key, strict=True)]
        condition = (self.table.c.claim_generation == claim.generation) & self.table.c.claim_until.is_not(None)
        for match in matches:
            condition = condition & match
        return condition

    def take_with_pending(
        self,
        conn: Connection,
        pending: Table,
        parent: Column[Any],
        *,
        owner: str,
        now: datetime,
        seconds: float,
        limit: int,
    ) -> list[tuple[RowMapping, list[RowMapping]]]:
        """Claim up to `limit` free rows that have rows not yet posted in `pending` (`parent` names
        the claimed row), each with those rows in order: a watch's news, a subscription's. Two
        claimers never get the same row: PostgreSQL locks each chosen row (skipping those another
        claimer holds), and the claim itself is a compare-and-set on a free row. A row whose
        pending rows were posted meanwhile is given back at once."""
        (key,) = self.key
        waiting = select(parent).where(pending.c.posted_ts.is_(None)).distinct()
        chosen = (
            conn.execute(
                select(key)
                .where(key.in_(waiting), self.free(now))
                .order_by(key)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        if not chosen:
            return []
        taken = (
            conn.execute(
                update(self.table)
                .where(key.in_(chosen), self.free(now))
                .values(**self.take(owner, now, seconds))
                .returning(*self.table.c)
            )
            .mappings()
            .all()
        )
        rows = conn.execute(
            select(pending)
            .where(parent.in_([row[key.name] for row in taken]), pending.c.posted_ts.is_(None))
            .order_by(pending.c.id)
        ).mappings()
        grouped: dict[Any, list[RowMapping]] = defaultdict(list)
        for row in rows:
            grouped[row[parent.name]].append(row)
        if empty := [row[key.name] for row in taken if not grouped[row[key.name]]]:
            conn.execute(update(self.table).where(key.in_(empty)).values(claim_until=None))
        ordered = sorted(taken, key=lambda row: row[key.name])
        return [(row, grouped[row[key.name]]) for row in ordered if grouped[row[key.name]]]

    def claim(self, row: RowMapping) -> Claim:
        """The claim a row just taken carries."""
        return Claim(
            kind=self.kind,
            key=tuple(row[column.name] for column in self.key),
            owner=row["claim_owner"],
            generation=row["claim_generation"],
            until=row["claim_until"],
        )


OUTBOX = Lease(outbox, "outbox")
DIGESTS = Lease(digest_claims, "digest")
WATCHES = Lease(watches, "watch")
FEEDS = Lease(feed_rounds, "feed")
SUBSCRIPTIONS = Lease(triage_subscriptions, "subscription")
NOTIFY = Lease(notify_settings, "notify")
LEASES = {lease.kind: lease for lease in (OUTBOX, DIGESTS, WATCHES, FEEDS, SUBSCRIPTIONS, NOTIFY)}


def fenced(conn: Connection, claim: Claim, *only: ColumnElement[bool], **values: Any) -> bool:
    """Apply `values` to the claimed row while the claim is current (and `only` holds); True when it did."""
    lease = LEASES[claim.kind]
    return conn.execute(update(lease.table).where(lease.holds(claim), *only).values(**values)).rowcount == 1


class ClaimStore(StoreBase):
    """What every claim can do, whatever it claims."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.owner = process_owner()

    async def renew(self, claim: Claim, now: datetime, seconds: float) -> Claim | None:
        """Extend a claim's lease to now + seconds; None when it is no longer current (another
        process took the row over, or it was given back or finished)."""
        lease = LEASES[claim.kind]
        until = require_aware(now) + timedelta(seconds=seconds)

        def run(conn: Connection) -> Claim | None:
            row = (
                conn.execute(
                    update(lease.table).where(lease.holds(claim)).values(claim_until=until).returning(*lease.table.c)
                )
                .mappings()
                .first()
            )
            return None if row is None else lease.claim(row)

        return await self._run(run)

    async def give_back(self, claim: Claim) -> bool:
        """End the lease now, so the work is free for the next claimer; False when the claim is
        no longer current."""
        return await self._run(lambda conn: fenced(conn, claim, claim_until=None))


@contextlib.asynccontextmanager
async def kept(renew: Callable[[], Awaitable[Claim | None]], every: float) -> AsyncIterator[None]:
    """Renew a claim every `every` seconds while the block runs (a heartbeat). A renewal that
    finds the claim gone stops the beat; the block learns it at its own check before the step
    that cannot be undone. A database that does not answer is tried again at the next beat."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                if await renew() is None:
                    return
            except StoreError as exc:
                log.warning("could not renew a claim (%s); trying again in %.0f s", exc, every)

    task = asyncio.create_task(beat(), name="claim heartbeat")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
