"""An issue card's changes: Assign to me, Assign…, Next action…, Priority, Substatus, Target
date, Refresh; and "Apply anyway" on a change refused because the field moved.

Each click is acknowledged at once; the change goes through `bot.services.changes` (the outbox,
as the clicker: the rules of notes, checked now and again when it is sent). Made at once, the
card is redrawn in place from Issuetrak, saying who changed what; anything else (saved for later,
refused, a conflict with its "Apply anyway", a read-back that disagrees) is said to the clicker
alone, beside the card.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting.telling import outcome_blocks
from bot.runtime import Runtime
from bot.services import change_flow, changes, identity, writes
from bot.slack.people import Directory, SlackPerson, people_now
from bot.trackers.models import IssueField
from bot.trackers.pages import is_number
from bot.views import cards, ids, sentence_blocks
from bot.views.issue_actions import CardState
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id
from handlers.responding import Reply, guarded, show

log = logging.getLogger(__name__)

# The menus and buttons that change one field, by action id
_FIELDS = {
    ids.CARD_ASSIGN_ME: IssueField.ASSIGNEE,
    ids.CARD_ASSIGN: IssueField.ASSIGNEE,
    ids.CARD_NEXT_ACTION: IssueField.NEXT_ACTION,
    ids.CARD_PRIORITY: IssueField.PRIORITY,
    ids.CARD_SUBSTATUS: IssueField.SUBSTATUS,
    ids.CARD_TARGET_DATE: IssueField.TARGET_DATE,
}


def register(app: AsyncApp) -> None:
    for action_id in _FIELDS:
        app.action(action_id)(card_changed)
    app.action(ids.CARD_REFRESH)(card_refreshed)
    app.action(ids.CHANGE_ANYWAY)(apply_anyway)


def _channel(body: dict[str, Any]) -> str:
    container = body.get("container")
    found = container.get("channel_id") if isinstance(container, dict) else None
    return found if isinstance(found, str) and found else body_id(body, "channel")


def _beside(respond: AsyncRespond) -> Reply:
    """Answer the clicker alone, leaving the card as it is."""

    async def reply(**answer: Any) -> None:
        await respond(**{**answer, "replace_original": False, "response_type": "ephemeral"})

    return reply


async def _say(reply: Reply, sentence: str, blocks: list[dict[str, Any]] | None = None) -> None:
    await reply(text=sentence, blocks=blocks or cards.as_dicts(sentence_blocks.notice(sentence)))


async def _redraw(
    rt: Runtime, respond: AsyncRespond, number: int, changed: str | None = None, read: dict[str, Any] | None = None
) -> None:
    """The card again, in place of the one clicked, as a change read it back (it was sent under
    the read rules of its person); else read now."""
    await _draw(rt, respond, await changes.card(rt, number, read=read), changed)


async def _draw(rt: Runtime, respond: AsyncRespond, card: changes.Card, changed: str | None = None) -> None:
    blocks = cards.issue_card(
        card.issue, rt.clock().date(), priorities=card.priorities, substatuses=card.substatuses, changed=changed
    )
    await show(respond, blocks, f"Issue #{card.issue.number}: {card.issue.subject}")


async def _redraw_for(
    rt: Runtime, respond: AsyncRespond, team: str, person: SlackPerson, number: int, changed: str | None = None
) -> None:
    """The card read now, in place of the one clicked, if the clicker may read it; else the
    sentence why not, to them alone."""
    card = await changes.card_for(rt, team, person, number)
    if isinstance(card, str):
        await _say(_beside(respond), card)
    else:
        await _draw(rt, respond, card, changed)


async def card_refreshed(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Refresh: the card as Issuetrak has it now, under the read rules of the clicker."""
    await ack()
    rt = runtime_of(context)
    value = action.get("value")
    number = int(value) if isinstance(value, str) and is_number(value) else 0

    async def work() -> None:
        if not number:
            await _say(_beside(respond), messages.MODAL_EXPIRED)
            return
        team = body_id(body, "team")
        person = await directory_of(context).person(client, team, body_id(body, "user"))
        await _redraw_for(rt, respond, team, person, number)

    rt.spawn(guarded(_beside(respond), work(), what="refresh issue"), name="refresh issue")


async def card_changed(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    rt = runtime_of(context)
    work = _change(rt, client, directory_of(context), respond, body, action)
    rt.spawn(guarded(_beside(respond), work, what="change issue"), name="change issue")


async def _change(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    respond: AsyncRespond,
    body: dict[str, Any],
    action: dict[str, Any],
) -> None:
    beside = _beside(respond)
    team, user, channel = body_id(body, "team"), body_id(body, "user"), _channel(body)
    state, action_id = CardState.decode(action.get("block_id")), str(action.get("action_id"))
    field = _FIELDS[action_id]
    if state is None or not channel or not user:  # not a card this bot drew
        await _say(beside, messages.MODAL_EXPIRED)
        return
    person = await directory.person(client, team, user)
    if identity.shut_out(rt, person):
        await _say(beside, messages.GUEST_REFUSED)
        return
    if not writes.allowed_here(rt, channel):
        await _say(beside, messages.WRITES_NOT_ALLOWED_HERE)
        return
    wanted = await _wanted(rt, client, directory, team, person, state.issue, action_id, action)
    if wanted is None:
        await _say(beside, messages.MODAL_EXPIRED)
        return
    if isinstance(wanted, str):  # no Issuetrak user for the one picked: the clicker's own, or the card says why
        refusal = identity.write_refusal(rt, await identity.identify(rt, team, person), person)
        if action_id == ids.CARD_ASSIGN_ME or refusal is not None:
            await _say(beside, refusal or wanted)
        else:
            await _redraw_for(rt, respond, team, person, state.issue, changed=wanted)
        return
    click = str(body.get("trigger_id") or action.get("action_ts"))[:100]  # a Slack retry carries the same one
    outcome = await changes.submit(
        rt,
        key=f"change:{channel[:40]}:{state.issue}:{field.value}:{user[:40]}:{click}",
        team=team,
        person=person,
        channel_id=channel,
        channel=await directory.channel_name(client, team, channel),
        wanted=wanted,
        seen=state.shown.get(field, changes.UNKNOWN),
        people=people_now(client),
    )
    await _told(rt, respond, person, wanted, outcome)


async def _wanted(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    team: str,
    person: SlackPerson,
    number: int,
    action_id: str,
    action: dict[str, Any],
) -> changes.Wanted | str | None:
    """What the click asks for; None when the action carries no value this card could have sent."""
    field = _FIELDS[action_id]
    if action_id == ids.CARD_ASSIGN_ME:
        return await changes.person_value(rt, team, field, person, number)
    if action_id in (ids.CARD_ASSIGN, ids.CARD_NEXT_ACTION):
        chosen = action.get("selected_user")
        if not isinstance(chosen, str) or not chosen:
            return None
        return await changes.person_value(rt, team, field, await directory.person(client, team, chosen), number)
    if action_id == ids.CARD_TARGET_DATE:
        picked = action.get("selected_date")
        return changes.date_value(number, picked) if isinstance(picked, str) else None
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    if not isinstance(value, str) or not is_number(value):
        return None
    found = await changes.lookup_value(rt, field, number, value)
    return None if isinstance(found, str) else found


async def _told(
    rt: Runtime, respond: AsyncRespond, person: SlackPerson, wanted: changes.Wanted, outcome: writes.Outcome
) -> None:
    """A change made: the card redrawn, naming who changed what. A conflict: the card redrawn
    (it shows the field as it is now) and "Apply anyway" to the clicker. Anything else: said to
    the clicker beside the card."""
    if outcome.result in (writes.Result.DELIVERED, writes.Result.CONFLICT):
        result = outcome.recorded or {}
        changed = None
        if outcome.result is writes.Result.DELIVERED:
            changed = messages.CHANGE_BY_ON_CARD.format(
                person=person.id,
                field=change_flow.field_name(wanted.field),
                old=result.get("old") or messages.CHANGE_NOTHING,
                new=wanted.label,
            )
        card = result.get("card")
        await _redraw(rt, respond, wanted.issue, changed=changed, read=card if isinstance(card, dict) else None)
        if outcome.result is writes.Result.DELIVERED:
            return
    await _say(_beside(respond), outcome.sentence, outcome_blocks(outcome))


async def apply_anyway(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """ "Apply anyway": the refused change again, without the comparison; only its own person's
    click counts. The notice with the button is replaced by how it went."""
    await ack()
    rt = runtime_of(context)
    directory = directory_of(context)

    async def work() -> None:
        team, user = body_id(body, "team"), body_id(body, "user")
        person = await directory.person(client, team, user)
        channel = _channel(body)
        name = await directory.channel_name(client, team, channel) if channel else ""
        value = str(action.get("value") or "")
        people = people_now(client)
        outcome = await changes.apply_anyway(rt, item_id=value, person=person, channel=name, people=people)
        if outcome is None:
            await _say(_beside(respond), messages.MODAL_EXPIRED)
            return
        blocks = outcome_blocks(outcome) or cards.as_dicts(sentence_blocks.notice(outcome.sentence))
        await respond(text=outcome.sentence, blocks=blocks, replace_original=True)

    rt.spawn(guarded(_beside(respond), work(), what="apply anyway"), name="apply anyway")
