"""Person links: a Slack account (team, user) tied to an Issuetrak user, from `/tracker link`."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from bot.store.base import StoreBase
from bot.store.schema import dialect_insert, person_links


class PeopleStore(StoreBase):
    async def link_person(self, team_id: str, slack_user_id: str, issuetrak_user_id: str) -> None:
        """Tie the Slack account to the Issuetrak user, replacing any earlier link."""

        def run(conn: Connection) -> None:
            stmt = dialect_insert(conn, person_links).values(
                team_id=team_id, slack_user_id=slack_user_id, issuetrak_user_id=issuetrak_user_id,
            )
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[person_links.c.team_id, person_links.c.slack_user_id],
                set_={"issuetrak_user_id": stmt.excluded.issuetrak_user_id},
            ))

        await self._run(run)

    async def linked_person(self, team_id: str, slack_user_id: str) -> str | None:
        def run(conn: Connection) -> str | None:
            return conn.execute(
                select(person_links.c.issuetrak_user_id).where(
                    person_links.c.team_id == team_id, person_links.c.slack_user_id == slack_user_id,
                )
            ).scalar_one_or_none()

        return await self._run(run)

    async def unlink_person(self, team_id: str, slack_user_id: str) -> bool:
        """Forget the link; False when there was none."""

        def run(conn: Connection) -> bool:
            return conn.execute(
                delete(person_links).where(
                    person_links.c.team_id == team_id, person_links.c.slack_user_id == slack_user_id,
                )
            ).rowcount == 1

        return await self._run(run)
