"""Triage subscriptions: which channel hears of which scope's new issues, the thread of each issue
announced, and the news to post.

Exactly once, across processes: a new issue is announced by inserting its thread row (one per
subscription and issue: of two processes, one inserts) with its news in the same transaction;
a later event advances the thread's watermark with a compare-and-swap on its `version`, its news
recorded in the same transaction. News is posted by whoever claims its subscription (the store's
one claim, bot/store/claims.py), fenced as a watch's news is.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, func, insert, select, update

from bot.store.claims import SUBSCRIPTIONS, ClaimStore
from bot.store.models import (
    Claim,
    KitsuMark,
    Subscribed,
    TriageClaim,
    TriageNews,
    TriageSubscription,
    TriageThread,
    require_aware,
)
from bot.store.schema import (
    dialect_insert,
    kitsu_marks,
    kitsu_threads,
    triage_news,
    triage_subscriptions,
    triage_threads,
)

s = triage_subscriptions.c
t = triage_threads.c
n = triage_news.c
k = kitsu_marks.c
kt = kitsu_threads.c


def _subscription(row: RowMapping) -> TriageSubscription:
    return TriageSubscription(
        id=row["id"],
        team_id=row["team_id"],
        channel_id=row["channel_id"],
        scope=row["scope"],
        scope_name=row["scope_name"],
        filters=dict(row["filters"] or {}),
        events=tuple(row["events"] or ()),
        created_by=row["created_by"],
        created_at=row["created_at"],
        owner=row["owner"],
        paused_at=row["paused_at"],
    )


def _active(*conditions: ColumnElement[bool]) -> Any:
    return select(triage_subscriptions).where(s.ended_at.is_(None), *conditions).order_by(s.id)


def _lock_channel(conn: Connection, team_id: str, channel: str) -> None:
    """Serialize subscribing in one channel (the cap and the one-per-scope rule hold across processes)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(zlib.crc32(f"trackerbot.triage:{team_id}:{channel}".encode()))))


class TriageStore(ClaimStore):
    async def subscribe_triage(
        self,
        team_id: str,
        channel: str,
        *,
        scope: str,
        scope_name: str,
        filters: dict[str, dict[str, list[str]]],
        events: list[str],
        by: str,
        now: datetime,
        cap: int,
    ) -> tuple[Subscribed, TriageSubscription | None]:
        """Subscribe the channel to `scope`; a channel subscribed to it already has that
        subscription changed to these filters and events (UPDATED, acting for `by` from now on,
        resumed if it was paused); FULL when the channel has `cap`."""
        require_aware(now)

        def run(conn: Connection) -> tuple[Subscribed, TriageSubscription | None]:
            _lock_channel(conn, team_id, channel)
            mine = (s.team_id == team_id, s.channel_id == channel)
            existing = conn.execute(_active(*mine, s.scope == scope)).mappings().first()
            values = {"filters": filters, "events": events, "owner": by, "paused_at": None, "scope_name": scope_name}
            if existing is not None:
                row = (
                    conn.execute(
                        update(triage_subscriptions)
                        .where(s.id == existing["id"])
                        .values(**values)
                        .returning(*triage_subscriptions.c)
                    )
                    .mappings()
                    .one()
                )
                return Subscribed.UPDATED, _subscription(row)
            count = conn.execute(
                select(func.count()).select_from(triage_subscriptions).where(s.ended_at.is_(None), *mine)
            ).scalar_one()
            if count >= cap:
                return Subscribed.FULL, None
            row = (
                conn.execute(
                    insert(triage_subscriptions)
                    .values(team_id=team_id, channel_id=channel, scope=scope, created_by=by, created_at=now, **values)
                    .returning(*triage_subscriptions.c)
                )
                .mappings()
                .one()
            )
            return Subscribed.ADDED, _subscription(row)

        return await self._run(run)

    async def edit_subscription(
        self,
        team_id: str,
        subscription_id: int,
        *,
        by: str,
        filters: dict[str, dict[str, list[str]]] | None = None,
        events: list[str] | None = None,
    ) -> TriageSubscription | None:
        """Change only what is given (None: kept as it is); None when no such active subscription."""
        values: dict[str, Any] = {"owner": by, "paused_at": None}
        if filters is not None:
            values["filters"] = filters
        if events is not None:
            values["events"] = events

        def run(conn: Connection) -> TriageSubscription | None:
            row = (
                conn.execute(
                    update(triage_subscriptions)
                    .where(s.id == subscription_id, s.team_id == team_id, s.ended_at.is_(None))
                    .values(**values)
                    .returning(*triage_subscriptions.c)
                )
                .mappings()
                .first()
            )
            return None if row is None else _subscription(row)

        return await self._run(run)

    async def end_subscription(self, team_id: str, subscription_id: int, now: datetime) -> bool:
        require_aware(now)

        def run(conn: Connection) -> bool:
            ended = conn.execute(
                update(triage_subscriptions)
                .where(s.id == subscription_id, s.team_id == team_id, s.ended_at.is_(None))
                .values(ended_at=now)
            )
            return ended.rowcount == 1

        return await self._run(run)

    async def triage_subscription(self, team_id: str, subscription_id: int) -> TriageSubscription | None:
        """One active subscription of the workspace."""

        def run(conn: Connection) -> TriageSubscription | None:
            row = conn.execute(_active(s.id == subscription_id, s.team_id == team_id)).mappings().first()
            return None if row is None else _subscription(row)

        return await self._run(run)

    async def subscriptions_at(self, team_id: str, channel: str) -> list[TriageSubscription]:
        """The channel's active subscriptions, oldest first (`/tracker subscriptions` numbers them so)."""

        def run(conn: Connection) -> list[TriageSubscription]:
            rows = conn.execute(_active(s.team_id == team_id, s.channel_id == channel)).mappings()
            return [_subscription(row) for row in rows]

        return await self._run(run)

    async def heard_subscriptions(self) -> list[TriageSubscription]:
        """Every active subscription that is not paused."""

        def run(conn: Connection) -> list[TriageSubscription]:
            return [_subscription(row) for row in conn.execute(_active(s.paused_at.is_(None))).mappings()]

        return await self._run(run)

    async def pause_subscriptions(self, ids: list[int], owner: str, now: datetime) -> list[TriageSubscription]:
        """Pause those of `ids` still owned by `owner` and not paused; returns those this call paused."""
        require_aware(now)
        if not ids:
            return []

        def run(conn: Connection) -> list[TriageSubscription]:
            rows = conn.execute(
                update(triage_subscriptions)
                .where(s.id.in_(ids), s.owner == owner, s.ended_at.is_(None), s.paused_at.is_(None))
                .values(paused_at=now)
                .returning(*triage_subscriptions.c)
            ).mappings()
            return sorted((_subscription(row) for row in rows), key=lambda found: found.id)

        return await self._run(run)

    # --- threads and news ---------------------------------------------------------------------

    async def triage_threads(self) -> list[TriageThread]:
        """The threads of the active, unpaused subscriptions."""

        def run(conn: Connection) -> list[TriageThread]:
            heard = select(s.id).where(s.ended_at.is_(None), s.paused_at.is_(None))
            rows = conn.execute(select(triage_threads).where(t.subscription_id.in_(heard))).mappings()
            return [
                TriageThread(row["subscription_id"], row["issue_number"], row["snapshot"], row["version"], row["ts"])
                for row in rows
            ]

        return await self._run(run)

    async def announce_new(
        self, subscription_id: int, issue_number: int, snapshot: dict[str, Any], body: dict[str, Any], now: datetime
    ) -> bool:
        """Start the issue's thread for the subscription, with its news; False when it had one
        (another process, or an earlier round, announced it)."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            made = conn.execute(
                dialect_insert(conn, triage_threads)
                .values(subscription_id=subscription_id, issue_number=issue_number, snapshot=snapshot, version=0)
                .on_conflict_do_nothing(index_elements=[t.subscription_id, t.issue_number])
                .returning(t.issue_number)
            ).first()
            if made is None:
                return False
            conn.execute(
                insert(triage_news).values(
                    subscription_id=subscription_id, issue_number=issue_number, body=body, created_at=now
                )
            )
            return True

        return await self._run(run)

    async def advance_thread(
        self,
        thread: TriageThread,
        snapshot: dict[str, Any],
        body: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        """Move the thread's watermark on from `thread.version`, with its news; True for the one
        caller whose version was current."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            moved = conn.execute(
                update(triage_threads)
                .where(
                    t.subscription_id == thread.subscription_id,
                    t.issue_number == thread.issue_number,
                    t.version == thread.version,
                )
                .values(snapshot=snapshot, version=thread.version + 1)
            )
            if moved.rowcount != 1:
                return False
            if body is not None:
                conn.execute(
                    insert(triage_news).values(
                        subscription_id=thread.subscription_id,
                        issue_number=thread.issue_number,
                        body=body,
                        created_at=now,
                    )
                )
            return True

        return await self._run(run)

    async def claim_triage_news(self, now: datetime, limit: int, lease_seconds: float) -> list[TriageClaim]:
        """Claim the pending news of up to `limit` subscriptions nobody holds, each one's whole and in order."""
        require_aware(now)

        def run(conn: Connection) -> list[TriageClaim]:
            taken = SUBSCRIPTIONS.take_with_pending(
                conn, triage_news, n.subscription_id, owner=self.owner, now=now, seconds=lease_seconds, limit=limit
            )
            return [
                TriageClaim(
                    _subscription(row),
                    tuple(
                        TriageNews(p["id"], p["subscription_id"], p["issue_number"], p["body"], p["entity_id"])
                        for p in pieces
                    ),
                    SUBSCRIPTIONS.claim(row),
                )
                for row, pieces in taken
            ]

        return await self._run(run)

    async def triage_news_posted(self, claim: Claim, news_id: int, ts: str) -> bool:
        """Keep the message's ts with a piece of the claimed subscription's news; False when the
        claim is no longer current."""

        def run(conn: Connection) -> bool:
            holder = select(s.id).where(SUBSCRIPTIONS.holds(claim))
            done = conn.execute(
                update(triage_news)
                .where(n.id == news_id, n.subscription_id.in_(holder), n.posted_ts.is_(None))
                .values(posted_ts=ts)
            )
            return done.rowcount == 1

        return await self._run(run)

    async def thread_ts(self, subscription_id: int, issue_number: int) -> str | None:
        def run(conn: Connection) -> str | None:
            return conn.execute(
                select(t.ts).where(t.subscription_id == subscription_id, t.issue_number == issue_number)
            ).scalar_one_or_none()

        return await self._run(run)

    async def set_triage_thread(self, subscription_id: int, issue_number: int, ts: str) -> bool:
        def run(conn: Connection) -> bool:
            return (
                conn.execute(
                    update(triage_threads)
                    .where(t.subscription_id == subscription_id, t.issue_number == issue_number, t.ts.is_(None))
                    .values(ts=ts)
                ).rowcount
                == 1
            )

        return await self._run(run)

    # --- Kitsu production subscriptions: task statuses heard, entity threads ---------------------

    async def kitsu_mark(self, subscription_id: int) -> KitsuMark | None:
        """The statuses the subscription last heard; None before its first round."""

        def run(conn: Connection) -> KitsuMark | None:
            row = conn.execute(select(kitsu_marks).where(k.subscription_id == subscription_id)).mappings().first()
            return None if row is None else KitsuMark(row["subscription_id"], dict(row["statuses"]), row["version"])

        return await self._run(run)

    async def first_kitsu_mark(self, subscription_id: int, statuses: dict[str, str]) -> bool:
        """Record the statuses of the subscription's first round (nothing announced); False when
        another process recorded them first."""

        def run(conn: Connection) -> bool:
            made = conn.execute(
                dialect_insert(conn, kitsu_marks)
                .values(subscription_id=subscription_id, statuses=statuses, version=0)
                .on_conflict_do_nothing(index_elements=[k.subscription_id])
                .returning(k.subscription_id)
            ).first()
            return made is not None

        return await self._run(run)

    async def advance_kitsu_mark(
        self, mark: KitsuMark, statuses: dict[str, str], news: list[tuple[str, dict[str, Any]]], now: datetime
    ) -> bool:
        """Move the statuses heard on from `mark.version`, with the news of each entity (entity
        id, body) in the same transaction; True for the one caller whose version was current."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            moved = conn.execute(
                update(kitsu_marks)
                .where(k.subscription_id == mark.subscription_id, k.version == mark.version)
                .values(statuses=statuses, version=mark.version + 1)
            )
            if moved.rowcount != 1:
                return False
            for entity_id, body in news:
                conn.execute(
                    insert(triage_news).values(
                        subscription_id=mark.subscription_id,
                        issue_number=0,
                        entity_id=entity_id,
                        body=body,
                        created_at=now,
                    )
                )
            return True

        return await self._run(run)

    async def kitsu_thread_ts(self, subscription_id: int, entity_id: str) -> str | None:
        def run(conn: Connection) -> str | None:
            return conn.execute(
                select(kt.ts).where(kt.subscription_id == subscription_id, kt.entity_id == entity_id)
            ).scalar_one_or_none()

        return await self._run(run)

    async def set_kitsu_thread(self, subscription_id: int, entity_id: str, ts: str) -> bool:
        """Keep the message that started the entity's thread; False when it had one."""

        def run(conn: Connection) -> bool:
            made = conn.execute(
                dialect_insert(conn, kitsu_threads)
                .values(subscription_id=subscription_id, entity_id=entity_id, ts=ts)
                .on_conflict_do_nothing(index_elements=[kt.subscription_id, kt.entity_id])
                .returning(kt.entity_id)
            ).first()
            return made is not None

        return await self._run(run)
