"""Kitsu production subscriptions: a channel hears of the task status changes of one Kitsu
production, one thread per entity (asset or shot).

They are triage subscriptions (`bot.services.triage`: the same list, Edit, Remove, cap, owner and
claim) whose scope is `production:<Zou id>`, with two filters matched by name (any case, values
OR, a `-` excludes, as the Issuetrak filters): `task_type` and `status` (the new status).

Rights: the rule of Kitsu comments (`bot.services.kitsu_writes`): the person's Zou account (their
Slack email) must be on the production's team, and no guest; the owner's are checked each round.

A round reads each subscribed production's tasks once (`data/tasks?project_id=`) and compares
their statuses with those the subscription last heard (its `KitsuMark`): the first round only
records them (silent); later ones record the news of the changed tasks, named (their entities,
types, and who set the new status when Zou says), with a compare-and-swap of the mark, so of two
processes one records it. While Kitsu does not answer nothing moves: the next round catches up.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, subscriptions, watches
from bot.slack.directory import SlackPerson
from bot.store import KitsuMark, TriageSubscription
from bot.trackers.errors import NotFound, TrackerError
from bot.trackers.kitsu import KitsuClient
from bot.trackers.models import StatusChange, TaskState
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

PREFIX = "production:"
FIELDS = ("task_type", "status")
EVENTS = ("status",)
MAX_REF = 200  # a production's name or id, as typed
Filters = dict[str, dict[str, list[str]]]
Named = dict[tuple[str, str, str], StatusChange]  # (task id, status before, status now): the change named


def is_kitsu(sub: TriageSubscription) -> bool:
    return sub.scope.startswith(PREFIX)


def production_of(sub: TriageSubscription) -> str:
    return sub.scope.removeprefix(PREFIX)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- who may ---------------------------------------------------------------------------------------


async def reader(rt: Runtime, team: str, person: SlackPerson, production: str) -> identity.Reader:
    """Whether the person may hear of the production's tasks: no guest, a person Slack knows,
    whose Zou account (by Slack email) is on the production's team. `down`: Kitsu cannot say now."""
    found = await watches.still_reads(rt, team, person, issues=False)
    if found.refusal is not None:
        return found
    kitsu = rt.trackers.kitsu
    if kitsu is None:
        return identity.Reader(messages.KITSU_SUBSCRIBE_NO_KITSU)
    try:
        me = await kitsu.person_by_email(person.email)
        if me is None:
            return identity.Reader(messages.KITSU_SUBSCRIBE_NO_ACCOUNT.format(user=person.id))
        name, members = await kitsu.production_team(production)
    except NotFound:
        return identity.Reader(messages.KITSU_SUBSCRIBE_GONE)
    except TrackerError as exc:
        return identity.Reader(str(exc), down=True)
    if me.id not in members:
        return identity.Reader(messages.KITSU_SUBSCRIBE_NOT_ON_TEAM.format(user=person.id, production=escape(name)))
    return identity.Reader(None)


# --- subscribing -----------------------------------------------------------------------------------


async def _production(kitsu: KitsuClient, person: SlackPerson, ref: str) -> tuple[str, str] | str:
    """The production `ref` names (its id, or the exact name, any case, of an open one the person
    is on): (id, name), or the sentence why not."""
    me = await kitsu.person_by_email(person.email)
    if me is None:
        return messages.KITSU_SUBSCRIBE_NO_ACCOUNT.format(user=person.id)
    try:
        name, _ = await kitsu.production_team(ref)  # NotFound at once for what is no Zou id
        return ref, name
    except NotFound:
        pass
    found = [p for p in await kitsu.productions_of(me.id) if _folded(p.name) == _folded(ref)]
    if len(found) != 1:
        return messages.KITSU_SUBSCRIBE_NO_PRODUCTION.format(ref=escape(ref))
    return str(found[0].id), found[0].name


async def _names(kitsu: KitsuClient) -> dict[str, set[str]]:
    """The names each filter's values may take (folded)."""
    types, statuses = await kitsu.task_type_names(), await kitsu.task_status_names()
    return {"task_type": {_folded(v) for v in types.values()}, "status": {_folded(v) for v in statuses.values()}}


async def check_filters(kitsu: KitsuClient, filters: Filters) -> str | None:
    """The sentence naming a filter value Kitsu has no such name for; None when all match."""
    names = await _names(kitsu)
    for name, rule in filters.items():
        for value in [*rule.get("in", []), *rule.get("out", [])]:
            if _folded(value) not in names.get(name, set()):
                return messages.KITSU_SUBSCRIBE_UNKNOWN_VALUE.format(
                    name=name.replace("_", " "), value=escape(value[:80])
                )
    return None


async def subscribe(rt: Runtime, *, team: str, channel: str, person: SlackPerson, ref: str, filters: Filters) -> str:
    """`subscribe production <ref> [task_type:…] [status:…]`. Subscribing again to the same
    production changes that subscription's filters (and makes the person its owner)."""
    if watches.personal(channel):
        return messages.SUBSCRIBE_IN_A_CHANNEL
    kitsu = rt.trackers.kitsu
    if kitsu is None:
        return messages.KITSU_SUBSCRIBE_NO_KITSU
    ref = " ".join(ref.split())
    if not ref or len(ref) > MAX_REF or any(ch in ref for ch in "<>\n"):
        return messages.KITSU_SUBSCRIBE_BAD_REF.format(ref=escape(ref[:40]))
    refused = await watches.still_reads(rt, team, person, issues=False)
    if refused.refusal:
        return refused.refusal
    found = await _production(kitsu, person, ref)
    if isinstance(found, str):
        return found
    production, name = found
    allowed = await reader(rt, team, person, production)
    if allowed.refusal is not None:
        return allowed.refusal
    if (unknown := await check_filters(kitsu, filters)) is not None:
        return unknown
    return await subscriptions.save(
        rt,
        team=team,
        channel=channel,
        person=person,
        scope=(f"{PREFIX}{production}", name),
        filters=filters,
        events=EVENTS,
        added=messages.KITSU_SUBSCRIBED,
        shown=describe,
    )


def describe(sub: TriageSubscription) -> str:
    """A production subscription as `/tracker subscriptions` lists it."""
    parts = [
        f"{'-' if side == 'out' else ''}{name}:{','.join(values)}"
        for name, rule in sub.filters.items()
        for side, values in rule.items()
        if values
    ]
    return messages.SUBSCRIPTION_ENTRY.format(
        scope=escape(f"Kitsu: {sub.scope_name}"),
        filters=escape(" ".join(parts)) or messages.SUBSCRIPTION_NO_FILTERS,
        events=messages.KITSU_SUBSCRIPTION_EVENTS,
        owner=sub.owner,
        paused=messages.SUBSCRIPTION_PAUSED if sub.paused_at else "",
    )


# --- the round -------------------------------------------------------------------------------------


def heard(sub: TriageSubscription, change: StatusChange) -> bool:
    """Whether the change passes the subscription's filters (AND of filters; OR of values; `-` excludes)."""
    for name, value in (("task_type", change.task_type), ("status", change.after)):
        rule, folded = sub.filters.get(name) or {}, _folded(value)
        if rule.get("in") and folded not in {_folded(v) for v in rule["in"]}:
            return False
        if folded in {_folded(v) for v in rule.get("out", [])}:
            return False
    return True


def line(change: StatusChange) -> str:
    """One change as a line of the thread (mrkdwn, escaped): task type, old → new, who and when."""
    by = messages.KITSU_CHANGE_BY.format(person=escape(change.by)) if change.by else ""
    if change.at is not None:
        stamp = int(change.at.timestamp())
        by += messages.KITSU_CHANGE_AT.format(
            when=f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{change.at:%Y-%m-%d %H:%M} UTC>"
        )
    task_type = f"<{change.url}|{escape(change.task_type)}>" if change.url else escape(change.task_type)
    return messages.KITSU_CHANGE.format(
        task_type=task_type, before=escape(change.before or "—"), after=escape(change.after), by=by
    )


def head(change: StatusChange, production: str) -> str:
    """What names the entity in the message that starts its thread."""
    kind = f" ({change.entity_kind.lower()})" if change.entity_kind else ""
    return messages.KITSU_CHANGE_HEAD.format(entity=escape(change.entity), kind=kind, production=escape(production))


def news(sub: TriageSubscription, changes: Sequence[StatusChange]) -> list[tuple[str, dict[str, Any]]]:
    """The news of one round for the subscription: one piece per entity, its changes in order."""
    by_entity: dict[str, list[StatusChange]] = defaultdict(list)
    for change in changes:
        if heard(sub, change):
            by_entity[change.entity_id].append(change)
    return [
        (
            entity,
            {"kind": "kitsu", "head": head(mine[0], sub.scope_name), "lines": [line(c) for c in mine]},
        )
        for entity, mine in by_entity.items()
    ]


async def poll(rt: Runtime) -> int:
    """Record what each production subscription hears of this round; returns how many pieces.
    Each subscribed production's tasks are read once, whatever number of channels hear of it."""
    kitsu = rt.trackers.kitsu
    subs = [sub for sub in await rt.store.heard_subscriptions() if is_kitsu(sub)]
    if kitsu is None or not subs:
        return 0
    by_production: dict[str, list[TriageSubscription]] = defaultdict(list)
    for sub in subs:
        by_production[production_of(sub)].append(sub)
    recorded = 0
    for production, mine in by_production.items():
        try:
            states = await kitsu.task_states(production)
        except TrackerError as exc:
            log.info("Kitsu production %s not read this round (%s); the next round catches up", production, exc)
            continue
        named: Named = {}  # the changes named this round, shared by the production's subscriptions
        for sub in mine:
            try:
                recorded += await _round(rt, kitsu, sub, states, named)
            except TrackerError as exc:
                log.info("subscription %d: Kitsu did not say (%s); the next round catches up", sub.id, exc)
    return recorded


async def _round(
    rt: Runtime, kitsu: KitsuClient, sub: TriageSubscription, states: list[TaskState], named: Named
) -> int:
    statuses = {state.id: state.status_id for state in states}
    mark: KitsuMark | None = await rt.store.kitsu_mark(sub.id)
    if mark is None:  # the first round after subscribing: heard, not told
        await rt.store.first_kitsu_mark(sub.id, statuses)
        return 0
    if statuses == mark.statuses:
        return 0
    changed = [
        (state, mark.statuses[state.id])
        for state in states
        if state.id in mark.statuses and mark.statuses[state.id] != state.status_id
    ]  # a task new since the last round is heard, not told: its creation is no status change
    unnamed = [(state, before) for state, before in changed if (state.id, before, state.status_id) not in named]
    for change, (state, before) in zip(await kitsu.status_changes(production_of(sub), unnamed), unnamed, strict=True):
        named[(state.id, before, state.status_id)] = change
    pieces = news(sub, [named[(state.id, before, state.status_id)] for state, before in changed])
    moved = await rt.store.advance_kitsu_mark(mark, statuses, pieces, rt.clock())
    return len(pieces) if moved else 0
