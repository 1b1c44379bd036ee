"""Watches: who hears of which item's changes, each item's watermark, and the news to post.

Exactly once, across processes and restarts:
- a poll advances an item's watermark with a compare-and-swap on its `version` (`advance`): of
  two processes that saw the same change, one moves the version on and the other changes nothing;
- the winner records the news for every active watch of the item in the same transaction, so a
  crash after the advance loses nothing: the news waits in `watch_news` until it is posted;
- news is posted by whoever claims its watch (`claim_news`: the store's one claim,
  bot/store/claims.py, on the watch's row), all of one watch's pending news at a time (so the
  thread's parent is posted once). The holder renews the claim before each post; `news_posted`
  changes a piece only while that claim's generation is current, and `give_back` frees the rest
  for the next round. A claim whose lease ran out (its process died or stalled) is taken over.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, func, insert, select, update

from bot.store.claims import WATCHES, ClaimStore
from bot.store.models import (
    Claim,
    NewsClaim,
    Watch,
    WatchAdded,
    WatchedItem,
    WatchEnd,
    WatchKind,
    WatchNews,
    WatchTarget,
    require_aware,
)
from bot.store.schema import dialect_insert, watch_items, watch_news, watches

w = watches.c
items = watch_items.c
news = watch_news.c

SETTLED = "settled"  # posted_ts of news that will never be posted (Slack refused it for good)


def _target(row: RowMapping) -> WatchTarget:
    return WatchTarget(
        kind=WatchKind(row["kind"]),
        tracker=row["tracker"],
        item_id=row["item_id"],
        name=row["name"],
        key=row["ref_key"],
        url=row["url"],
    )


def _watch(row: RowMapping) -> Watch:
    return Watch(
        id=row["id"],
        team_id=row["team_id"],
        destination=row["destination"],
        personal=row["personal"],
        target=_target(row),
        created_by=row["created_by"],
        created_at=row["created_at"],
        thread_ts=row["thread_ts"],
        thread_channel=row["thread_channel"],
        ended_at=row["ended_at"],
        ended_why=WatchEnd(row["ended_why"]) if row["ended_why"] else None,
        owner=row["owner"],
        paused_at=row["paused_at"],
    )


def _news(row: RowMapping) -> WatchNews:
    return WatchNews(
        id=row["id"],
        watch_id=row["watch_id"],
        body=row["body"],
        created_at=row["created_at"],
    )


def _active(*conditions: ColumnElement[bool]) -> Any:
    return select(watches).where(w.ended_at.is_(None), *conditions).order_by(w.id)


def _heard() -> ColumnElement[bool]:
    """Watches that hear of their item: active and not paused (a paused watch is not polled for,
    and no news is recorded for it)."""
    return w.ended_at.is_(None) & w.paused_at.is_(None)


def _lock_destination(conn: Connection, team_id: str, destination: str) -> None:
    """Serialize adding watches to one destination (the cap holds across processes). SQLite's
    transactions hold the write lock from their start already."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"trackerbot.watches:{team_id}:{destination}".encode())
        conn.execute(select(func.pg_advisory_xact_lock(key)))


class WatchStore(ClaimStore):
    async def add_watch(
        self,
        team_id: str,
        destination: str,
        target: WatchTarget,
        *,
        personal: bool,
        by: str,
        now: datetime,
        cap: int,
    ) -> tuple[WatchAdded, Watch | None]:
        """Start a watch, unless the destination watches the item already (ALREADY, with that
        watch) or has `cap` watches (FULL). An item nobody else watches starts afresh: its first
        poll only records it."""
        require_aware(now)

        def run(conn: Connection) -> tuple[WatchAdded, Watch | None]:
            _lock_destination(conn, team_id, destination)
            mine = w.team_id == team_id, w.destination == destination
            existing = conn.execute(_active(*mine, w.item_key == target.item_key)).mappings().first()
            if existing is not None:
                return WatchAdded.ALREADY, _watch(existing)
            count = conn.execute(
                select(func.count()).select_from(watches).where(w.ended_at.is_(None), *mine)
            ).scalar_one()
            if count >= cap:
                return WatchAdded.FULL, None
            others = conn.execute(select(w.id).where(w.ended_at.is_(None), w.item_key == target.item_key)).first()
            stmt = dialect_insert(conn, watch_items).values(item_key=target.item_key, snapshot=None, version=0)
            if others is None:  # nobody follows it: whatever its watermark was is stale
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[items.item_key],
                        set_={"snapshot": None, "version": items.version + 1, "checked_at": None},
                    )
                )
            else:
                conn.execute(stmt.on_conflict_do_nothing(index_elements=[items.item_key]))
            row = (
                conn.execute(
                    insert(watches)
                    .values(
                        team_id=team_id,
                        destination=destination,
                        personal=personal,
                        item_key=target.item_key,
                        kind=target.kind.value,
                        tracker=target.tracker,
                        item_id=target.item_id,
                        name=target.name,
                        ref_key=target.key,
                        url=target.url,
                        created_by=by,
                        created_at=now,
                        owner=by,
                    )
                    .returning(*watches.c)
                )
                .mappings()
                .one()
            )
            return WatchAdded.ADDED, _watch(row)

        return await self._run(run)

    async def end_watch(self, watch_id: int, why: WatchEnd, now: datetime) -> bool:
        """End an active watch; False when it had ended already."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            ended = conn.execute(
                update(watches).where(w.id == watch_id, w.ended_at.is_(None)).values(ended_at=now, ended_why=why.value)
            )
            return ended.rowcount == 1

        return await self._run(run)

    async def watch(self, team_id: str, watch_id: int) -> Watch | None:
        """One watch of the workspace, active or ended; None when it has no such watch."""

        def run(conn: Connection) -> Watch | None:
            row = conn.execute(select(watches).where(w.id == watch_id, w.team_id == team_id)).mappings().first()
            return None if row is None else _watch(row)

        return await self._run(run)

    async def watches_at(self, team_id: str, destination: str) -> list[Watch]:
        """The active watches whose news goes to `destination`, oldest first."""

        def run(conn: Connection) -> list[Watch]:
            rows = conn.execute(_active(w.team_id == team_id, w.destination == destination)).mappings()
            return [_watch(row) for row in rows]

        return await self._run(run)

    async def watches_by(self, team_id: str, user: str) -> list[Watch]:
        """The active watches a person set, wherever their news goes, oldest first."""

        def run(conn: Connection) -> list[Watch]:
            rows = conn.execute(_active(w.team_id == team_id, w.created_by == user)).mappings()
            return [_watch(row) for row in rows]

        return await self._run(run)

    async def watched_items(self) -> list[WatchedItem]:
        """Every item an active watch follows, once however many watch it, with its watermark."""

        def run(conn: Connection) -> list[WatchedItem]:
            first = select(func.min(w.id).label("id")).where(_heard()).group_by(w.item_key).subquery()
            rows = conn.execute(
                select(watches, items.snapshot, items.version)
                .join(first, first.c.id == w.id)
                .join(watch_items, items.item_key == w.item_key, isouter=True)
                .order_by(w.item_key)
            ).mappings()
            return [WatchedItem(_target(row), row["snapshot"], row["version"] or 0) for row in rows]

        return await self._run(run)

    async def advance(
        self,
        item_key: str,
        version: int,
        snapshot: dict[str, Any] | None,
        now: datetime,
        *,
        news_body: dict[str, Any] | None = None,
        gone: bool = False,
    ) -> bool:
        """Move the item's watermark from `version` to `snapshot` (None: forget it), and record
        `news_body` for each of its active watches; `gone` also ends those watches. True for the
        one caller whose `version` was current; every other caller changes nothing."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            moved = conn.execute(
                update(watch_items)
                .where(items.item_key == item_key, items.version == version)
                .values(snapshot=snapshot, version=version + 1, checked_at=now)
            )
            if moved.rowcount != 1:
                return False
            if news_body is not None:
                ids = conn.execute(select(w.id).where(w.item_key == item_key, _heard())).scalars().all()
                if ids:
                    conn.execute(
                        insert(watch_news), [{"watch_id": i, "body": news_body, "created_at": now} for i in ids]
                    )
            if gone:
                conn.execute(
                    update(watches)
                    .where(w.item_key == item_key, w.ended_at.is_(None))
                    .values(ended_at=now, ended_why=WatchEnd.GONE.value)
                )
            return True

        return await self._run(run)

    async def first_polls(self, first: Sequence[tuple[str, int, dict[str, Any]]], now: datetime) -> int:
        """Record the first poll of each item (its key, the version it was read at, its snapshot),
        all in one transaction (a round's first may poll 10,000) and announcing nothing: the same
        compare-and-swap as `advance`, so an item another process recorded meanwhile keeps that.
        Returns how many this call moved."""
        require_aware(now)

        def run(conn: Connection) -> int:
            moved = 0
            for item_key, version, snapshot in first:
                moved += conn.execute(
                    update(watch_items)
                    .where(items.item_key == item_key, items.version == version)
                    .values(snapshot=snapshot, version=version + 1, checked_at=now)
                ).rowcount
            return moved

        return await self._run(run) if first else 0

    async def claim_news(self, now: datetime, limit: int, lease_seconds: float) -> list[NewsClaim]:
        """Claim the pending news of up to `limit` watches that nobody holds, each watch's whole
        and in order (`Lease.take_with_pending`: two claimers never get the same watch)."""
        require_aware(now)

        def run(conn: Connection) -> list[NewsClaim]:
            taken = WATCHES.take_with_pending(
                conn, watch_news, news.watch_id, owner=self.owner, now=now, seconds=lease_seconds, limit=limit
            )
            return [
                NewsClaim(_watch(row), tuple(_news(piece) for piece in pieces), WATCHES.claim(row))
                for row, pieces in taken
            ]

        return await self._run(run)

    async def news_posted(self, claim: Claim, news_id: int, ts: str) -> bool:
        """Keep the message's ts (or SETTLED) with a piece of the claimed watch's news; False
        when the claim is no longer current."""

        def run(conn: Connection) -> bool:
            holder = select(w.id).where(WATCHES.holds(claim))
            done = conn.execute(
                update(watch_news)
                .where(news.id == news_id, news.watch_id.in_(holder), news.posted_ts.is_(None))
                .values(posted_ts=ts)
            )
            return done.rowcount == 1

        return await self._run(run)

    async def set_thread(self, watch_id: int, ts: str, channel: str) -> bool:
        """The watch's first news was posted as `ts` in `channel`: later news goes in its thread."""

        def run(conn: Connection) -> bool:
            return (
                conn.execute(
                    update(watches)
                    .where(w.id == watch_id, w.thread_ts.is_(None))
                    .values(thread_ts=ts, thread_channel=channel)
                ).rowcount
                == 1
            )

        return await self._run(run)

    async def pending_news(self) -> int:
        """How much news waits to be posted (claimed or not)."""
        return await self._run(
            lambda conn: conn.execute(
                select(func.count()).select_from(watch_news).where(news.posted_ts.is_(None))
            ).scalar_one()
        )

    # --- owners: whose rights a channel's watch acts with ----------------------------------------

    async def owned_watches(self) -> list[Watch]:
        """The channels' active watches that are not paused (their owners are checked each round)."""

        def run(conn: Connection) -> list[Watch]:
            return [_watch(row) for row in conn.execute(_active(_heard(), ~w.personal)).mappings()]

        return await self._run(run)

    async def pause_watches(self, watch_ids: Sequence[int], owner: str | None, now: datetime) -> list[Watch]:
        """Pause the active watches among `watch_ids` still owned by `owner` (None: by nobody) and
        not paused yet; returns those this call paused (of processes doing it at once, one does)."""
        require_aware(now)
        if not watch_ids:
            return []
        owned = w.owner.is_(None) if owner is None else w.owner == owner

        def run(conn: Connection) -> list[Watch]:
            rows = conn.execute(
                update(watches)
                .where(w.id.in_(list(watch_ids)), owned, _heard())
                .values(paused_at=now)
                .returning(*watches.c)
            ).mappings()
            return sorted((_watch(row) for row in rows), key=lambda found: found.id)

        return await self._run(run)

    async def resume_watch(self, watch_id: int, owner: str) -> bool:
        """Resume a paused active watch, acting for `owner` from now on; False when it was not paused."""

        def run(conn: Connection) -> bool:
            resumed = conn.execute(
                update(watches)
                .where(w.id == watch_id, w.ended_at.is_(None), w.paused_at.is_not(None))
                .values(owner=owner, paused_at=None)
            )
            return resumed.rowcount == 1

        return await self._run(run)
