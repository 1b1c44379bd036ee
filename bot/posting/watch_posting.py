"""A watch round: poll the watched items (`bot.services.watches.poll`), then post the news each
destination is owed, each piece exactly once (the store's claims decide who posts).

A watch's news goes into one thread: its first piece is posted as the thread's parent, whose ts
the watch keeps; later pieces go into that thread. A post that fails for a passing reason gives
the rest of its claim back (the next round posts it); one Slack refuses for good (the bot left
the channel) settles that watch's news and ends the watch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.posting.digest_posting import PACER, Pacer, passing
from bot.runtime import Runtime
from bot.services import watches
from bot.slack.people import Directory, SlackBusy
from bot.store import NewsClaim, WatchEnd
from bot.store.watches import SETTLED, STALE_CLAIM
from bot.views import cards
from bot.views import watches as watch_view

log = logging.getLogger(__name__)

CLAIM_LIMIT = 50  # watches whose news one claim takes
# A claim is posted from only while it is well younger than the store's STALE_CLAIM, after which
# another process may take it over: a long backlog (Slack pacing one post a second per channel)
# gives the rest back and the next round goes on with it.
CLAIM_PATIENCE = STALE_CLAIM / 2


@dataclass
class RoundSummary(watches.Polled):
    """What one watch round did: the poll's counts, then the news posted and the round's seconds."""

    posted: int = 0
    seconds: float = 0.0


async def run_round(
    rt: Runtime,
    client: AsyncWebClient,
    *,
    pacer: Pacer = PACER,
    concurrency: int = watches.POLL_CONCURRENCY,
) -> RoundSummary:
    """One round: every watched item read once, then every piece of news owed posted."""
    started = time.monotonic()
    polled = await watches.poll(rt, concurrency=concurrency)
    posted = await post_news(rt, client, pacer=pacer)
    seconds = time.monotonic() - started
    metrics.observe_watch_round(seconds)
    return RoundSummary(**asdict(polled), posted=posted, seconds=seconds)


async def post_news(rt: Runtime, client: AsyncWebClient, *, pacer: Pacer = PACER) -> int:
    """Post the news this process wins the claims of; returns how many pieces were posted."""
    posted, directory = 0, Directory()
    while claims := await rt.store.claim_news(rt.clock(), CLAIM_LIMIT):
        for n, claim in enumerate(claims):
            done, finished = await _post_claim(rt, client, claim, pacer, directory)
            posted += done
            if not finished:  # Slack is not taking posts now: the next round goes on (one claim, one release)
                left = [piece.id for rest in claims[n + 1 :] for piece in rest.news]
                await rt.store.release_news(left, claim.claimed_at)
                return posted
    return posted


async def _still_heard(rt: Runtime, client: AsyncWebClient, claim: NewsClaim, directory: Directory) -> bool | None:
    """Whether a personal watch's person may still read its news (a channel's watch: True). When
    they may not, its news is settled unsaid and the watch ends; None when it cannot be told now
    (the claim is given back for the next round)."""
    watch = claim.watch
    if not watch.personal:
        return True
    try:
        person = await directory.person(client, watch.team_id, watch.destination)
    except SlackBusy:
        heard = None
    else:
        heard = await watches.may_still_hear(rt, watch.team_id, person)
    if heard is None:
        await rt.store.release_news([p.id for p in claim.news], claim.claimed_at)
    elif not heard:
        log.info("watch %d: its person may no longer read it; the watch ends", watch.id)
        for piece in claim.news:
            await rt.store.news_posted(piece.id, claim.claimed_at, SETTLED)
        await rt.store.end_watch(watch.id, WatchEnd.GONE, rt.clock())
    return heard


async def _post_claim(
    rt: Runtime, client: AsyncWebClient, claim: NewsClaim, pacer: Pacer, directory: Directory
) -> tuple[int, bool]:
    """Post one watch's claimed news in order; (how many were posted, whether Slack took them)."""
    watch, store = claim.watch, rt.store
    if watch.ended_why is WatchEnd.UNWATCHED:  # stopped after this news was recorded: not wanted now
        for piece in claim.news:
            await store.news_posted(piece.id, claim.claimed_at, SETTLED)
        return 0, True
    heard = await _still_heard(rt, client, claim, directory)
    if not heard:
        return 0, heard is False
    thread, channel = watch.thread_ts, watch.thread_channel or watch.destination
    for n, piece in enumerate(claim.news):
        rest = [p.id for p in claim.news[n:]]
        try:
            await pacer.wait(watch.destination)
            if rt.clock() >= claim.claimed_at + CLAIM_PATIENCE:
                await store.release_news(rest, claim.claimed_at)
                return n, False
            answer = await client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=watch_view.news_text(piece.body),
                blocks=cards.as_dicts(watch_view.news_blocks(piece.body)),
                unfurl_links=False,
                unfurl_media=False,
            )
        except asyncio.CancelledError:
            await store.release_news(rest, claim.claimed_at)
            raise
        except Exception as exc:  # noqa: BLE001 - told apart here; the other watches go on
            if passing(exc):
                log.warning("watch %d: Slack did not take its news (%s); the next round tries again", watch.id, exc)
                await store.release_news(rest, claim.claimed_at)
                return n, False
            reason = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.error(
                "watch %d: Slack refused its news in %s (%s); the watch ends", watch.id, watch.destination, reason
            )
            for left in rest:
                await store.news_posted(left, claim.claimed_at, SETTLED)
            await store.end_watch(watch.id, WatchEnd.CLOSED, rt.clock())
            return n, True
        ts = str(answer.get("ts", ""))
        await store.news_posted(piece.id, claim.claimed_at, ts)
        if thread is None and ts:
            thread, channel = ts, str(answer.get("channel") or channel)
            await store.set_thread(watch.id, ts, channel)
    return len(claim.news), True
