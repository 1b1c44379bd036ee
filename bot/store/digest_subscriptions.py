"""Digest subscriptions (one per channel) and the claims that make each day's digest post once.

A digest is due from its local time ("HH:MM" in the subscription's zone) until the end of that
local day: one missed while the bot was down is still due later the same local day, never the
next. Posting is claimed first (claim_digest), so only one process posts a given day's digest.

A day's row carries the store's one claim (bot/store/claims.py) and is in one of three states:
being posted (no posted_ts), posted (posted_ts is the message's ts) or settled without a post
(posted_ts is SETTLED: set up after that day's time, or Slack refused the post for good). Its
holder renews the lease while the digest is built and once more right before posting; a post
that fails for a passing reason gives the claim back (`give_back`), so the day is due again; a
claim whose lease ran out (its process died or stalled) is due again and taken over by the next
claim, a new generation. `mark_digest_posted` and a settle after a claim are fenced by it.

`digest now` is a turn per channel rather than a claim: a row on the day NOW_DAY whose claimed_at
is the channel's last `digest now` (so the limit holds across processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, RowMapping, delete, or_, select, update

from bot import times
from bot.store.claims import DIGESTS, ClaimStore, fenced
from bot.store.models import Claim, DueDigest, Subscription, require_aware
from bot.store.schema import dialect_insert, digest_claims, digest_subscriptions

subs = digest_subscriptions
claims = digest_claims

SETTLED = "settled"  # posted_ts of a day settled without a post
NOW_DAY = date(1, 1, 1)  # the claim row that holds a channel's last `digest now`


def local_due_date(subscription: Subscription, now: datetime) -> date | None:
    """The local date whose digest is due at `now`, or None while today's local time has not come."""
    local = require_aware(now).astimezone(ZoneInfo(subscription.timezone))
    return local.date() if local.time() >= time.fromisoformat(subscription.time) else None


def _subscription(row: RowMapping) -> Subscription:
    return Subscription(
        id=row["id"],
        team_id=row["team_id"],
        channel_id=row["channel_id"],
        time=row["time"],
        timezone=row["timezone"],
        scope=tuple(row["scope"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        owner=row["owner"],
        paused_at=row["paused_at"],
    )


def _enabled_subscriptions(conn: Connection, *conditions: ColumnElement[bool]) -> list[Subscription]:
    rows = conn.execute(select(subs).where(subs.c.enabled, *conditions).order_by(subs.c.id)).mappings()
    return [_subscription(row) for row in rows]


class DigestStore(ClaimStore):
    async def subscribe(
        self,
        team_id: str,
        channel_id: str,
        time_of_day: str,
        timezone: str,
        scope: Sequence[str] | str,
        created_by: str,
        now: datetime,
    ) -> Subscription:
        """Set the channel's daily digest, replacing its earlier settings (the id and its claims
        stay, so changing the time never posts a day's digest twice)."""
        values = {
            "time": times.stored_time(time_of_day),
            "timezone": times.time_zone(timezone),
            "scope": [scope] if isinstance(scope, str) else list(scope),
            "created_by": created_by,
            "created_at": require_aware(now),
            "enabled": True,
            "owner": created_by,  # setting it again takes it over, and resumes it
            "paused_at": None,
        }

        def run(conn: Connection) -> Subscription:
            stmt = dialect_insert(conn, subs).values(team_id=team_id, channel_id=channel_id, **values)
            row = (
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[subs.c.team_id, subs.c.channel_id],
                        set_={name: stmt.excluded[name] for name in values},
                    ).returning(*subs.c)
                )
                .mappings()
                .one()
            )
            return _subscription(row)

        return await self._run(run)

    async def unsubscribe(self, team_id: str, channel_id: str) -> bool:
        """Stop the channel's digest; False when it had none."""

        def run(conn: Connection) -> bool:
            return (
                conn.execute(
                    update(subs)
                    .where(subs.c.team_id == team_id, subs.c.channel_id == channel_id, subs.c.enabled)
                    .values(enabled=False)
                ).rowcount
                == 1
            )

        return await self._run(run)

    async def subscription(self, team_id: str, channel_id: str) -> Subscription | None:
        def run(conn: Connection) -> Subscription | None:
            found = _enabled_subscriptions(conn, subs.c.team_id == team_id, subs.c.channel_id == channel_id)
            return found[0] if found else None

        return await self._run(run)

    async def subscriptions(self) -> list[Subscription]:
        return await self._run(_enabled_subscriptions)

    async def due_subscriptions(self, now: datetime) -> list[DueDigest]:
        """(subscription, local date) for each digest due at `now` and not posted, settled or
        being posted (a claim whose lease ran out is due again)."""
        require_aware(now)

        def run(conn: Connection) -> list[DueDigest]:
            candidates = [
                DueDigest(sub, due)
                for sub in _enabled_subscriptions(conn)
                if (due := local_due_date(sub, now)) is not None
            ]
            if not candidates:
                return []
            held = {
                tuple(row)
                for row in conn.execute(
                    select(claims.c.subscription_id, claims.c.due_date).where(
                        claims.c.subscription_id.in_([c.subscription.id for c in candidates]),
                        claims.c.due_date.in_({c.due_date for c in candidates}),
                        _held(now),
                    )
                )
            }
            return [c for c in candidates if (c.subscription.id, c.due_date) not in held]

        return await self._run(run)

    async def claim_digest(
        self, subscription_id: int, due_date: date, now: datetime, lease_seconds: float
    ) -> Claim | None:
        """The claim for exactly one caller per (subscription, local date) at a time: the one that
        should post; None for the others. A claim whose lease ran out is taken over."""

        def run(conn: Connection) -> Claim | None:
            taken = DIGESTS.take(self.owner, now, lease_seconds)
            first = {**taken, "claim_generation": 1}
            stmt = dialect_insert(conn, claims).values(
                subscription_id=subscription_id, due_date=due_date, claimed_at=now, **first
            )
            row = (
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[claims.c.subscription_id, claims.c.due_date],
                        set_={"claimed_at": stmt.excluded.claimed_at, **taken},
                        where=~_held(now),
                    ).returning(*claims.c)
                )
                .mappings()
                .first()
            )
            return None if row is None else DIGESTS.claim(row)

        return await self._run(run)

    async def settle_digest(self, subscription_id: int, due_date: date, now: datetime) -> None:
        """The day's digest is not to be posted (nor retried): set up after that day's time."""

        def run(conn: Connection) -> None:
            stmt = dialect_insert(conn, claims).values(
                subscription_id=subscription_id, due_date=due_date, claimed_at=now, posted_ts=SETTLED
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[claims.c.subscription_id, claims.c.due_date],
                    set_={"posted_ts": SETTLED},
                    where=claims.c.posted_ts.is_(None),
                )
            )

        await self._run(run)

    async def mark_digest_posted(self, claim: Claim, ts: str) -> bool:
        """Keep the posted message's ts (or SETTLED: Slack refused it for good) with the day's
        row; False when the claim is no longer current (another process took the day over)."""
        return await self._run(
            lambda conn: fenced(conn, claim, claims.c.posted_ts.is_(None), posted_ts=ts, claim_until=None)
        )

    async def claim_digest_now(
        self, team_id: str, channel_id: str, user: str, now: datetime, every: timedelta
    ) -> datetime | None:
        """Take the channel's `digest now` turn: None when taken, else when the last one was
        claimed (less than `every` ago). A channel without a digest gets a disabled
        subscription row to hold its turn."""
        require_aware(now)

        def run(conn: Connection) -> datetime | None:
            conn.execute(
                dialect_insert(conn, subs)
                .values(
                    team_id=team_id,
                    channel_id=channel_id,
                    time="00:00",
                    timezone="UTC",
                    scope=[],
                    created_by=user,
                    created_at=now,
                    enabled=False,
                )
                .on_conflict_do_nothing()
            )
            sub_id = conn.execute(
                select(subs.c.id).where(subs.c.team_id == team_id, subs.c.channel_id == channel_id)
            ).scalar_one()
            stmt = dialect_insert(conn, claims).values(subscription_id=sub_id, due_date=NOW_DAY, claimed_at=now)
            taken = conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[claims.c.subscription_id, claims.c.due_date],
                    set_={"claimed_at": stmt.excluded.claimed_at},
                    where=claims.c.claimed_at <= now - every,
                ).returning(claims.c.subscription_id)
            ).first()
            if taken is not None:
                return None
            claimed: datetime = conn.execute(
                select(claims.c.claimed_at).where(claims.c.subscription_id == sub_id, claims.c.due_date == NOW_DAY)
            ).scalar_one()
            return claimed

        return await self._run(run)

    async def release_digest_now(self, team_id: str, channel_id: str, claimed_at: datetime) -> None:
        """Give back a `digest now` turn that posted nothing (the person may try again at once)."""

        def run(conn: Connection) -> None:
            sub_id = select(subs.c.id).where(subs.c.team_id == team_id, subs.c.channel_id == channel_id)
            conn.execute(
                delete(claims).where(
                    claims.c.subscription_id.in_(sub_id),
                    claims.c.due_date == NOW_DAY,
                    claims.c.claimed_at == claimed_at,
                )
            )

        await self._run(run)

    # --- owners: whose rights a digest acts with -------------------------------------------------

    async def pause_digest(self, subscription_id: int, owner: str | None, now: datetime) -> bool:
        """Pause the digest while `owner` (None: nobody) still owns it and it runs; True for the
        one caller that paused it."""
        require_aware(now)
        owned = subs.c.owner.is_(None) if owner is None else subs.c.owner == owner

        def run(conn: Connection) -> bool:
            paused = conn.execute(
                update(subs)
                .where(subs.c.id == subscription_id, owned, subs.c.enabled, subs.c.paused_at.is_(None))
                .values(paused_at=now)
            )
            return paused.rowcount == 1

        return await self._run(run)


def _held(now: datetime) -> ColumnElement[bool]:
    """Days nobody else may take at `now`: posted, settled, or still being posted."""
    return or_(claims.c.posted_ts.is_not(None), DIGESTS.live(now))
