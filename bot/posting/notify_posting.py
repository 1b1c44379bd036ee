"""Send the personal notifications a round recorded (`bot.services.notify`), each exactly once.

Whoever claims a person (the store's one claim, on their settings row) sends their DMs: one per
issue (several changes of one issue in a round are one DM), or, for what happened during their
quiet hours (kept in their Slack time zone), one summary once those hours are over. Before any DM,
the person's rights are asked again (a person who lost their identity, or became a guest, hears
nothing more) and each issue must be in their ISSUE_SCOPE.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting.digest_delivery import PACER, Pacer, passing
from bot.posting.owners import Owners
from bot.runtime import Runtime
from bot.services import identity, notify
from bot.slack.directory import SlackBusy
from bot.store.notify import NotifyClaim, NotifyNews, group_by_issue
from bot.store.watches import SETTLED
from bot.trackers.models import Issue
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

CLAIM_LIMIT = 50  # people whose DMs one claim takes


def _local(moment: datetime, tz: str | None) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(tz or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return moment


async def post_notifications(rt: Runtime, client: AsyncWebClient, *, owners: Owners, pacer: Pacer = PACER) -> int:
    """Send the DMs this process wins the claims of; how many DMs were sent."""
    sent, handled = 0, set[tuple[str, ...]]()
    while claims := await rt.store.claim_notify_news(rt.clock(), CLAIM_LIMIT, rt.settings.CLAIM_LEASE_SECONDS):
        went_on = False
        for claim in claims:
            try:
                fresh = claim.claim.key not in handled  # a person kept for later is asked once a round
                done, finished = await _send(rt, client, claim, owners, pacer) if fresh else (0, False)
            finally:
                await rt.store.give_back(claim.claim)
            handled.add(claim.claim.key)
            sent, went_on = sent + done, went_on or (finished and fresh)
        if not went_on:
            return sent
    return sent


async def _send(
    rt: Runtime, client: AsyncWebClient, claim: NotifyClaim, owners: Owners, pacer: Pacer
) -> tuple[int, bool]:
    settings, store = claim.settings, rt.store
    reader = await owners.reader(settings.team_id, settings.user_id, issues=True)
    if reader is None or reader.down:
        return 0, False
    if reader.refusal is not None:  # no identity now, or a guest: nothing more, ever, of what was owed
        await store.notify_posted(claim.claim, [p.id for p in claim.news], SETTLED)
        return 0, True
    try:
        tz = (await owners.directory.person(client, settings.team_id, settings.user_id)).tz
    except SlackBusy:
        return 0, False
    if notify.is_quiet(settings, _local(rt.clock(), tz).time()):
        return 0, True  # kept for after the quiet hours
    shown: list[tuple[Issue, list[NotifyNews]]] = []
    for pieces in group_by_issue(claim.news).values():
        issue = Issue.model_validate(pieces[-1].body["issue"])
        if identity.issue_refusal(rt, reader, issue):
            await store.notify_posted(claim.claim, [p.id for p in pieces], SETTLED)
            continue
        shown.append((issue, pieces))
    quiet = any(notify.is_quiet(settings, _local(p.created_at, tz).time()) for _, pieces in shown for p in pieces)
    batches = [shown] if quiet and len(shown) > 1 else [[one] for one in shown]
    sent = 0
    for batch in batches:
        text = "\n\n".join(_issue_text(issue, pieces) for issue, pieces in batch)
        if len(batches) == 1 and quiet:
            text = f"{messages.NOTIFY_SUMMARY_HEAD}\n\n{text}"
        await pacer.wait(settings.user_id)
        if await store.renew(claim.claim, rt.clock(), rt.settings.CLAIM_LEASE_SECONDS) is None:
            return sent, True
        try:
            answer = await client.chat_postMessage(channel=settings.user_id, text=text, unfurl_links=False)
        except Exception as exc:  # noqa: BLE001 - told apart here
            if passing(exc):
                return sent, False
            log.warning("notify: Slack refused a DM to %s (%s)", settings.user_id, exc)
            await store.notify_posted(claim.claim, [p.id for _, pieces in batch for p in pieces], SETTLED)
            continue
        await store.notify_posted(claim.claim, [p.id for _, pieces in batch for p in pieces], str(answer.get("ts", "")))
        sent += 1
    return sent, True


def _issue_text(issue: Issue, pieces: list[NotifyNews]) -> str:
    head = messages.NOTIFY_DM_HEAD.format(number=issue.number, subject=escape(issue.subject))
    if issue.url:
        head = f"<{issue.url}|{head}>"
    lines: list[str] = []
    for piece in pieces:
        lines += [str(line) for line in piece.body.get("lines", []) if str(line) not in lines]
    return "\n".join([f"*{head}*", *(f"• {line}" for line in lines)])
