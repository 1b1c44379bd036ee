"""Who is who on the Slack side: names, emails, time zones and guest flags from `users.info`,
channel names from `conversations.info`, message permalinks; cached briefly per app (a person
Slack does not know is cached too), since a note with many mentions or a digest would otherwise
ask again and again.

A failure that passes (Slack's rate limit, its 5xx, the network) is `SlackBusy`, never "this
person has no email": who someone is must not be decided on a lookup that did not happen."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.errors import PersonFacingError
from bot.slack.notes_html import mentioned_ids

log = logging.getLogger(__name__)

MAX_MENTIONS = 20  # names looked up for one note; further mentions stay a plain `@U…`
_PASSING_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


class SlackBusy(PersonFacingError):
    """Slack could not say who someone is just now; str() is a sentence for the person."""

    def __init__(self) -> None:
        super().__init__(messages.SLACK_BUSY)


@dataclass(frozen=True)
class SlackPerson:
    id: str
    name: str
    email: str | None
    tz: str | None
    guest: bool = False  # a multi- or single-channel guest (`is_restricted`, `is_ultra_restricted`)
    known: bool = True  # False: Slack has no such user
    deleted: bool = False  # the account was deactivated in Slack


# Who a Slack person (team, user id) is at this moment; SlackBusy when Slack cannot say just now.
PersonLookup = Callable[[str, str], Awaitable["SlackPerson"]]


def fresh_lookup(client: AsyncWebClient) -> PersonLookup:
    """Slack asked afresh who each person is (remembered only for this one run of writes): what
    decides a write's rights when it goes out."""
    directory = Directory()
    return lambda team, user: directory.person(client, team, user)


class TeamDirectory(Protocol):
    """Who is who in one workspace, as a service is handed it (`Directory.of`): no Slack client in sight."""

    async def person(self, user_id: str) -> SlackPerson:
        """Who `user_id` is; SlackBusy when Slack could not say just now."""
        ...

    async def names_in(self, text: str) -> dict[str, str]:
        """Names for the `<@U…>` mentions in `text`: a bounded number looked up, the rest kept as IDs."""
        ...

    def fresh_lookup(self) -> PersonLookup:
        """Who each person is, Slack asked afresh (not this directory's cache): for a write's rights."""
        ...


def _passing(exc: SlackApiError) -> bool:
    status = getattr(exc.response, "status_code", 200)
    return status == 429 or status >= 500 or exc.response.get("error") in _PASSING_ERRORS


class Directory:
    def __init__(self, ttl: float = 300.0) -> None:
        self._people: TTLCache[tuple[str, str], SlackPerson] = TTLCache(maxsize=2048, ttl=ttl)
        self._channels: TTLCache[tuple[str, str], str] = TTLCache(maxsize=1024, ttl=ttl)

    async def person(self, client: AsyncWebClient, team: str, user_id: str) -> SlackPerson:
        """Who `user_id` is; SlackBusy when Slack could not say just now (not cached)."""
        cached = self._people.get((team, user_id))
        if cached is not None:
            return cached
        try:
            answer = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            if _passing(exc):
                raise SlackBusy() from exc
            found = SlackPerson(user_id, "someone", None, None, known=False)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            raise SlackBusy() from exc
        else:
            found = _person(user_id, answer["user"])
        self._people[(team, user_id)] = found
        return found

    async def mention_names(
        self, client: AsyncWebClient, team: str, user_ids: Iterable[str], cap: int = MAX_MENTIONS
    ) -> dict[str, str]:
        """Names for the mentioned users: the first `cap` (in ID order) are looked up; the others,
        people Slack does not know, and everyone after Slack says it is busy, keep their ID."""
        names: dict[str, str] = {}
        busy = False
        for count, user_id in enumerate(sorted(set(user_ids))):
            names[user_id] = user_id
            if busy or count >= cap:
                continue
            try:
                person = await self.person(client, team, user_id)
            except SlackBusy:
                busy = True
                continue
            if person.known:
                names[user_id] = person.name
        return names

    def of(self, client: AsyncWebClient, team: str) -> TeamDirectory:
        """This directory for `team`, looked up through `client`: what a service is handed."""
        return _BoundDirectory(self, client, team)

    async def channel_name(self, client: AsyncWebClient, team: str, channel_id: str) -> str:
        cached = self._channels.get((team, channel_id))
        if cached is not None:
            return cached
        try:
            answer = await client.conversations_info(channel=channel_id)
            name = answer["channel"].get("name") or channel_id
        except SlackApiError:
            name = "a direct message" if channel_id.startswith("D") else channel_id
        self._channels[(team, channel_id)] = name
        return name

    @staticmethod
    async def permalink(client: AsyncWebClient, channel_id: str, ts: str) -> str | None:
        try:
            answer = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError:
            return None
        return answer.get("permalink")


# What users.lookupByEmail answers when no Slack account has the email (the first is Slack's own).
_NO_SUCH_EMAIL = frozenset({"users_not_found", "user_not_found", "invalid_email"})


async def email_owner(client: AsyncWebClient, email: str) -> str | None:
    """The Slack person whose email this is (an account not deactivated), asked of Slack now, or
    None when nobody has it. SlackBusy when Slack could not say, whatever the reason: a question
    about who holds an Issuetrak user is never answered by a guess."""
    try:
        answer = await client.users_lookupByEmail(email=email)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in _NO_SUCH_EMAIL and not _passing(exc):
            return None
        log.warning("users.lookupByEmail failed: %s", error)
        raise SlackBusy() from exc
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("users.lookupByEmail failed: %s", type(exc).__name__)
        raise SlackBusy() from exc
    user = answer.get("user")
    if not isinstance(user, dict) or user.get("deleted") is True or not isinstance(user.get("id"), str):
        return None
    return str(user["id"])


def _person(user_id: str, user: dict[str, Any]) -> SlackPerson:
    given = user.get("profile")
    profile: dict[str, Any] = given if isinstance(given, dict) else {}
    return SlackPerson(
        id=user_id,
        name=profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or "someone",
        email=profile.get("email") or None,
        tz=user.get("tz"),
        guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        deleted=user.get("deleted") is True,
    )


@dataclass(frozen=True)
class _BoundDirectory:
    directory: Directory
    client: AsyncWebClient
    team: str

    async def person(self, user_id: str) -> SlackPerson:
        return await self.directory.person(self.client, self.team, user_id)

    async def names_in(self, text: str) -> dict[str, str]:
        users, _channels = mentioned_ids(text)
        return await self.directory.mention_names(self.client, self.team, users)

    def fresh_lookup(self) -> PersonLookup:
        return fresh_lookup(self.client)
