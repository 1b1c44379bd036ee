"""The outbox of tracker writes: recorded before the person is answered, delivered by a worker.

Life of a row: pending -> (claim_due, claim) sending -> delivered | pending again (mark_retry) | failed
| refused; retry() puts a failed row back to pending. A refused row is over for good (its person
may no longer write it): neither retry nor resubmit brings it back. A row not sent yet that a
correction replaced (`cancel_replaced`) is cancelled; only resubmitting it brings it back.

A worker sends a row under the store's one claim (bot/store/claims.py): the claim's lease is when
the row comes back if its worker dies, so an attempt is bounded well inside it (writes.Timing),
and its generation is the fencing token. Every change the worker makes afterwards
(`start_sending`, `forget_sent`, `mark_delivered`, `mark_retry`, `mark_failed`) applies only while
the row is still sending under that generation: a worker whose lease ran out and whose row was
claimed again changes nothing, and `start_sending`, right before the write goes out, also wants
the lease to have the attempt's time left. `retry` and `resubmit` start a new generation (the
count of attempts starts again, the generation never does), so no earlier claim comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Connection, RowMapping, false, func, select, update

from bot.store.claims import OUTBOX, ClaimStore
from bot.store.models import PAYLOAD_OF, OutboxItem, OutboxKind, OutboxPayload, OutboxState, Requester, require_aware
from bot.store.schema import dialect_insert, outbox

MAX_KEY_LENGTH = 255
SENT_AT = "sent_at"  # payload key: when a write of this row was last sent without a known answer


def _stored(kind: OutboxKind, payload: OutboxPayload) -> dict[str, Any]:
    """The payload as the row's JSON; a payload of another kind is refused. `sent_at` is the
    store's own mark (set by `start_sending`), so it is never taken from the caller."""
    if not isinstance(payload, PAYLOAD_OF[kind]):
        raise ValueError(f"a {kind} write carries a {PAYLOAD_OF[kind].__name__}, not a {type(payload).__name__}")
    return payload.model_dump(mode="json", exclude={SENT_AT})


def _payload(kind: OutboxKind, stored: Any) -> OutboxPayload | None:
    """The row's JSON read as its kind's payload; None when it does not read (it can only fail)."""
    try:
        return PAYLOAD_OF[kind].model_validate(stored)
    except ValidationError:
        return None


def _item(row: RowMapping) -> OutboxItem:
    kind = OutboxKind(row["kind"])
    sending = row["state"] == OutboxState.SENDING.value
    return OutboxItem(
        id=row["id"],
        key=row["key"],
        kind=kind,
        payload=_payload(kind, row["payload"]),
        requester=Requester(
            team_id=row["team_id"],
            user_id=row["user_id"],
            channel_id=row["channel_id"],
            thread_ts=row["thread_ts"],
            response_url=row["response_url"],
        ),
        state=OutboxState(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        result=row["result"],
        created_at=row["created_at"],
        delivered_at=row["delivered_at"],
        claim=OUTBOX.claim(row) if sending and row["claim_until"] is not None else None,
    )


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending rows whose time has come, and sending rows whose worker's lease ran out."""
    pending = (outbox.c.state == OutboxState.PENDING.value) & (outbox.c.next_attempt_at <= now)
    return pending | ((outbox.c.state == OutboxState.SENDING.value) & OUTBOX.free(now))


def _waiting(now: datetime) -> ColumnElement[bool]:
    """Pending rows that were tried and wait for their next attempt."""
    return (outbox.c.state == OutboxState.PENDING.value) & (outbox.c.attempts > 0) & (outbox.c.next_attempt_at > now)


def _held(claim: OutboxItem) -> ColumnElement[bool]:
    """The row is still being sent under this claim (nobody claimed it again since)."""
    if claim.claim is None:
        return false()
    return (outbox.c.state == OutboxState.SENDING.value) & OUTBOX.holds(claim.claim)


def _claim(
    conn: Connection,
    owner: str,
    now: datetime,
    lease_seconds: float,
    limit: int,
    *only: ColumnElement[bool],
) -> list[OutboxItem]:
    """Never gives one row to two claimers: PostgreSQL locks the chosen rows and skips rows other
    claimers hold; SQLite runs one writer at a time. Either way the update re-checks each row is
    still due; each claim is a new generation, and one more attempt."""
    ids = (
        conn.execute(
            select(outbox.c.id)
            .where(_due(now), *only)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    rows = (
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), _due(now))
            .values(
                state=OutboxState.SENDING.value,
                attempts=outbox.c.attempts + 1,
                **OUTBOX.take(owner, now, lease_seconds),
            )
            .returning(*outbox.c)
        )
        .mappings()
        .all()
    )
    order = {row_id: position for position, row_id in enumerate(ids)}
    return sorted((_item(row) for row in rows), key=lambda item: order[item.id])


def _maybe_sent(payload: Any) -> bool:
    """Whether a row's stored payload says a write of it was sent without a known answer."""
    return isinstance(payload, dict) and SENT_AT in payload


def _like(text: str) -> str:
    """`text` matched literally by LIKE (with backslash as the escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _mark_sent(conn: Connection, claim: OutboxItem, sent_at: str | None, *only: ColumnElement[bool]) -> bool:
    """Set (or, with None, drop) the row's `sent_at` mark, if the claim still holds it (and `only`)."""
    row = conn.execute(select(outbox.c.payload).where(_held(claim), *only).with_for_update()).mappings().first()
    if row is None:
        return False
    stored = row["payload"] if isinstance(row["payload"], dict) else {}
    payload = {name: value for name, value in stored.items() if name != SENT_AT}
    if sent_at is not None:
        payload[SENT_AT] = sent_at
    return conn.execute(update(outbox).where(_held(claim)).values(payload=payload)).rowcount == 1


class OutboxStore(ClaimStore):
    async def enqueue(
        self,
        key: str,
        kind: OutboxKind | str,
        payload: OutboxPayload,
        requester: Requester,
        now: datetime,
    ) -> tuple[OutboxItem, bool]:
        """Record a write once per idempotency key: (the row, True) for the first caller, (the
        existing row, False) for every repeat, concurrent ones included."""
        kind = OutboxKind(kind)
        require_aware(now)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"an outbox key has 1 to {MAX_KEY_LENGTH} characters")
        stored = _stored(kind, payload)

        def run(conn: Connection) -> tuple[OutboxItem, bool]:
            inserted = (
                conn.execute(
                    dialect_insert(conn, outbox)
                    .values(
                        key=key,
                        kind=kind.value,
                        payload=stored,
                        team_id=requester.team_id,
                        user_id=requester.user_id,
                        channel_id=requester.channel_id,
                        thread_ts=requester.thread_ts,
                        response_url=requester.response_url,
                        state=OutboxState.PENDING.value,
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=[outbox.c.key])
                    .returning(*outbox.c)
                )
                .mappings()
                .first()
            )
            if inserted is not None:
                return _item(inserted), True
            # Read committed: this statement sees the row whose insert made ours do nothing.
            existing = conn.execute(select(outbox).where(outbox.c.key == key)).mappings().one()
            return _item(existing), False

        return await self._run(run)

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[OutboxItem]:
        """Move up to `limit` due rows to sending, leased until now + lease_seconds, oldest first."""
        return await self._run(lambda conn: _claim(conn, self.owner, now, lease_seconds, limit))

    async def claim(self, item_id: int, now: datetime, lease_seconds: float) -> OutboxItem | None:
        """Claim one row to deliver it at once; None when it is not due (another worker holds it,
        it waits for its next attempt, or it is delivered or failed)."""
        claimed = await self._run(lambda conn: _claim(conn, self.owner, now, lease_seconds, 1, outbox.c.id == item_id))
        return claimed[0] if claimed else None

    async def mark_delivered(self, claim: OutboxItem, result: dict[str, Any], now: datetime) -> bool:
        """Record the tracker's answer (note id, issue number) under the claim; False when the
        claim is no longer held (the row's new holder finds the write by its tag and records it)."""
        return await self._change(
            _held(claim),
            state=OutboxState.DELIVERED.value,
            result=result,
            delivered_at=now,
            last_error=None,
            claim_until=None,
        )

    async def mark_retry(self, claim: OutboxItem, error: str, next_attempt_at: datetime) -> bool:
        """Give a claimed row back to the queue, to be tried again from next_attempt_at; False
        when the claim is no longer held (its lease ran out and another worker claimed the row)."""
        return await self._change(
            _held(claim),
            state=OutboxState.PENDING.value,
            last_error=error,
            next_attempt_at=next_attempt_at,
            claim_until=None,
        )

    async def mark_failed(self, claim: OutboxItem, error: str) -> bool:
        """Give up on a claimed row; `error` is the sentence shown to the person. False when the
        claim is no longer held."""
        return await self._change(_held(claim), state=OutboxState.FAILED.value, last_error=error, claim_until=None)

    async def mark_refused(self, claim: OutboxItem, reason: str) -> bool:
        """End a claimed row unsent because its person may not write it now; `reason` is the
        sentence shown to them. False when the claim is no longer held."""
        return await self._change(_held(claim), state=OutboxState.REFUSED.value, last_error=reason, claim_until=None)

    async def start_sending(self, claim: OutboxItem, now: datetime, within_seconds: float) -> bool:
        """Right before the write is sent: True when the claim is still held and its lease has
        `within_seconds` left, and then the row records that a write may be on its way
        (`payload["sent_at"]`, so a later attempt knows to look for it carefully)."""
        require_aware(now)
        lease_left = outbox.c.claim_until >= now + timedelta(seconds=within_seconds)
        return await self._run(lambda conn: _mark_sent(conn, claim, now.isoformat(), lease_left))

    async def forget_sent(self, claim: OutboxItem) -> bool:
        """The tracker answered the write with an error: nothing of it can land later."""
        return await self._run(lambda conn: _mark_sent(conn, claim, None))

    async def retry(self, item_id: int, now: datetime) -> bool:
        """A failed row back to pending with a fresh count of attempts and a new generation (the
        person's retry button)."""
        return await self._change(
            (outbox.c.id == item_id) & (outbox.c.state == OutboxState.FAILED.value),
            state=OutboxState.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            **OUTBOX.new_generation(),
        )

    async def resubmit(self, item_id: int, payload: OutboxPayload, now: datetime) -> bool:
        """A write sent again by the person before it went out (a corrected form): what they
        sent now replaces the stored payload, and the row is due at once under a new generation (a failed or cancelled
        one with a fresh count of attempts). False for a row being sent, delivered or refused. A row whose earlier
        payload may already have reached the tracker keeps that mark, so it is looked for first."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            row = (
                conn.execute(
                    select(outbox.c.state, outbox.c.kind, outbox.c.payload)
                    .where(outbox.c.id == item_id)
                    .with_for_update()
                )
                .mappings()
                .first()
            )
            resubmittable = (OutboxState.PENDING.value, OutboxState.FAILED.value, OutboxState.CANCELLED.value)
            if row is None or row["state"] not in resubmittable:
                return False
            stored = _stored(OutboxKind(row["kind"]), payload)
            earlier = row["payload"] if isinstance(row["payload"], dict) else {}
            sent = {SENT_AT: earlier[SENT_AT]} if SENT_AT in earlier else {}
            values: dict[str, Any] = {"payload": {**stored, **sent}, "next_attempt_at": now, **OUTBOX.new_generation()}
            if row["state"] != OutboxState.PENDING.value:
                values.update(state=OutboxState.PENDING.value, attempts=0, last_error=None)
            return (
                conn.execute(
                    update(outbox).where(outbox.c.id == item_id, outbox.c.state == row["state"]).values(**values)
                ).rowcount
                == 1
            )

        return await self._run(run)

    async def cancel_replaced(self, prefix: str, suffix: str, keep: str) -> list[OutboxItem]:
        """A correction recorded as `keep`: the other rows whose key is `prefix`, a number, then
        `suffix` (the same form with another issue number) are cancelled when nothing of them can
        have reached the tracker (pending or failed, with no `sent_at` mark). Returns, as they
        stand now, those cancelled by this call and those it was too late for (being sent, sent,
        or perhaps sent); rows already cancelled or refused are left out."""

        def run(conn: Connection) -> list[OutboxItem]:
            pattern = f"{_like(prefix)}%{_like(suffix)}"
            rows = conn.execute(
                select(outbox.c.id, outbox.c.key, outbox.c.state, outbox.c.payload)
                .where(outbox.c.key.like(pattern, escape="\\"), outbox.c.key != keep)
                .with_for_update()
            ).mappings()
            over = (OutboxState.CANCELLED.value, OutboxState.REFUSED.value)
            unsent = (OutboxState.PENDING.value, OutboxState.FAILED.value)
            matched = [row for row in rows if row["key"][len(prefix) : -len(suffix) or None].isdigit()]
            ids = [row["id"] for row in matched if row["state"] not in over]
            stop = [row["id"] for row in matched if row["state"] in unsent and not _maybe_sent(row["payload"])]
            if stop:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(stop), outbox.c.state.in_(unsent))
                    .values(state=OutboxState.CANCELLED.value)
                )
            if not ids:
                return []
            found = conn.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)).mappings()
            return [_item(row) for row in found]

        return await self._run(run)

    async def make_waiting_due(self, now: datetime) -> int:
        """The tracker answers again: every write waiting out a backoff is due now. Returns how
        many. Rows another transaction holds at this moment are left to it (PostgreSQL skips
        them), so two processes doing this at once never wait on each other's locks."""
        require_aware(now)

        def run(conn: Connection) -> int:
            ids = (
                conn.execute(
                    select(outbox.c.id).where(_waiting(now)).order_by(outbox.c.id).with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not ids:
                return 0
            return conn.execute(
                update(outbox).where(outbox.c.id.in_(ids), _waiting(now)).values(next_attempt_at=now)
            ).rowcount

        return await self._run(run)

    async def has_waiting(self, now: datetime) -> bool:
        """Whether some write waits out a backoff (worth probing the tracker for)."""
        return await self._run(
            lambda conn: conn.execute(select(outbox.c.id).where(_waiting(now)).limit(1)).first() is not None
        )

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many writes wait in the outbox (pending, or being sent), and when the oldest of them
        was recorded (None when none waits)."""
        waiting = outbox.c.state.in_([OutboxState.PENDING.value, OutboxState.SENDING.value])

        def run(conn: Connection) -> tuple[int, datetime | None]:
            count, oldest = conn.execute(select(func.count(), func.min(outbox.c.created_at)).where(waiting)).one()
            return int(count), oldest

        return await self._run(run)

    async def get(self, ref: int | str) -> OutboxItem | None:
        """An outbox row by id (int) or idempotency key (str)."""
        column = outbox.c.id if isinstance(ref, int) else outbox.c.key

        def run(conn: Connection) -> OutboxItem | None:
            row = conn.execute(select(outbox).where(column == ref)).mappings().first()
            return None if row is None else _item(row)

        return await self._run(run)

    async def slack_notes(self, note_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """Which of these Issuetrak notes were written from Slack, through this outbox: note id to
        the Slack user who wrote it and the channel they wrote it from (a note's own text, which
        anyone can type, is not trusted)."""
        if not note_ids:
            return {}
        note = outbox.c.result["note"].as_integer()

        def run(conn: Connection) -> dict[int, tuple[str, str | None]]:
            rows = conn.execute(
                select(note.label("note"), outbox.c.user_id, outbox.c.channel_id)
                .where(outbox.c.kind == OutboxKind.NOTE.value, outbox.c.state == OutboxState.DELIVERED.value)
                .where(note.in_(list(note_ids)))
            ).mappings()
            return {int(row["note"]): (row["user_id"], row["channel_id"]) for row in rows}

        return await self._run(run)

    async def _change(self, condition: ColumnElement[bool], **values: Any) -> bool:
        """Apply `values` to the one row `condition` picks, if it does; True when it did."""

        def run(conn: Connection) -> bool:
            return conn.execute(update(outbox).where(condition).values(**values)).rowcount == 1

        return await self._run(run)
