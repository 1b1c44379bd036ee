"""Post what the triage subscriptions recorded (`bot.services.triage`), each piece exactly once.

A new issue is posted as its card (with the card's buttons); that message is the issue's thread
in the channel, and every later piece of news of the issue goes into it, never into the channel;
a closure also redraws the parent card, closed. Posting is done by whoever claims the subscription
(the store's one claim), renewed right before each post and fenced, as a watch's news is. Before
anything is posted, the subscription's owner must still be allowed to read it, and each issue must
be in their ISSUE_SCOPE; a subscription whose owner may no longer read pauses, its channel told once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting.digest_delivery import PACER, Pacer, passing
from bot.posting.owners import Owners, lost, say
from bot.runtime import Runtime
from bot.services import changes, identity, kitsu_subscriptions
from bot.store import TriageClaim, TriageNews, TriageSubscription
from bot.store.watches import SETTLED
from bot.trackers.models import Issue
from bot.views import cards
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

CLAIM_LIMIT = 20  # subscriptions whose news one claim takes


async def bot_in_channel(client: AsyncWebClient, channel: str) -> bool:
    """Whether the bot is a member of the channel (so it may post there); a DM is the person's
    own (the service refuses subscriptions there). Slack that cannot say counts as yes: the first
    post that fails says so."""
    if channel.startswith("D"):
        return True
    try:
        answer = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        return exc.response.get("error") not in ("channel_not_found", "not_in_channel")
    found = answer.get("channel")
    return not isinstance(found, dict) or found.get("is_member") is not False


async def check_subscriptions(rt: Runtime, client: AsyncWebClient, owners: Owners, pacer: Pacer = PACER) -> int:
    """Pause every subscription whose owner may no longer read Issuetrak issues, telling each
    channel once (by whichever process paused it); returns how many paused."""
    paused = 0
    for sub in await rt.store.heard_subscriptions():
        reader = await _owner(owners, sub)
        if lost(reader):
            paused += await _pause(rt, client, [sub], pacer, why=reader.refusal if reader else None)
    return paused


async def _owner(owners: Owners, sub: TriageSubscription) -> identity.Reader | None:
    """Whether the subscription's owner may still read what it tells: Issuetrak issues, or a
    Kitsu production's tasks (on its team)."""
    if kitsu_subscriptions.is_kitsu(sub):
        return await owners.on_production(sub.team_id, sub.owner, kitsu_subscriptions.production_of(sub))
    return await owners.reader(sub.team_id, sub.owner, issues=True)


async def _pause(
    rt: Runtime, client: AsyncWebClient, subs: list[TriageSubscription], pacer: Pacer, *, why: str | None = None
) -> int:
    done = await rt.store.pause_subscriptions([s.id for s in subs], subs[0].owner, rt.clock())
    for sub in done:
        log.info("subscription %d in %s paused: its owner may no longer read it", sub.id, sub.channel_id)
        if kitsu_subscriptions.is_kitsu(sub):
            sentence = messages.KITSU_SUBSCRIPTIONS_PAUSED.format(
                production=escape(sub.scope_name), owner=sub.owner, why=why or messages.PERSON_UNKNOWN
            )
        else:
            sentence = messages.SUBSCRIPTIONS_PAUSED.format(owner=sub.owner, scopes=escape(sub.scope_name))
        await say(client, sub.channel_id, sentence, pacer)
    return len(done)


async def post_triage(rt: Runtime, client: AsyncWebClient, *, pacer: Pacer = PACER, owners: Owners) -> int:
    """Post the subscriptions' news this process wins the claims of; how many pieces were posted."""
    posted = 0
    while claims := await rt.store.claim_triage_news(rt.clock(), CLAIM_LIMIT, rt.settings.CLAIM_LEASE_SECONDS):
        went_on = False
        for claim in claims:
            try:
                done, finished = await _post_claim(rt, client, claim, pacer, owners)
            finally:
                await rt.store.give_back(claim.claim)
            posted += done
            went_on = went_on or finished
        if not went_on:  # Slack is not taking posts now (or owners cannot be told): the next round
            return posted
    return posted


async def _post_claim(
    rt: Runtime, client: AsyncWebClient, claim: TriageClaim, pacer: Pacer, owners: Owners
) -> tuple[int, bool]:
    """Post one subscription's news in order; (how many posted, whether all of it was settled)."""
    sub, store = claim.subscription, rt.store
    reader = await _owner(owners, sub)
    if reader is None or reader.down:
        return 0, False
    if sub.paused_at is not None or reader.refusal is not None:
        for piece in claim.news:
            await store.triage_news_posted(claim.claim, piece.id, SETTLED)
        if sub.paused_at is None:
            await _pause(rt, client, [sub], pacer, why=reader.refusal)
        return 0, True
    post = (
        _kitsu_poster(rt, client, sub) if kitsu_subscriptions.is_kitsu(sub) else _issue_poster(rt, client, reader, sub)
    )
    return await _post_in_order(rt, claim, pacer, post)


# How one piece of news is posted: None when it is settled without a post (out of the owner's
# scope now), else a coroutine function that posts it (Slack's part alone, so that only Slack's
# failures are told apart) and gives its ts and what to record once it is marked posted.
Recorded = Callable[[str], Awaitable[None]] | None
Send = Callable[[], Awaitable[tuple[str, Recorded]]]
Poster = Callable[[TriageNews], Awaitable[Send | None]]


async def _post_in_order(rt: Runtime, claim: TriageClaim, pacer: Pacer, post: Poster) -> tuple[int, bool]:
    """The one posting loop of a subscription's news: each piece paced, its claim renewed right
    before the post (a claim taken over stops the loop), Slack's passing failures leave the rest
    for the next round, its refusals settle the piece; (how many posted, whether all settled)."""
    sub, store, posted = claim.subscription, rt.store, 0
    for piece in claim.news:
        send = await post(piece)
        if send is None:
            await store.triage_news_posted(claim.claim, piece.id, SETTLED)
            continue
        await pacer.wait(sub.channel_id)
        if await store.renew(claim.claim, rt.clock(), rt.settings.CLAIM_LEASE_SECONDS) is None:
            log.warning("subscription %d: its news was taken over by another process", sub.id)
            return posted, True
        try:
            ts, then = await send()
        except Exception as exc:  # noqa: BLE001 - told apart here; the other subscriptions go on
            if passing(exc):
                log.warning("subscription %d: Slack did not take its news (%s); next round", sub.id, exc)
                return posted, False
            log.error("subscription %d: Slack refused its news in %s (%s)", sub.id, sub.channel_id, exc)
            await store.triage_news_posted(claim.claim, piece.id, SETTLED)
            continue
        await store.triage_news_posted(claim.claim, piece.id, ts)
        if then is not None and ts:
            await then(ts)
        posted += 1
    return posted, True


def _issue_poster(rt: Runtime, client: AsyncWebClient, reader: identity.Reader, sub: TriageSubscription) -> Poster:
    """An Issuetrak subscription's piece: a new issue's card (its thread from then on), or a line in
    that thread; nothing of an issue out of the owner's ISSUE_SCOPE now."""

    async def post(piece: TriageNews) -> Send | None:
        issue = Issue.model_validate(piece.body["issue"])
        if identity.issue_refusal(rt, reader, issue):
            return None
        thread = await rt.store.thread_ts(sub.id, issue.number)

        async def send() -> tuple[str, Recorded]:
            ts = await _post_piece(rt, client, sub, piece.body, issue, thread)

            async def threaded(ts: str) -> None:
                await rt.store.set_triage_thread(sub.id, issue.number, ts)

            return ts, threaded if piece.body.get("kind") == "new" else None

        return send

    return post


def _kitsu_poster(rt: Runtime, client: AsyncWebClient, sub: TriageSubscription) -> Poster:
    """A Kitsu production subscription's piece: an entity's first starts its thread in the channel
    (naming the entity), every later one goes into that thread."""

    async def post(piece: TriageNews) -> Send | None:
        entity, lines = piece.entity_id or "", piece.body.get("lines")
        text = "\n".join(str(line) for line in lines) if isinstance(lines, list) else ""
        thread = await rt.store.kitsu_thread_ts(sub.id, entity)

        async def send() -> tuple[str, Recorded]:
            said = text if thread is not None else f"{piece.body.get('head', '')}\n{text}"
            answer = await client.chat_postMessage(
                channel=sub.channel_id, thread_ts=thread, text=said, unfurl_links=False, unfurl_media=False
            )

            async def threaded(ts: str) -> None:
                await rt.store.set_kitsu_thread(sub.id, entity, ts)

            return str(answer.get("ts", "")), threaded if thread is None else None

        return send

    return post


async def _post_piece(
    rt: Runtime,
    client: AsyncWebClient,
    sub: TriageSubscription,
    body: dict[str, object],
    issue: Issue,
    thread: str | None,
) -> str:
    """Post one piece: a new issue's card, or a line in its thread (redrawing the card when it closed)."""
    today, menus = rt.clock().date(), await changes.menus(rt)
    if body.get("kind") == "new" or thread is None:
        answer = await client.chat_postMessage(
            channel=sub.channel_id,
            text=f"Issue #{issue.number}: {issue.subject}",
            blocks=cards.as_dicts(
                cards.issue_card(issue, today, priorities=menus.priorities, substatuses=menus.substatuses)
            ),
            unfurl_links=False,
        )
        return str(answer.get("ts", ""))
    lines = body.get("lines")
    text = "\n".join(str(line) for line in lines) if isinstance(lines, list) else ""
    answer = await client.chat_postMessage(
        channel=sub.channel_id, thread_ts=thread, text=text, unfurl_links=False, unfurl_media=False
    )
    if body.get("closed") is True:
        await client.chat_update(
            channel=sub.channel_id,
            ts=thread,
            text=f"Issue #{issue.number}: {issue.subject}",
            blocks=cards.as_dicts(
                cards.issue_card(issue, today, priorities=menus.priorities, substatuses=menus.substatuses)
            ),
        )
    return str(answer.get("ts", ""))
