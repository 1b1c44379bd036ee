"""The change feed's rounds: one process reads a feed at a time, and each round's cursor.

A round is taken with the store's one claim (bot/store/claims.py) on the feed's row: of processes
starting a round at once, one reads the tracker and the others leave it to that one. The holder
moves the cursor on when its round is done (`finish_round`), fenced: a holder that stalled past
its lease while another took the round over changes nothing. What a round announces is decided
by the watermarks' compare-and-swap (`WatchStore.advance`), so even a round read twice announces
each change once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.store.claims import FEEDS, ClaimStore, fenced
from bot.store.models import Claim, require_aware
from bot.store.schema import dialect_insert, feed_rounds

f = feed_rounds.c


class FeedStore(ClaimStore):
    async def claim_round(self, name: str, now: datetime, lease_seconds: float) -> tuple[Claim, datetime | None] | None:
        """Take the feed's next round, with the cursor its last round left (None: never read);
        None when another process holds the round."""
        require_aware(now)

        def run(conn: Connection) -> tuple[Claim, datetime | None] | None:
            conn.execute(
                dialect_insert(conn, feed_rounds).values(name=name).on_conflict_do_nothing(index_elements=[f.name])
            )
            row = (
                conn.execute(
                    update(feed_rounds)
                    .where(f.name == name, FEEDS.free(now))
                    .values(**FEEDS.take(self.owner, now, lease_seconds))
                    .returning(*feed_rounds.c)
                )
                .mappings()
                .first()
            )
            return None if row is None else (FEEDS.claim(row), row["cursor"])

        return await self._run(run)

    async def finish_round(self, claim: Claim, cursor: datetime) -> bool:
        """Keep `cursor` as the feed's and free it for the next round; False when the claim is no
        longer current (nothing changed)."""
        require_aware(cursor)
        return await self._run(lambda conn: fenced(conn, claim, cursor=cursor, claim_until=None))

    async def feed_cursor(self, name: str) -> datetime | None:
        """Where the feed's last finished round began (None: never read)."""
        return await self._run(lambda conn: conn.execute(select(f.cursor).where(f.name == name)).scalar_one_or_none())
