"""Posting channel digests in Slack, exactly once (the store's claims decide who posts).

`post_due` claims each due digest before it posts (the store's one claim, bot/store/claims.py),
so two processes, a restart or `digest --once` run twice post it once: the claim's lease is
renewed while the digest is built and once more right before the post, so a build slower than
the lease, or a process stopped past it, posts nothing another process has taken over. A post
that fails for a passing reason gives its claim back and is posted by a later round the same day.
The digest itself is built by `bot.services.digest_rules`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages, metrics
from bot.digest import Digest
from bot.posting.owners import Owners, lost, pause_digest
from bot.posting.saying import say_in_thread
from bot.runtime import Runtime
from bot.services.digest_rules import (
    DIGEST_NOW_EVERY,
    IssueFilter,
    build,
    issues_shown,
    may_change,
    scope_known,
    shows_issues,
)
from bot.store import Claim, DueDigest, Requester
from bot.store.claims import kept
from bot.store.digest_subscriptions import SETTLED
from bot.views import digest_message as digest_view
from bot.views.mrkdwn import escape

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


class _TakenOver(Exception):
    """Right before the post, the digest's claim was no longer this process's."""


async def _post(
    client: AsyncWebClient,
    channel: str,
    digest: Digest,
    pacer: Pacer,
    still_ours: Callable[[], Awaitable[bool]] | None = None,
) -> str:
    """Post the digest once the channel's pace allows, if `still_ours` (asked last) says so."""
    await pacer.wait(channel)
    if still_ours is not None and not await still_ours():
        raise _TakenOver
    answer = await client.chat_postMessage(
        channel=channel,
        text=digest.summary,
        blocks=digest_view.as_dicts(digest_view.digest_blocks(digest)),
        unfurl_links=False,
        unfurl_media=False,
    )
    return str(answer.get("ts", ""))


async def post_now(
    rt: Runtime,
    client: AsyncWebClient,
    *,
    team: str,
    channel: str,
    user: str,
    scope: str | None,
    shown: IssueFilter | None,
    pacer: Pacer = PACER,
) -> str:
    """`digest now`: the digest in this channel, dated in the channel's digest zone (UTC without
    one). Only digest editors may ask (everyone when there are none), once a minute per channel; a
    scope that names no tracker or project, or no tracker at all, is refused (nothing is posted)."""
    if not may_change(rt, user):
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
        await _post(client, channel, await build(rt, scope, today=today, shown=shown), pacer)
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


def _renewal(rt: Runtime, claim: Claim) -> Callable[[], Awaitable[Claim | None]]:
    """Renew the claim's lease from now (None when it is no longer this process's)."""
    return lambda: rt.store.renew(claim, rt.clock(), rt.settings.CLAIM_LEASE_SECONDS)


async def post_due(rt: Runtime, client: AsyncWebClient, *, pacer: Pacer = PACER) -> DueRound:
    """Post every digest due now that this process wins the claim for, with the rights of its
    owner (`bot.posting.owners`): one who may no longer read it pauses it instead.

    The claim comes first, so a digest is posted at most once: its lease is renewed while the
    digest is built and once more right before posting, and a claim taken over meanwhile (this
    process was slower than the lease, or stopped) posts nothing. A post that fails for a passing
    reason (Slack 5xx, rate limit, the network, this process stopping) gives its claim back: the
    next round posts it. One that Slack refuses for good (the bot left the channel) settles the
    day, and whoever set the digest up is told, once. The other channels still get theirs."""
    done = DueRound()
    built: dict[tuple[str | None, date, object], Digest] = {}  # channels with the same scope and reader share one
    lease = rt.settings.CLAIM_LEASE_SECONDS
    owners = Owners(rt, client)
    for due in await rt.store.due_subscriptions(rt.clock()):
        sub = due.subscription
        scope = sub.scope[0] if sub.scope else None
        if sub.paused_at is not None:
            continue  # until someone who may read it resumes it
        reader = await owners.reader(sub.team_id, sub.owner, issues=shows_issues(rt, scope))
        if reader is None:  # Slack cannot say who its owner is just now: a later round asks again
            done.failed += 1
            metrics.DIGESTS_FAILED.labels("scheduled").inc()
            continue
        if lost(reader):
            await pause_digest(rt, client, sub, pacer)
            continue
        claim = await rt.store.claim_digest(sub.id, due.due_date, rt.clock(), lease)
        if claim is None:
            continue  # another process has it
        renew = _renewal(rt, claim)
        try:
            organization = reader.user.organization_id if reader.user else None
            key = (scope, due.due_date, (reader.refusal is None, organization))
            if key not in built:
                async with kept(renew, every=lease / 3):
                    built[key] = await build(rt, scope, today=due.due_date, shown=issues_shown(rt, reader))
            ts = await _post(client, sub.channel_id, built[key], pacer, still_ours=_still_ours(renew))
        except asyncio.CancelledError:
            await rt.store.give_back(claim)
            raise
        except _TakenOver:
            log.warning(
                "the digest of subscription %s in %s was taken over by another process; not posted here",
                sub.id,
                sub.channel_id,
            )
            continue
        except Exception as exc:  # noqa: BLE001 - told apart in _post_failed; the other channels go on
            done.failed += 1
            metrics.DIGESTS_FAILED.labels("scheduled").inc()
            await _post_failed(rt, client, due, claim, exc)
            continue
        if not await rt.store.mark_digest_posted(claim, ts):
            log.warning("the digest of subscription %s was posted as its claim was taken over", sub.id)
        done.posted += 1
        metrics.DIGESTS_POSTED.labels("scheduled").inc()
    return done


def _still_ours(renew: Callable[[], Awaitable[Claim | None]]) -> Callable[[], Awaitable[bool]]:
    """Asked right before the post: whether the claim is still this process's (renewing it)."""

    async def ask() -> bool:
        return await renew() is not None

    return ask


async def _post_failed(rt: Runtime, client: AsyncWebClient, due: DueDigest, claim: Claim, exc: Exception) -> None:
    """Give the claim back after a passing failure; otherwise settle the day (never a loop)."""
    sub = due.subscription
    where = f"subscription {sub.id} in {sub.channel_id}"
    if passing(exc):
        log.warning("could not post the digest of %s (%s); the next round tries again", where, _reason(exc))
        await rt.store.give_back(claim)
        return
    log.error(
        "could not post the digest of %s (%s); not tried again today",
        where,
        _reason(exc),
        exc_info=None if isinstance(exc, SlackApiError) else exc,
    )
    if not await rt.store.mark_digest_posted(claim, SETTLED):
        return  # another process took the day over: it tells whoever needs telling
    if isinstance(exc, SlackApiError) and _slack_error(exc) in CLOSED_CHANNEL_ERRORS:
        await say_in_thread(
            client,
            Requester(sub.team_id, sub.created_by),
            messages.DIGEST_CHANNEL_CLOSED.format(channel=sub.channel_id),
        )
