"""Who writes as whom: person links (a Slack person tied to an Issuetrak user), the requests for a
link that an admin decides, and the audit of every link decision.

An Issuetrak user belongs to at most one Slack person per workspace: the database's unique index
says so, so two people claiming the same user at once cannot both win. Each decision and its
audit entry are one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.models import (
    AuditAction,
    AuditEntry,
    IdentityLink,
    IdentityLinkHow,
    IdentityLinkRequest,
    RequestState,
    require_aware,
)
from bot.store.schema import dialect_insert, link_audit, link_requests, person_links
from bot.store.transactions import StoreBase

links = person_links.c
requests = link_requests.c


@dataclass(frozen=True, slots=True)
class Decision:
    """How an admin's click on a request went: `request` as it stands after it (None: no such
    request in this workspace); `taken_by` is the link that holds the user when approval could not."""

    request: IdentityLinkRequest | None
    decided: bool
    taken_by: IdentityLink | None = None


class _Taken(Exception):
    def __init__(self, owner: IdentityLink) -> None:
        self.owner = owner


def _identity_link(row: RowMapping) -> IdentityLink:
    return IdentityLink(
        team_id=row["team_id"],
        slack_user_id=row["slack_user_id"],
        issuetrak_user_id=row["issuetrak_user_id"],
        how=IdentityLinkHow(row["how"]),
        linked_by=row["linked_by"],
        linked_at=row["linked_at"],
    )


def _request(row: RowMapping) -> IdentityLinkRequest:
    return IdentityLinkRequest(
        id=row["id"],
        team_id=row["team_id"],
        slack_user_id=row["slack_user_id"],
        issuetrak_user_id=row["issuetrak_user_id"],
        state=RequestState(row["state"]),
        requested_at=row["requested_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
    )


def _owner(conn: Connection, team_id: str, issuetrak_user_id: str) -> IdentityLink | None:
    row = (
        conn.execute(select(person_links).where(links.team_id == team_id, links.issuetrak_user_id == issuetrak_user_id))
        .mappings()
        .first()
    )
    return _identity_link(row) if row else None


def _record(
    conn: Connection,
    team_id: str,
    action: AuditAction,
    actor: str,
    subject: str,
    issuetrak_user_id: str | None,
    now: datetime,
) -> None:
    conn.execute(
        insert(link_audit).values(
            team_id=team_id,
            action=action.value,
            actor=actor,
            subject=subject,
            issuetrak_user_id=issuetrak_user_id,
            at=require_aware(now),
        )
    )


def _tie(
    conn: Connection,
    team_id: str,
    slack_user_id: str,
    issuetrak_user_id: str,
    how: IdentityLinkHow,
    by: str,
    now: datetime,
) -> IdentityLink:
    """Tie the person to the user (replacing their earlier link) unless someone else holds the
    user: then raise _Taken with that person's link."""
    owner = _owner(conn, team_id, issuetrak_user_id)
    if owner is not None and owner.slack_user_id != slack_user_id:
        raise _Taken(owner)
    values = {
        "issuetrak_user_id": issuetrak_user_id,
        "how": how.value,
        "linked_by": by,
        "linked_at": require_aware(now),
    }
    stmt = dialect_insert(conn, person_links).values(team_id=team_id, slack_user_id=slack_user_id, **values)
    row = (
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[links.team_id, links.slack_user_id],
                set_=values,
            ).returning(*person_links.c)
        )
        .mappings()
        .one()
    )
    return _identity_link(row)


def _request_by_id(conn: Connection, team_id: str, request_id: int) -> IdentityLinkRequest | None:
    row = (
        conn.execute(select(link_requests).where(requests.id == request_id, requests.team_id == team_id))
        .mappings()
        .first()
    )
    return _request(row) if row else None


class IdentityLinkStore(StoreBase):
    async def identity_link(self, team_id: str, slack_user_id: str) -> IdentityLink | None:
        def run(conn: Connection) -> IdentityLink | None:
            row = (
                conn.execute(select(person_links).where(links.team_id == team_id, links.slack_user_id == slack_user_id))
                .mappings()
                .first()
            )
            return _identity_link(row) if row else None

        return await self._run(run)

    async def link_person(
        self, team_id: str, slack_user_id: str, issuetrak_user_id: str, *, how: IdentityLinkHow, by: str, now: datetime
    ) -> IdentityLink:
        """Tie the Slack person to the Issuetrak user, replacing their earlier link, and record it.
        Returns the link that holds the Issuetrak user afterwards: someone else's when it was
        already taken (then nothing changed)."""

        def run(conn: Connection) -> IdentityLink:
            link = _tie(conn, team_id, slack_user_id, issuetrak_user_id, how, by, now)
            _record(conn, team_id, AuditAction.LINK, by, slack_user_id, issuetrak_user_id, now)
            return link

        return await self._holding(run, team_id, issuetrak_user_id)

    async def _holding(
        self, run: Callable[[Connection], IdentityLink], team_id: str, issuetrak_user_id: str
    ) -> IdentityLink:
        """Run a tie; when another person holds (or just took) the user, their link."""
        try:
            return await self._run(run)
        except _Taken as taken:
            return taken.owner
        except IntegrityError:  # another transaction tied the user between our check and insert
            owner = await self._run(lambda conn: _owner(conn, team_id, issuetrak_user_id))
            if owner is None:
                raise
            return owner

    async def forget_email_link(self, team_id: str, slack_user_id: str, issuetrak_user_id: str) -> bool:
        """Drop an email link whose email no longer matches (explicit links stay); False if none."""

        def run(conn: Connection) -> bool:
            return (
                conn.execute(
                    delete(person_links).where(
                        links.team_id == team_id,
                        links.slack_user_id == slack_user_id,
                        links.issuetrak_user_id == issuetrak_user_id,
                        links.how == IdentityLinkHow.EMAIL.value,
                    )
                ).rowcount
                == 1
            )

        return await self._run(run)

    async def unlink_person(self, team_id: str, slack_user_id: str, *, by: str, now: datetime) -> str | None:
        """Forget the person's link and record who did it; the Issuetrak user it was, or None."""

        def run(conn: Connection) -> str | None:
            gone = conn.execute(
                delete(person_links)
                .where(
                    links.team_id == team_id,
                    links.slack_user_id == slack_user_id,
                )
                .returning(links.issuetrak_user_id)
            ).scalar_one_or_none()
            if gone is not None:
                _record(conn, team_id, AuditAction.UNLINK, by, slack_user_id, gone, now)
            return gone

        return await self._run(run)

    async def request_link(
        self, team_id: str, slack_user_id: str, issuetrak_user_id: str, now: datetime
    ) -> tuple[IdentityLinkRequest, bool]:
        """Ask for a link; (the request, True) when recorded now, or (the person's request still
        pending, False): a person has one pending request at a time."""

        def pending(conn: Connection) -> IdentityLinkRequest | None:
            row = (
                conn.execute(
                    select(link_requests).where(
                        requests.team_id == team_id,
                        requests.slack_user_id == slack_user_id,
                        requests.state == RequestState.PENDING.value,
                    )
                )
                .mappings()
                .first()
            )
            return _request(row) if row else None

        def run(conn: Connection) -> tuple[IdentityLinkRequest, bool]:
            row = (
                conn.execute(
                    dialect_insert(conn, link_requests)
                    .values(
                        team_id=team_id,
                        slack_user_id=slack_user_id,
                        issuetrak_user_id=issuetrak_user_id,
                        state=RequestState.PENDING.value,
                        requested_at=require_aware(now),
                    )
                    .on_conflict_do_nothing()
                    .returning(*link_requests.c)
                )
                .mappings()
                .first()
            )
            if row is None:
                existing = pending(conn)
                if existing is None:  # decided between the insert and this read: ask again
                    raise LookupError("pending request vanished")
                return existing, False
            _record(conn, team_id, AuditAction.REQUEST, slack_user_id, slack_user_id, issuetrak_user_id, now)
            return _request(row), True

        try:
            return await self._run(run)
        except LookupError:
            return await self._run(run)

    async def withdraw_request(self, team_id: str, slack_user_id: str, now: datetime) -> IdentityLinkRequest | None:
        """Withdraw the person's pending request (its buttons then say it is out of date); None if none."""

        def run(conn: Connection) -> IdentityLinkRequest | None:
            row = (
                conn.execute(
                    update(link_requests)
                    .where(
                        requests.team_id == team_id,
                        requests.slack_user_id == slack_user_id,
                        requests.state == RequestState.PENDING.value,
                    )
                    .values(state=RequestState.WITHDRAWN.value, decided_by=slack_user_id, decided_at=require_aware(now))
                    .returning(*link_requests.c)
                )
                .mappings()
                .first()
            )
            return _request(row) if row else None

        return await self._run(run)

    async def link_request(self, team_id: str, request_id: int) -> IdentityLinkRequest | None:
        """A link request by its id, whatever its state; None when the workspace has no such request."""
        return await self._run(lambda conn: _request_by_id(conn, team_id, request_id))

    async def decide_request(
        self, team_id: str, request_id: int, *, admin: str, approve: bool, now: datetime
    ) -> Decision:
        """Approve (tie the person to the user) or deny a pending request, exactly once: of two
        admins clicking at once, one decides and the other hears it was already decided. An
        approval for a user someone else now holds decides nothing."""
        state = RequestState.APPROVED if approve else RequestState.DENIED

        def current(conn: Connection) -> IdentityLinkRequest | None:
            return _request_by_id(conn, team_id, request_id)

        def run(conn: Connection) -> Decision:
            row = (
                conn.execute(
                    update(link_requests)
                    .where(
                        requests.id == request_id,
                        requests.team_id == team_id,
                        requests.state == RequestState.PENDING.value,
                    )
                    .values(state=state.value, decided_by=admin, decided_at=require_aware(now))
                    .returning(*link_requests.c)
                )
                .mappings()
                .first()
            )
            if row is None:
                return Decision(current(conn), decided=False)
            request = _request(row)
            if approve:
                _tie(
                    conn, team_id, request.slack_user_id, request.issuetrak_user_id, IdentityLinkHow.REQUEST, admin, now
                )
            action = AuditAction.APPROVE if approve else AuditAction.DENY
            _record(conn, team_id, action, admin, request.slack_user_id, request.issuetrak_user_id, now)
            return Decision(request, decided=True)

        try:
            return await self._run(run)
        except (_Taken, IntegrityError) as exc:  # rolled back: the request is still pending
            request = await self._run(current)
            owner = (
                exc.owner
                if isinstance(exc, _Taken)
                else await self._run(lambda conn: _owner(conn, team_id, request.issuetrak_user_id if request else ""))
            )
            if owner is None:
                raise
            return Decision(request, decided=False, taken_by=owner)

    async def link_audit(self, team_id: str, limit: int = 20) -> list[AuditEntry]:
        """The newest link decisions in the workspace, newest first."""

        def run(conn: Connection) -> list[AuditEntry]:
            rows = conn.execute(
                select(link_audit)
                .where(link_audit.c.team_id == team_id)
                .order_by(link_audit.c.at.desc(), link_audit.c.id.desc())
                .limit(limit)
            ).mappings()
            return [
                AuditEntry(
                    action=AuditAction(r["action"]),
                    actor=r["actor"],
                    subject=r["subject"],
                    issuetrak_user_id=r["issuetrak_user_id"],
                    at=r["at"],
                )
                for r in rows
            ]

        return await self._run(run)
