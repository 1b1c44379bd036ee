"""Channel watches and digests act with the rights of their owner: whoever set them, or last
resumed them. Each watch round and digest run asks whether that person may still read what they
show (`watches.still_reads`), once per person however many they own (`Owners`). When they may
not, the watch or digest pauses and its channel is told once, with who set it and how anyone
there who may read resumes it (running the same command again, which makes them its owner).

While Slack cannot say who the owner is, or Issuetrak who they are in it, nothing pauses: a watch
waits for the next round; a digest goes without its Issuetrak issues.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, kitsu_subscriptions, watches
from bot.slack.directory import Directory, SlackBusy
from bot.store import Subscription, Watch
from bot.views import cards, sentence_blocks
from bot.views.mrkdwn import escape

if TYPE_CHECKING:
    from bot.posting.digest_delivery import Pacer

log = logging.getLogger(__name__)


class Owners:
    """One round's answers to "may this person still read it?": one directory look-up and one
    read check per person (and kind of reading), however many watches and digests they own."""

    def __init__(self, rt: Runtime, client: AsyncWebClient) -> None:
        self.rt, self.client = rt, client
        self.directory = Directory()
        self._answers: dict[tuple[str, str, bool], identity.Reader | None] = {}
        self._productions: dict[tuple[str, str, str], identity.Reader | None] = {}

    async def reader(self, team: str, user: str | None, *, issues: bool) -> identity.Reader | None:
        """Whether `user` may still read what they own (`issues`: Issuetrak issues); None while
        Slack cannot say who they are (asked again next round, not this one)."""
        if user is None:  # nobody recorded: it acts for nobody until someone resumes it
            return identity.Reader(messages.PERSON_UNKNOWN)
        key = (team, user, issues)
        if key not in self._answers:
            try:
                person = await self.directory.person(self.client, team, user)
            except SlackBusy:
                self._answers[key] = None
            else:
                self._answers[key] = await watches.still_reads(self.rt, team, person, issues=issues)
        return self._answers[key]

    async def on_production(self, team: str, user: str | None, production: str) -> identity.Reader | None:
        """Whether `user` may still hear of a Kitsu production's tasks (on its team); None while
        Slack cannot say who they are."""
        if user is None:
            return identity.Reader(messages.PERSON_UNKNOWN)
        key = (team, user, production)
        if key not in self._productions:
            try:
                person = await self.directory.person(self.client, team, user)
            except SlackBusy:
                self._productions[key] = None
            else:
                self._productions[key] = await kitsu_subscriptions.reader(self.rt, team, person, production)
        return self._productions[key]


def lost(reader: identity.Reader | None) -> bool:
    """Whether the answer is that the owner may no longer read (not: could not be told now)."""
    return reader is not None and reader.refusal is not None and not reader.down


async def check_watches(rt: Runtime, client: AsyncWebClient, owners: Owners, pacer: Pacer) -> int:
    """Pause every channel watch whose owner may no longer read its item, telling each channel
    once; returns how many paused."""
    gone: dict[tuple[str, str | None], list[Watch]] = defaultdict(list)
    for watch in await rt.store.owned_watches():
        if lost(await owners.reader(watch.team_id, watch.owner, issues=watches.shows_issues(watch))):
            gone[(watch.team_id, watch.owner)].append(watch)
    paused = 0
    for (_, owner), found in gone.items():
        paused_now = await pause_watches(rt, client, found, owner, pacer)
        paused += len(paused_now)
    return paused


async def pause_watches(
    rt: Runtime, client: AsyncWebClient, found: list[Watch], owner: str | None, pacer: Pacer
) -> list[Watch]:
    """Pause these watches of one owner; the process that paused them tells each channel once."""
    paused = await rt.store.pause_watches([w.id for w in found], owner, rt.clock())
    by_channel: dict[str, list[Watch]] = defaultdict(list)
    for watch in paused:
        by_channel[watch.destination].append(watch)
    for channel, mine in by_channel.items():
        log.info("%d watches in %s paused: their owner may no longer read them", len(mine), channel)
        sentence = messages.WATCHES_PAUSED.format(
            owner=owner or mine[0].created_by,
            items=", ".join(watches.describe_target(w.target) for w in mine),
            commands=", ".join(f"`{watches.resume_command(w.target)}`" for w in mine),
        )
        await say(client, channel, sentence, pacer)
    return paused


async def pause_digest(rt: Runtime, client: AsyncWebClient, sub: Subscription, pacer: Pacer) -> None:
    """Pause the channel's digest, whose owner may no longer read it; told once."""
    if not await rt.store.pause_digest(sub.id, sub.owner, rt.clock()):
        return  # another process did, or someone resumed it meanwhile
    log.info("the digest of %s paused: its owner may no longer read it", sub.channel_id)
    scope = f" {escape(sub.scope[0])}" if sub.scope else ""
    sentence = messages.DIGEST_PAUSED.format(
        owner=sub.owner or sub.created_by, time=sub.time, zone=sub.timezone, scope=scope
    )
    await say(client, sub.channel_id, sentence, pacer)


async def say(client: AsyncWebClient, channel: str, sentence: str, pacer: Pacer) -> None:
    """Tell the channel; a refusal is logged (the pause stands, and `watching` shows it)."""
    await pacer.wait(channel)
    try:
        await client.chat_postMessage(
            channel=channel, text=sentence, blocks=cards.as_dicts(sentence_blocks.said(sentence)), unfurl_links=False
        )
    except Exception as exc:  # noqa: BLE001 - Slack unreachable or refusing: the round goes on
        log.warning("could not tell %s that it paused: %s", channel, type(exc).__name__)
