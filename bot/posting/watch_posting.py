"""A watch round: poll the watched items (`bot.services.watches.poll`), then post the news each
destination is owed, each piece exactly once (the store's claims decide who posts).

A watch's news goes into one thread: its first piece is posted as the thread's parent, whose ts
the watch keeps; later pieces go into that thread. The watch's claim (the store's one claim,
bot/store/claims.py) is renewed right before each post, so a process that was stopped or slowed
past its lease posts nothing another process has taken over; it is given back when the watch's
turn ends. A post that fails for a passing reason leaves the rest to the next round; one Slack
refuses for good (the bot left the channel) settles that watch's news and ends the watch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages, metrics
from bot.posting import notify_posting, triage_posting
from bot.posting.digest_delivery import PACER, Pacer, passing
from bot.posting.owners import Owners, check_watches, pause_watches
from bot.runtime import Runtime
from bot.services import issue_feed, kitsu_subscriptions, notify, triage, watches
from bot.store import NewsClaim, WatchEnd
from bot.store.watches import SETTLED
from bot.views import cards
from bot.views import watches as watch_view

log = logging.getLogger(__name__)

CLAIM_LIMIT = 50  # watches whose news one claim takes


@dataclass
class RoundSummary(watches.Polled):
    """What one watch round did: the poll's counts, then the news posted, the watches paused (their
    owner may no longer read) and the round's seconds."""

    posted: int = 0
    paused: int = 0
    seconds: float = 0.0


async def run_round(
    rt: Runtime,
    client: AsyncWebClient,
    *,
    pacer: Pacer = PACER,
    concurrency: int = watches.POLL_CONCURRENCY,
) -> RoundSummary:
    """One round: the channel watches and subscriptions whose owner may no longer read paused,
    every watched item read once (issues with the subscriptions' in one change feed), each
    subscribed Kitsu production's tasks once, then every
    piece of news owed posted (each owner asked about once in all)."""
    started = time.monotonic()
    owners = Owners(rt, client)
    paused = await check_watches(rt, client, owners, pacer)
    paused += await triage_posting.check_subscriptions(rt, client, owners, pacer)
    also = issue_feed.Together([await triage.followed(rt), await notify.followed(rt)])
    polled = await watches.poll(rt, concurrency=concurrency, also=also)
    await kitsu_subscriptions.poll(rt)
    posted = await post_news(rt, client, pacer=pacer, owners=owners)
    posted += await triage_posting.post_triage(rt, client, pacer=pacer, owners=owners)
    posted += await notify_posting.post_notifications(rt, client, owners=owners, pacer=pacer)
    seconds = time.monotonic() - started
    metrics.observe_watch_round(seconds)
    return RoundSummary(**asdict(polled), posted=posted, paused=paused, seconds=seconds)


async def post_news(rt: Runtime, client: AsyncWebClient, *, pacer: Pacer = PACER, owners: Owners | None = None) -> int:
    """Post the news this process wins the claims of; returns how many pieces were posted. Each
    watch's claim is given back when its turn ends (what is left of its news is the next round's)."""
    posted, owners = 0, owners or Owners(rt, client)
    while claims := await rt.store.claim_news(rt.clock(), CLAIM_LIMIT, rt.settings.CLAIM_LEASE_SECONDS):
        for n, claim in enumerate(claims):
            try:
                done, finished = await _post_claim(rt, client, claim, pacer, owners)
            finally:
                await rt.store.give_back(claim.claim)
            posted += done
            if not finished:  # Slack is not taking posts now: the next round goes on
                for rest in claims[n + 1 :]:
                    await rt.store.give_back(rest.claim)
                return posted
    return posted


async def _still_heard(
    rt: Runtime, client: AsyncWebClient, claim: NewsClaim, pacer: Pacer, owners: Owners
) -> bool | None:
    """Whether the person the watch acts for (a personal watch's person, a channel watch's owner)
    may still read its news. When they may not, the news is settled unsaid, and a personal watch
    ends while a channel's pauses (its channel told once); a paused watch's news is settled too.
    None when it cannot be told now (its claim is given back: the next round asks again)."""
    watch = claim.watch
    heard: bool | None = False
    if watch.paused_at is None:
        whom = watch.destination if watch.personal else watch.owner
        reader = await owners.reader(watch.team_id, whom, issues=watches.shows_issues(watch))
        heard = (
            None if reader is None or reader.down else all(watches.news_shown(rt, reader, p.body) for p in claim.news)
        )
    if heard is False:
        log.info("watch %d: whom it acts for may no longer read it; its news is not posted", watch.id)
        for piece in claim.news:
            await rt.store.news_posted(claim.claim, piece.id, SETTLED)
        if watch.personal:
            await rt.store.end_watch(watch.id, WatchEnd.GONE, rt.clock())
        elif watch.paused_at is None:
            await pause_watches(rt, client, [watch], watch.owner, pacer)
    return heard


async def _post_claim(
    rt: Runtime, client: AsyncWebClient, claim: NewsClaim, pacer: Pacer, owners: Owners
) -> tuple[int, bool]:
    """Post one watch's claimed news in order; (how many were posted, whether Slack took them).
    A claim taken over meanwhile (renewed right before each post) stops here: its new holder posts."""
    watch, store = claim.watch, rt.store
    if watch.ended_why is WatchEnd.UNWATCHED:  # stopped after this news was recorded: not wanted now
        for piece in claim.news:
            await store.news_posted(claim.claim, piece.id, SETTLED)
        return 0, True
    heard = await _still_heard(rt, client, claim, pacer, owners)
    if not heard:
        return 0, heard is False
    thread, channel = watch.thread_ts, watch.thread_channel or watch.destination
    names = await triage.names_of(rt)
    for n, piece in enumerate(claim.news):
        body = readable(piece.body, names, (watch.destination, channel))
        if body is None:  # only what was written from Slack right here: nothing to tell
            await store.news_posted(claim.claim, piece.id, SETTLED)
            continue
        try:
            await pacer.wait(watch.destination)
            if await store.renew(claim.claim, rt.clock(), rt.settings.CLAIM_LEASE_SECONDS) is None:
                log.warning("watch %d: its news was taken over by another process; not posted here", watch.id)
                return n, True
            answer = await client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=watch_view.news_text(body),
                blocks=cards.as_dicts(watch_view.news_blocks(body)),
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:  # noqa: BLE001 - told apart here; the other watches go on
            if passing(exc):
                log.warning("watch %d: Slack did not take its news (%s); the next round tries again", watch.id, exc)
                return n, False
            reason = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.error(
                "watch %d: Slack refused its news in %s (%s); the watch ends", watch.id, watch.destination, reason
            )
            for left in claim.news[n:]:
                await store.news_posted(claim.claim, left.id, SETTLED)
            await store.end_watch(watch.id, WatchEnd.CLOSED, rt.clock())
            return n, True
        ts = str(answer.get("ts", ""))
        await store.news_posted(claim.claim, piece.id, ts)
        if thread is None and ts:
            thread, channel = ts, str(answer.get("channel") or channel)
            await store.set_thread(watch.id, ts, channel)
    return len(claim.news), True


def readable(body: dict[str, Any], names: dict[str, str], here: tuple[str, ...]) -> dict[str, Any] | None:
    """The news as a person would write it: a note written from Slack in this very place left
    out (its writer saw it here), one from elsewhere said once with who wrote it; authors named
    as cards name them. None when nothing is left to say."""
    notes = []
    for note in body.get("notes") or []:
        if note.get("slack_channel") in here:
            continue
        author = names.get(str(note.get("author") or ""), str(note.get("author") or ""))
        if note.get("slack_user"):
            author = messages.WATCH_FROM_SLACK.format(author=author)
        notes.append({**note, "author": author})
    if not notes and not body.get("changes") and not body.get("gone") and not body.get("more_notes"):
        return None
    return {**body, "notes": notes}
