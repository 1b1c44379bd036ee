"""Posting channel digests in Slack, exactly once (the store's claims decide who posts).

`post_due` claims each due digest before it posts, so two processes, a restart or `digest --once`
run twice post it once; a post that fails for a passing reason gives its claim back and is posted
by a later round the same day. The digest itself is built by `bot.services.digests`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages, metrics
from bot.digest_model import Digest
from bot.posting.telling import tell
from bot.runtime import Runtime
from bot.services.digests import DIGEST_NOW_EVERY, _may_change, build, scope_known
from bot.store import DueDigest, Requester
from bot.views import digest as digest_view
from bot.views.text import escape

log = logging.getLogger(__name__)

POST_SPACING_SECONDS = 1.0  # chat.postMessage: about one message a second per channel (docs/slack.md)


class Pacer:
    """At most one post per `spacing` seconds in each channel. Each caller reserves the next free
    slot before waiting, so concurrent posts line up without a lock (safe on any event loop)."""

    def __init__(
        self,
        spacing: float = POST_SPACING_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        now = self._clock()
        self._next = {key: slot for key, slot in self._next.items() if slot > now}  # forget idle channels
        slot = self._next.get(channel, now)
        self._next[channel] = slot + self.spacing
        if slot > now:
            await self._sleep(slot - now)


PACER = Pacer()
CLOSED_CHANNEL_ERRORS = ("not_in_channel", "channel_not_found", "is_archived")
PASSING_SLACK_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def _slack_error(exc: SlackApiError) -> str | None:
    """Slack's error code, when the answer was Slack's JSON (a 5xx from a proxy is not)."""
    data = exc.response.data
    return data.get("error") if isinstance(data, dict) else None


def passing(exc: BaseException) -> bool:
    """Whether a post that failed this way may well work when tried again soon: Slack's 5xx,
    rate limits and its own passing errors, or the network (after the client's own retries)."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        return status >= 500 or status == 429 or _slack_error(exc) in PASSING_SLACK_ERRORS
    return isinstance(exc, (aiohttp.ClientError, TimeoutError, OSError))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.status_code} {_slack_error(exc) or ''}".rstrip()
    return type(exc).__name__


async def _post(client: AsyncWebClient, channel: str, digest: Digest, pacer: Pacer) -> str:
    await pacer.wait(channel)
    answer = await client.chat_postMessage(
        channel=channel,
        text=digest.summary,
        blocks=digest_view.as_dicts(digest_view.digest_blocks(digest)),
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(answer.get("ts", ""))


async def post_now(
    rt: Runtime, client: AsyncWebClient, *, team: str, channel: str, user: str, scope: str | None, pacer: Pacer = PACER
) -> str:
    """`digest now`: the digest in this channel, dated in the channel's digest zone (UTC without
    one). Only digest editors may ask (everyone when there are none), once a minute per channel; a
    scope that names no tracker or project, or no tracker at all, is refused (nothing is posted)."""
    if not _may_change(rt, user):
        return messages.DIGEST_NOW_NOT_ALLOWED
    # Refused to the person alone, before the channel's minute is taken: nothing to post.
    if not rt.trackers.configured():
        return messages.NO_TRACKERS
    if scope and not await scope_known(rt, scope):
        return messages.DIGEST_NOW_UNKNOWN_SCOPE.format(scope=escape(scope))
    now = rt.clock()
    if (last := await rt.store.claim_digest_now(team, channel, user, now, DIGEST_NOW_EVERY)) is not None:
        seconds = math.ceil((last + DIGEST_NOW_EVERY - now).total_seconds())
        return messages.DIGEST_NOW_TOO_SOON.format(seconds=max(1, seconds))
    sub = await rt.store.subscription(team, channel)
    today = now.astimezone(ZoneInfo(sub.timezone if sub else "UTC")).date()
    try:
        await _post(client, channel, await build(rt, scope, today=today), pacer)
    except BaseException as exc:
        await rt.store.release_digest_now(team, channel, now)  # nothing was posted: the next ask may come at once
        if isinstance(exc, Exception):  # not this process stopping
            metrics.DIGESTS_FAILED.labels("now").inc()
        if isinstance(exc, SlackApiError) and _slack_error(exc) in CLOSED_CHANNEL_ERRORS:
            return messages.DIGEST_NOT_IN_CHANNEL
        if passing(exc):
            log.warning("could not post the digest in %s (%s)", channel, _reason(exc))
            return messages.DIGEST_NOW_NOT_TAKEN
        raise
    metrics.DIGESTS_POSTED.labels("now").inc()
    return messages.DIGEST_POSTED


@dataclass
class DueRound:
    """What one `post_due` did."""

    posted: int = 0
    failed: int = 0


async def post_due(rt: Runtime, client: AsyncWebClient, *, pacer: Pacer = PACER) -> DueRound:
    """Post every digest due now that this process wins the claim for.

    The claim comes first, so a digest is posted at most once. A post that fails for a passing
    reason (Slack 5xx, rate limit, the network, this process stopping) gives its claim back: the
    next round posts it. One that Slack refuses for good (the bot left the channel) settles the
    day, and whoever set the digest up is told, once. The other channels still get theirs."""
    done = DueRound()
    built: dict[tuple[str | None, date], Digest] = {}  # channels with the same scope share one build
    for due in await rt.store.due_subscriptions(rt.clock()):
        sub = due.subscription
        claimed_at = rt.clock()
        if not await rt.store.claim_digest(sub.id, due.due_date, claimed_at):
            continue  # another process has it
        scope = sub.scope[0] if sub.scope else None
        try:
            key = (scope, due.due_date)
            if key not in built:
                built[key] = await build(rt, scope, today=due.due_date)
            ts = await _post(client, sub.channel_id, built[key], pacer)
        except asyncio.CancelledError:
            await rt.store.release_digest(sub.id, due.due_date, claimed_at)
            raise
        except Exception as exc:  # noqa: BLE001 - told apart in _post_failed; the other channels go on
            done.failed += 1
            metrics.DIGESTS_FAILED.labels("scheduled").inc()
            await _post_failed(rt, client, due, claimed_at, exc)
            continue
        await rt.store.mark_digest_posted(sub.id, due.due_date, ts)
        done.posted += 1
        metrics.DIGESTS_POSTED.labels("scheduled").inc()
    return done


async def _post_failed(
    rt: Runtime, client: AsyncWebClient, due: DueDigest, claimed_at: datetime, exc: Exception
) -> None:
    """Give the claim back after a passing failure; otherwise settle the day (never a loop)."""
    sub = due.subscription
    where = f"subscription {sub.id} in {sub.channel_id}"
    if passing(exc):
        log.warning("could not post the digest of %s (%s); the next round tries again", where, _reason(exc))
        await rt.store.release_digest(sub.id, due.due_date, claimed_at)
        return
    log.error(
        "could not post the digest of %s (%s); not tried again today",
        where,
        _reason(exc),
        exc_info=None if isinstance(exc, SlackApiError) else exc,
    )
    await rt.store.settle_digest(sub.id, due.due_date, rt.clock())
    if isinstance(exc, SlackApiError) and _slack_error(exc) in CLOSED_CHANNEL_ERRORS:
        await tell(
            client,
            Requester(sub.team_id, sub.created_by),
            messages.DIGEST_CHANNEL_CLOSED.format(channel=sub.channel_id),
        )
