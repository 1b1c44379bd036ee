"""Personal notifications: each person's choices and quiet hours, each issue's watermark, and the
DMs to send.

Exactly once, across processes: a round moves an issue's watermark with a compare-and-swap on its
`version` (a first sighting inserts it: of two processes, one does) and records the DMs it owes in
the same transaction; the DMs are sent by whoever claims the person (the store's one claim, on
their settings row), fenced as a watch's news is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.store.claims import NOTIFY, ClaimStore
from bot.store.models import Claim, require_aware
from bot.store.schema import dialect_insert, notify_items, notify_news, notify_settings, person_links

ROWS_PER_STATEMENT = 1_000  # rows of one multi-row INSERT (within every driver's parameter limit)
ns = notify_settings.c
ni = notify_items.c
nn = notify_news.c

KINDS = ("assigned", "next_action", "notes", "closed")
DEFAULT_KINDS = ("assigned", "next_action")


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A person's choices (`kinds`, a subset of KINDS), quiet hours and when they last changed."""

    team_id: str
    user_id: str
    kinds: tuple[str, ...] = DEFAULT_KINDS
    quiet_start: str | None = None
    quiet_end: str | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person who may be notified: their settings and the Issuetrak user they are linked to."""

    settings: NotifySettings
    issuetrak_user: str
    linked_at: datetime | None


@dataclass(frozen=True, slots=True)
class NotifyNews:
    id: int
    issue_number: int
    body: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NotifyClaim:
    settings: NotifySettings
    news: tuple[NotifyNews, ...]
    claim: Claim


def _settings(row: Any) -> NotifySettings:
    return NotifySettings(
        row["team_id"],
        row["user_id"],
        tuple(row["kinds"] or ()),
        row["quiet_start"],
        row["quiet_end"],
        row["changed_at"],
    )


Owed = list[tuple[str, str, dict[str, Any]]]  # (team, Slack user, body) of each DM an issue's change owes


class NotifyStore(ClaimStore):
    async def notify_settings(self, team_id: str, user_id: str) -> NotifySettings:
        """The person's settings (the defaults when they never chose)."""

        def run(conn: Connection) -> NotifySettings:
            row = conn.execute(select(notify_settings).where(ns.team_id == team_id, ns.user_id == user_id)).mappings()
            found = row.first()
            return NotifySettings(team_id, user_id) if found is None else _settings(found)

        return await self._run(run)

    async def save_notify_settings(
        self,
        team_id: str,
        user_id: str,
        now: datetime,
        *,
        kinds: Sequence[str] | None = None,
        quiet: tuple[str | None, str | None] | None = None,
    ) -> NotifySettings:
        """Change what is given (kinds, or quiet hours: (None, None) for none), keep the rest."""
        require_aware(now)
        current = await self.notify_settings(team_id, user_id)
        values: dict[str, Any] = {
            "kinds": [k for k in KINDS if k in (kinds if kinds is not None else current.kinds)],
            "quiet_start": quiet[0] if quiet is not None else current.quiet_start,
            "quiet_end": quiet[1] if quiet is not None else current.quiet_end,
            "changed_at": now,
        }

        def run(conn: Connection) -> NotifySettings:
            stmt = dialect_insert(conn, notify_settings).values(team_id=team_id, user_id=user_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=[ns.team_id, ns.user_id], set_=values))
            row = conn.execute(select(notify_settings).where(ns.team_id == team_id, ns.user_id == user_id))
            return _settings(row.mappings().one())

        return await self._run(run)

    async def recipients(self) -> list[Recipient]:
        """Everyone linked to an Issuetrak user, with their settings (defaults for those who never chose)."""

        def run(conn: Connection) -> list[Recipient]:
            pl = person_links.c
            rows = conn.execute(
                select(pl.team_id, pl.slack_user_id, pl.issuetrak_user_id, pl.linked_at, notify_settings).join(
                    notify_settings,
                    (ns.team_id == pl.team_id) & (ns.user_id == pl.slack_user_id),
                    isouter=True,
                )
            ).mappings()
            return [
                Recipient(
                    _settings(row)
                    if row["kinds"] is not None
                    else NotifySettings(row["team_id"], row["slack_user_id"]),
                    row["issuetrak_user_id"],
                    row["linked_at"],
                )
                for row in rows
            ]

        return await self._run(run)

    async def notify_watermarks(self) -> dict[int, tuple[dict[str, Any], int]]:
        def run(conn: Connection) -> dict[int, tuple[dict[str, Any], int]]:
            rows = conn.execute(select(ni.issue_number, ni.snapshot, ni.version)).all()
            return {row[0]: (row[1], row[2]) for row in rows}

        return await self._run(run)

    async def advance_notify(
        self, issue_number: int, version: int | None, snapshot: dict[str, Any], owed: Owed, now: datetime
    ) -> bool:
        """Move the issue's watermark from `version` (None: first sighting) and record the DMs it
        owes; True for the one caller whose version was current."""
        require_aware(now)

        def run(conn: Connection) -> bool:
            if version is None:
                made = conn.execute(
                    dialect_insert(conn, notify_items)
                    .values(issue_number=issue_number, snapshot=snapshot, version=0)
                    .on_conflict_do_nothing(index_elements=[ni.issue_number])
                    .returning(ni.issue_number)
                ).first()
                if made is None:
                    return False
            else:
                moved = conn.execute(
                    update(notify_items)
                    .where(ni.issue_number == issue_number, ni.version == version)
                    .values(snapshot=snapshot, version=version + 1)
                )
                if moved.rowcount != 1:
                    return False
            for team, user, body in owed:
                conn.execute(
                    dialect_insert(conn, notify_settings)
                    .values(team_id=team, user_id=user, kinds=list(DEFAULT_KINDS))
                    .on_conflict_do_nothing(index_elements=[ns.team_id, ns.user_id])
                )
                conn.execute(
                    insert(notify_news).values(
                        team_id=team, user_id=user, issue_number=issue_number, body=body, created_at=now
                    )
                )
            return True

        return await self._run(run)

    async def first_notify_sightings(self, snapshots: dict[int, dict[str, Any]]) -> int:
        """Record the watermark of each issue the feed sees for the first time, all in one
        transaction (a round's first may see 10,000); an issue another process recorded first
        keeps that one, as `advance_notify` with version None would. Returns how many this call made."""
        if not snapshots:
            return 0

        rows = [{"issue_number": n, "snapshot": snap, "version": 0} for n, snap in snapshots.items()]

        def run(conn: Connection) -> int:
            made = 0
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                made += len(
                    conn.execute(
                        dialect_insert(conn, notify_items)
                        .values(rows[start : start + ROWS_PER_STATEMENT])
                        .on_conflict_do_nothing(index_elements=[ni.issue_number])
                        .returning(ni.issue_number)
                    ).all()
                )
            return made

        return await self._run(run)

    async def claim_notify_news(self, now: datetime, limit: int, lease_seconds: float) -> list[NotifyClaim]:
        """Claim the pending DMs of up to `limit` people nobody holds, each one's whole and in order."""
        require_aware(now)

        def run(conn: Connection) -> list[NotifyClaim]:
            waiting = select(nn.team_id, nn.user_id).where(nn.posted_ts.is_(None)).distinct().subquery()
            chosen = conn.execute(
                select(ns.team_id, ns.user_id)
                .join(waiting, (waiting.c.team_id == ns.team_id) & (waiting.c.user_id == ns.user_id))
                .where(NOTIFY.free(now))
                .order_by(ns.team_id, ns.user_id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=notify_settings)
            ).all()
            claims: list[NotifyClaim] = []
            for team, user in chosen:
                row = (
                    conn.execute(
                        update(notify_settings)
                        .where(ns.team_id == team, ns.user_id == user, NOTIFY.free(now))
                        .values(**NOTIFY.take(self.owner, now, lease_seconds))
                        .returning(*notify_settings.c)
                    )
                    .mappings()
                    .first()
                )
                if row is None:
                    continue
                pending = conn.execute(
                    select(notify_news)
                    .where(nn.team_id == team, nn.user_id == user, nn.posted_ts.is_(None))
                    .order_by(nn.id)
                ).mappings()
                news = tuple(NotifyNews(p["id"], p["issue_number"], p["body"], p["created_at"]) for p in pending)
                claims.append(NotifyClaim(_settings(row), news, NOTIFY.claim(row)))
            return claims

        return await self._run(run)

    async def notify_posted(self, claim: Claim, news_ids: Sequence[int], ts: str) -> bool:
        """Keep the DM's ts with these pieces of the claimed person's news; False when the claim is gone."""
        team, user = claim.key

        def run(conn: Connection) -> bool:
            if conn.execute(select(ns.user_id).where(NOTIFY.holds(claim)).with_for_update()).first() is None:
                return False
            done = conn.execute(
                update(notify_news)
                .where(nn.id.in_(list(news_ids)), nn.team_id == team, nn.user_id == user, nn.posted_ts.is_(None))
                .values(posted_ts=ts)
            )
            return done.rowcount >= 1

        return await self._run(run)


def group_by_issue(news: Sequence[NotifyNews]) -> dict[int, list[NotifyNews]]:
    grouped: dict[int, list[NotifyNews]] = defaultdict(list)
    for piece in news:
        grouped[piece.issue_number].append(piece)
    return grouped
