"""Who is who on the Slack side: names, emails and time zones from `users.info`, channel
names from `conversations.info`, message permalinks; cached briefly per app, since a note
with many mentions or a digest would otherwise ask again and again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackPerson:
    id: str
    name: str
    email: str | None
    tz: str | None


class Directory:
    def __init__(self, ttl: float = 300.0) -> None:
        self._people: TTLCache[tuple[str, str], SlackPerson] = TTLCache(maxsize=2048, ttl=ttl)
        self._channels: TTLCache[tuple[str, str], str] = TTLCache(maxsize=1024, ttl=ttl)

    async def person(self, client: AsyncWebClient, team: str, user_id: str) -> SlackPerson:
        cached = self._people.get((team, user_id))
        if cached is not None:
            return cached
        try:
            answer = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return SlackPerson(user_id, "someone", None, None)
        user = answer["user"]
        profile = user.get("profile") or {}
        found = SlackPerson(
            id=user_id,
            name=profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or "someone",
            email=profile.get("email"),
            tz=user.get("tz"),
        )
        self._people[(team, user_id)] = found
        return found

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
