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
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting.saying import outcome_blocks
from bot.runtime import Runtime
from bot.services import change_flow, changes, identity, writes
from bot.slack.directory import Directory, SlackPerson, fresh_lookup
from bot.trackers.models import IssueField
from bot.trackers.pages import is_number
from bot.views import cards, ids, sentence_blocks
from bot.views.issue_actions import CardState
from handlers.listening import Heard, aside, listener
from handlers.payload import body_id
from handlers.replies import Reply, say, show

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


async def _redraw(
    rt: Runtime, respond: Reply, number: int, changed: str | None = None, read: dict[str, Any] | None = None
) -> None:
    """The card again, in place of the one clicked, as a change read it back (it was sent under
    the read rules of its person); else read now."""
    await _draw(rt, respond, await changes.card(rt, number, read=read), changed)


async def _draw(rt: Runtime, respond: Reply, card: changes.Card, changed: str | None = None) -> None:
    blocks = cards.issue_card(
        card.issue, rt.clock().date(), priorities=card.priorities, substatuses=card.substatuses, changed=changed
    )
    await show(respond, blocks, f"Issue #{card.issue.number}: {card.issue.subject}")


async def _redraw_for(
    rt: Runtime, respond: Reply, team: str, person: SlackPerson, number: int, changed: str | None = None
) -> None:
    """The card read now, in place of the one clicked, if the clicker may read it; else the
    sentence why not, to them alone."""
    card = await changes.card_for(rt, team, person, number)
    if isinstance(card, str):
        await say(aside(respond), card)
    else:
        await _draw(rt, respond, card, changed)


@listener("refresh issue", beside=True)
async def card_refreshed(heard: Heard) -> None:
    """Refresh: the card as Issuetrak has it now, under the read rules of the clicker."""
    value = heard.action.get("value")
    number = int(value) if isinstance(value, str) and is_number(value) else 0
    if not number:
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    await _redraw_for(heard.rt, heard.respond, heard.team, await heard.person(), number)


@listener("change issue", beside=True)
async def card_changed(heard: Heard) -> None:
    rt, client, directory, respond, beside = heard.rt, heard.client, heard.directory, heard.respond, heard.reply
    body, action, team, user, channel = heard.body, heard.action, heard.team, heard.user, _channel(heard.body)
    state, action_id = CardState.decode(action.get("block_id")), str(action.get("action_id"))
    field = _FIELDS[action_id]
    if state is None or not channel or not user:  # not a card this bot drew
        await say(beside, messages.MODAL_EXPIRED)
        return
    person = await heard.person()
    if await heard.refuses_guest(person):
        return
    if not writes.allowed_here(rt, channel):
        await say(beside, messages.WRITES_NOT_ALLOWED_HERE)
        return
    wanted = await _wanted(rt, client, directory, team, person, state.issue, action_id, action)
    if wanted is None:
        await say(beside, messages.MODAL_EXPIRED)
        return
    if isinstance(wanted, str):  # no Issuetrak user for the one picked: the clicker's own, or the card says why
        refusal = identity.write_refusal(rt, await identity.identify(rt, team, person), person)
        if action_id == ids.CARD_ASSIGN_ME or refusal is not None:
            await say(beside, refusal or wanted)
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
        people=fresh_lookup(client),
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
    rt: Runtime, respond: Reply, person: SlackPerson, wanted: changes.Wanted, outcome: writes.Outcome
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
    await aside(respond)(text=outcome.sentence, blocks=_outcome_dicts(outcome))


@listener("apply anyway", beside=True)
async def apply_anyway(heard: Heard) -> None:
    """ "Apply anyway": the refused change again, without the comparison; only its own person's
    click counts. The notice with the button is replaced by how it went."""
    person = await heard.person()
    channel = _channel(heard.body)
    name = await heard.directory.channel_name(heard.client, heard.team, channel) if channel else ""
    people = fresh_lookup(heard.client)
    outcome = await changes.apply_anyway(heard.rt, item_id=heard.value, person=person, channel=name, people=people)
    if outcome is None:
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    await heard.respond(text=outcome.sentence, blocks=_outcome_dicts(outcome), replace_original=True)


def _outcome_dicts(outcome: writes.Outcome) -> list[dict[str, Any]]:
    """How a change went: its own blocks (a failed write's "Try again", a conflict's "Apply anyway"), else its sentence."""
    return outcome_blocks(outcome) or cards.as_dicts(sentence_blocks.said(outcome.sentence))
