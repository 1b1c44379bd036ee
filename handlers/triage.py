"""Triage subscriptions' buttons and modal: Edit (a modal, pre-filled) and Remove on
`/tracker subscriptions`, and the Edit modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.services import identity, kitsu_subscriptions, triage
from bot.views import ids
from bot.views import triage as triage_view
from handlers.context import directory_of, runtime_of
from handlers.listening import Heard, listener
from handlers.replies import guarded, say

FIELDS = (*triage.FIELDS, *kitsu_subscriptions.FIELDS)  # every filter an Edit modal may show


def register(app: AsyncApp) -> None:
    app.action(ids.SUBSCRIPTION_EDIT)(edit_clicked)
    app.action(ids.SUBSCRIPTION_REMOVE)(remove_clicked)
    app.view(ids.SUBSCRIPTION_MODAL)(edit_submitted)


def _where(body: dict[str, Any]) -> tuple[str, str, str]:
    team = (body.get("team") or {}).get("id", "")
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    return team, user, channel


def _id(action: dict[str, Any]) -> int | None:
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() and len(value) <= 18 else None


@listener("remove subscription", beside=True)
async def remove_clicked(heard: Heard) -> None:
    """Remove: only a subscription of the channel the list was clicked in, by someone who may use the bot here."""
    if await heard.refuses_guest():
        return
    found = _id(heard.action)
    if found is None:
        sentence = messages.SUBSCRIPTION_GONE
    else:
        sentence = await triage.remove(heard.rt, team=heard.team, channel=heard.channel, subscription_id=found)
    await say(heard.reply, sentence)


async def edit_clicked(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Edit: the modal, pre-filled with the subscription as it is now (the store only: no tracker
    call before the modal opens)."""
    await ack()
    rt, (team, _user, channel) = runtime_of(context), _where(body)
    found = _id(action)
    sub = None if found is None else await rt.store.triage_subscription(team, found)
    if sub is None or sub.channel_id != channel:
        sentence = messages.SUBSCRIPTION_GONE
        await respond(text=sentence, replace_original=False, response_type="ephemeral")
        return
    kitsu = kitsu_subscriptions.is_kitsu(sub)
    view = triage_view.edit_modal(
        None if kitsu else sub.events,
        sub.filters,
        rt.signer.sign({"subscription": sub.id, "channel": channel}),
        messages.SUBSCRIPTION_EDIT_TITLE.format(scope=sub.scope_name),
        triage_view.KITSU_FILTER_LABELS if kitsu else triage_view.FILTER_LABELS,
    )
    await client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)


def _shown_and_sent(view: dict[str, Any]) -> tuple[tuple[triage.Filters, list[str]], tuple[triage.Filters, list[str]]]:
    """What the modal showed (its blocks' initial values, as Slack kept them) and what was sent."""
    shown_filters: triage.Filters = {}
    sent_filters: triage.Filters = {}
    shown_events: list[str] = []
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("block_id") == ids.SUBSCRIPTION_EVENTS_BLOCK:
            shown_events = [str(o.get("value")) for o in element.get("initial_options") or []]
        for name in FIELDS:
            if block.get("block_id") == ids.SUBSCRIPTION_FILTER_BLOCK.format(name=name):
                shown_filters[name] = triage.field_values(str(element.get("initial_value") or ""))
    values = (view.get("state") or {}).get("values") or {}
    chosen = (values.get(ids.SUBSCRIPTION_EVENTS_BLOCK) or {}).get(ids.SUBSCRIPTION_EVENTS) or {}
    sent_events = [str(o.get("value")) for o in chosen.get("selected_options") or [] if o.get("value") in triage.EVENTS]
    for name in FIELDS:
        field = (values.get(ids.SUBSCRIPTION_FILTER_BLOCK.format(name=name)) or {}).get(ids.SUBSCRIPTION_FILTER) or {}
        sent_filters[name] = triage.field_values(str(field.get("value") or "")[:500])
    return (shown_filters, shown_events), (sent_filters, sent_events)


async def edit_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Save only what was changed; the person hears how it went in the channel, alone."""
    rt, view = runtime_of(context), body.get("view") or {}
    data = rt.signer.verify(view.get("private_metadata"))
    if data is None or not isinstance(data.get("subscription"), int) or not isinstance(data.get("channel"), str):
        await ack(response_action="errors", errors={ids.SUBSCRIPTION_EVENTS_BLOCK: messages.MODAL_EXPIRED})
        return
    await ack()
    team, user, _ = _where(body)
    channel, shown_sent = data["channel"], _shown_and_sent(view)

    async def work() -> None:
        person = await directory_of(context).person(client, team, user)
        if identity.shut_out(rt, person):
            sentence = messages.GUEST_REFUSED
        else:
            sentence = await triage.edit(
                rt,
                team=team,
                channel=channel,
                person=person,
                subscription_id=data["subscription"],
                shown=shown_sent[0],
                sent=shown_sent[1],
            )
        await client.chat_postEphemeral(channel=channel, user=user, text=sentence)

    async def told(**answer: Any) -> None:
        await client.chat_postEphemeral(channel=channel, user=user, text=str(answer.get("text", "")))

    rt.spawn(guarded(told, work(), what="edit a subscription"), name="edit subscription")
