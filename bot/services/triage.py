"""Triage channels: subscriptions to the new issues of a scope (the whole Issuetrak site, or one
project), with filters, and the later events of each issue announced, in its thread.

Filters go to Issuetrak as search conditions (a name matched, as `/tracker` matches names, to
its ID in the cached lookups or users list): values of one filter joined by Or, filters by And,
an excluded value (`-name:value`) as NotEqual. A subscription's new issues are those its search
finds submitted after the later of the feed's cursor and the subscription's start, so nothing
that existed before it is announced. Reads follow the read rules of watches (`identity.reader`
when it is set; its owner's rights each round, `bot.posting.owners`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, issue_feed, kitsu_subscriptions, subscriptions, watches
from bot.services.issue_feed import Change, Event, Reading
from bot.slack.command_parser import SUBSCRIBE_EVENTS, unescaped
from bot.slack.directory import SlackPerson
from bot.store import TriageSubscription, TriageThread
from bot.trackers.errors import TrackerError
from bot.trackers.issuetrak import IssuetrakClient, SearchFilter
from bot.trackers.models import Lookup, Person, TrackerName
from bot.views.mrkdwn import escape

log = logging.getLogger(__name__)

SITE = "site"
EVENTS = SUBSCRIBE_EVENTS
DEFAULT_EVENTS = ("new", "closed")
# A filter's name, and the issue field its values are matched to.
FIELDS = {
    "priority": "PriorityID",
    "type": "IssueTypeID",
    "substatus": "SubStatusID",
    "submitter": "SubmittedBy",
    "assignee": "AssignedTo",
}
# Which later events each choice hears of.
HEARS: dict[str, frozenset[Change]] = {
    "closed": frozenset({Change.CLOSED}),
    "assigned": frozenset({Change.ASSIGNED, Change.NEXT_ACTION}),
    "notes": frozenset({Change.NOTE}),
    "status": frozenset({Change.STATUS, Change.SUBSTATUS, Change.PRIORITY}),
}
Filters = dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class Resolved:
    """Filters as Issuetrak's IDs: the values of each filter, and the excluded ones."""

    wanted: dict[str, list[str]]
    excluded: dict[str, list[str]]


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


async def _choices(client: IssuetrakClient, name: str) -> list[tuple[str, set[str]]]:
    """The IDs a filter's values can name, each with the names it answers to (folded)."""
    if name in ("submitter", "assignee"):
        people: list[Person] = await client.list_users()
        return [(p.id, {_folded(x) for x in (p.id, p.name, p.email or "") if x}) for p in people]
    lookups: list[Lookup] = await {
        "priority": client.priorities,
        "type": client.issue_types,
        "substatus": client.substatuses,
    }[name]()
    return [(str(item.id), {_folded(item.name), str(item.id)}) for item in lookups]


async def resolve(client: IssuetrakClient, filters: Filters) -> Resolved | str:
    """Each value of `filters` matched to its Issuetrak ID, or the sentence naming one that matches nothing."""
    wanted: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    for name, rule in filters.items():
        choices = await _choices(client, name)
        for side, into in (("in", wanted), ("out", excluded)):
            for value in rule.get(side, []):
                ids = [choice for choice, names in choices if _folded(value) in names]
                if not ids:
                    return messages.SUBSCRIBE_UNKNOWN_VALUE.format(name=name, value=escape(value[:80]))
                into.setdefault(name, []).extend(ids)
    return Resolved(wanted, excluded)


def query(sub: TriageSubscription, resolved: Resolved, since: datetime) -> issue_feed.Query:
    """The search of the subscription's new issues submitted after `since`."""
    filters: list[SearchFilter] = [("SubmittedDate", "GreaterThan", since)]
    if sub.scope != SITE:
        filters.append(("ProjectID", "Equal", int(sub.scope.partition(":")[2])))
    for name, ids in resolved.excluded.items():
        filters += [(FIELDS[name], "NotEqual", value) for value in ids]
    any_of: list[list[SearchFilter]] = [
        [(FIELDS[name], "Equal", value) for value in ids] for name, ids in resolved.wanted.items()
    ]
    return filters, any_of


def describe_subscription(sub: TriageSubscription) -> str:
    """A subscription as `/tracker subscriptions` lists it (mrkdwn, escaped)."""
    if kitsu_subscriptions.is_kitsu(sub):
        return kitsu_subscriptions.describe(sub)
    parts = [
        f"{'-' if side == 'out' else ''}{name}:{','.join(values)}"
        for name, rule in sub.filters.items()
        for side, values in rule.items()
        if values
    ]
    return messages.SUBSCRIPTION_ENTRY.format(
        scope=escape(sub.scope_name),
        filters=escape(" ".join(parts)) or messages.SUBSCRIPTION_NO_FILTERS,
        events=",".join(sub.events),
        owner=sub.owner,
        paused=messages.SUBSCRIPTION_PAUSED if sub.paused_at else "",
    )


async def subscribe(
    rt: Runtime,
    *,
    team: str,
    channel: str,
    person: SlackPerson,
    project: str | None,
    filters: Filters,
    events: Sequence[str] | None,
) -> str:
    """`subscribe issues …` (project None) or `subscribe project <ref> …`. Subscribing again to
    the same scope changes that subscription: the filters given, and the events when given."""
    if watches.personal(channel):
        return messages.SUBSCRIBE_IN_A_CHANNEL
    client = rt.trackers.issuetrak
    if client is None:
        return messages.SUBSCRIBE_NO_ISSUETRAK
    reader = await identity.reader(rt, team, person)
    if reader.refusal:
        return reader.refusal
    scope, scope_name = SITE, messages.SUBSCRIPTION_SITE
    if project is not None:
        found = await watches.find_project(rt, project)
        if isinstance(found, str):
            return found
        if found.tracker is not TrackerName.ISSUETRAK:
            return messages.SUBSCRIBE_NOT_ISSUETRAK.format(name=escape(found.name))
        scope, scope_name = f"project:{found.id}", found.name
    resolved = await resolve(client, filters)
    if isinstance(resolved, str):
        return resolved
    existing = next((s for s in await rt.store.subscriptions_at(team, channel) if s.scope == scope), None)
    chosen = list(events) if events is not None else list(existing.events if existing else DEFAULT_EVENTS)
    return await subscriptions.save(
        rt,
        team=team,
        channel=channel,
        person=person,
        scope=(scope, scope_name),
        filters=filters,
        events=chosen,
        added=messages.SUBSCRIBED,
        shown=describe_subscription,
    )


def field_values(text: str) -> dict[str, list[str]]:
    """An Edit modal's filter field (`High, Urgent, -Spam`) as a filter's values and exclusions."""
    values = [" ".join(v.split()) for v in unescaped(text).split(",") if v.strip()]
    return {
        "in": [v for v in values if not v.startswith("-")],
        "out": [v[1:].strip() for v in values if v.startswith("-") and v[1:].strip()],
    }


async def edit(
    rt: Runtime,
    *,
    team: str,
    channel: str,
    person: SlackPerson,
    subscription_id: int,
    shown: tuple[Filters, Sequence[str]],
    sent: tuple[Filters, Sequence[str]],
) -> str:
    """The Edit modal's submission: only what the person changed from what the modal showed
    (`shown`) is changed; the rest stays as the subscription has it now (even if someone changed
    it meanwhile): no reset to defaults. A Kitsu production's subscription has its own filters
    (`kitsu_subscriptions.FIELDS`) and no events to choose."""
    current = await rt.store.triage_subscription(team, subscription_id)
    if current is not None and kitsu_subscriptions.is_kitsu(current):
        return await _edit_kitsu(rt, team=team, person=person, current=current, channel=channel, shown=shown, sent=sent)
    client = rt.trackers.issuetrak
    if client is None:
        return messages.SUBSCRIBE_NO_ISSUETRAK
    reader = await identity.reader(rt, team, person)
    if reader.refusal:
        return reader.refusal
    if current is None or current.channel_id != channel:
        return messages.SUBSCRIPTION_GONE
    (shown_filters, shown_events), (sent_filters, sent_events) = shown, sent
    filters = _edited(current.filters, shown_filters, sent_filters, FIELDS)
    if filters is not None and isinstance(resolved := await resolve(client, filters), str):
        return resolved
    events = list(sent_events) if set(sent_events) != set(shown_events) else None
    sub = await rt.store.edit_subscription(team, subscription_id, by=person.id, filters=filters, events=events)
    if sub is None:
        return messages.SUBSCRIPTION_GONE
    return messages.SUBSCRIPTION_UPDATED.format(subscription=describe_subscription(sub))


async def _edit_kitsu(
    rt: Runtime,
    *,
    team: str,
    person: SlackPerson,
    current: TriageSubscription,
    channel: str,
    shown: tuple[Filters, Sequence[str]],
    sent: tuple[Filters, Sequence[str]],
) -> str:
    """Edit a Kitsu production's subscription: the editor must be on its team (they become its owner)."""
    if current.channel_id != channel:
        return messages.SUBSCRIPTION_GONE
    kitsu = rt.trackers.kitsu
    if kitsu is None:
        return messages.KITSU_SUBSCRIBE_NO_KITSU
    allowed = await kitsu_subscriptions.reader(rt, team, person, kitsu_subscriptions.production_of(current))
    if allowed.refusal is not None:
        return allowed.refusal
    filters = _edited(current.filters, shown[0], sent[0], kitsu_subscriptions.FIELDS)
    if filters is not None and (unknown := await kitsu_subscriptions.check_filters(kitsu, filters)) is not None:
        return unknown
    sub = await rt.store.edit_subscription(team, current.id, by=person.id, filters=filters)
    if sub is None:
        return messages.SUBSCRIPTION_GONE
    return messages.SUBSCRIPTION_UPDATED.format(subscription=describe_subscription(sub))


def _edited(current: Filters, shown: Filters, sent: Filters, fields: Collection[str]) -> Filters | None:
    """The filters after an edit: those the person changed from what the modal showed, the rest
    as the subscription has them now; None when nothing was changed."""
    empty: dict[str, list[str]] = {"in": [], "out": []}
    changed = [name for name in fields if _rule(shown, name) != _rule(sent, name)]
    if not changed:
        return None
    filters = {name: rule for name, rule in current.items() if name not in changed}
    filters.update({name: sent[name] for name in changed if _rule(sent, name) != empty})
    return filters


def _rule(filters: Filters, name: str) -> dict[str, list[str]]:
    rule = filters.get(name) or {}
    return {"in": list(rule.get("in", [])), "out": list(rule.get("out", []))}


async def listing(rt: Runtime, *, team: str, channel: str) -> tuple[str, list[tuple[int, str]]]:
    """`subscriptions`: a heading and each subscription's id and line."""
    mine = await rt.store.subscriptions_at(team, channel)
    if not mine:
        return messages.SUBSCRIPTIONS_NONE, []
    head = messages.SUBSCRIPTIONS_HEAD.format(count=len(mine), cap=subscriptions.MAX_SUBSCRIPTIONS)
    return head, [(sub.id, describe_subscription(sub)) for sub in mine]


async def unsubscribe(rt: Runtime, *, team: str, channel: str, position: int) -> str:
    """`unsubscribe <n>`: the n-th of the channel's subscriptions, as `subscriptions` numbers them."""
    mine = await rt.store.subscriptions_at(team, channel)
    if not 1 <= position <= len(mine):
        return messages.UNSUBSCRIBE_NO_SUCH.format(n=position, count=len(mine))
    return await remove(rt, team=team, channel=channel, subscription_id=mine[position - 1].id)


async def remove(rt: Runtime, *, team: str, channel: str, subscription_id: int) -> str:
    """A Remove click (or `unsubscribe`): only a subscription of the channel it was clicked in."""
    sub = await rt.store.triage_subscription(team, subscription_id)
    if sub is None or sub.channel_id != channel:
        return messages.SUBSCRIPTION_GONE
    await rt.store.end_subscription(team, sub.id, rt.clock())
    return messages.UNSUBSCRIBED.format(subscription=describe_subscription(sub))


# --- the round ------------------------------------------------------------------------------------


@dataclass
class Followed:
    """What a round must read for the subscriptions (their threads' issues and their searches),
    and what it recorded (`recorded`): an `issue_feed.Follower`."""

    rt: Runtime
    subscriptions: list[TriageSubscription]
    resolved: dict[int, Resolved]
    threads: list[TriageThread]
    recorded: int = 0

    @property
    def empty(self) -> bool:
        return not self.subscriptions

    @property
    def scopes(self) -> issue_feed.Scopes:
        return issue_feed.Scopes()  # new issues come by each subscription's own search

    async def record(self, reading: Reading) -> None:
        self.recorded += await record(self.rt, self, reading)

    @property
    def numbers(self) -> set[int]:
        return {thread.issue_number for thread in self.threads}

    def named(self, cursor: datetime | None) -> Mapping[str, issue_feed.Query]:
        return {
            str(sub.id): query(sub, self.resolved[sub.id], max(cursor or sub.created_at, sub.created_at))
            for sub in self.subscriptions
            if sub.id in self.resolved and "new" in sub.events
        }


async def followed(rt: Runtime) -> Followed:
    """The subscriptions heard this round, their filters as IDs (one whose values no longer
    match anything waits), and their threads."""
    subs = [sub for sub in await rt.store.heard_subscriptions() if not kitsu_subscriptions.is_kitsu(sub)]
    resolved: dict[int, Resolved] = {}
    client = rt.trackers.issuetrak
    if client is not None:
        for sub in subs:
            found = await resolve(client, sub.filters)
            if isinstance(found, Resolved):
                resolved[sub.id] = found
            else:
                log.info("subscription %d waits: %s", sub.id, found)
    return Followed(rt, subs, resolved, await rt.store.triage_threads() if subs else [])


def said(event: Event, names: Mapping[str, str]) -> str:
    """One event as a line of the thread, people named as cards name them."""
    by = f" {messages.TRIAGE_FROM_SLACK.format(user=event.by_slack)}" if event.by_slack else ""
    if event.change is Change.SUBSTATUS:
        event = replace(
            event, before=names.get(f"substatus:{event.before}"), after=names.get(f"substatus:{event.after}")
        )
    match event.change:
        case Change.NOTE if event.note is not None:
            author = names.get(event.note.created_by or "", event.note.created_by or "")
            return messages.TRIAGE_NOTE.format(
                author=escape(author), text=escape(watches.first_lines(issue_feed.readable(event.note.text))), by=by
            )
        case Change.CLOSED:
            return messages.TRIAGE_CLOSED.format(by=by)
        case _:
            return messages.TRIAGE_CHANGE.format(
                field=messages.TRIAGE_FIELDS.get(event.change.value, event.change.value),
                before=escape(str(event.before or "—")),
                after=escape(str(event.after or "—")),
                by=by,
            )


async def record(rt: Runtime, follow: Followed, reading: Reading) -> int:
    """Record what each subscription hears of this round: its new issues (each once, as its
    card) and the chosen events of the issues it announced (in their threads; never an event
    done from Slack in this very channel, which its person saw there). Returns how many pieces."""
    now, recorded = rt.clock(), 0
    by_id = {sub.id: sub for sub in follow.subscriptions}
    for key, numbers in reading.named.items():
        sub = by_id[int(key)]
        for number in sorted(numbers):
            issue = reading.issues[number]
            body = {"kind": "new", "issue": issue.model_dump(mode="json")}
            recorded += await rt.store.announce_new(sub.id, number, issue_feed.snapshot(issue), body, now)
    fresh = [n.id for thread in follow.threads if (i := reading.issues.get(thread.issue_number)) for n in i.notes]
    slack_notes = await rt.store.slack_notes([n for n in fresh if n is not None])
    names = await names_of(rt)
    for thread in follow.threads:
        subscribed, read = by_id.get(thread.subscription_id), reading.issues.get(thread.issue_number)
        if subscribed is None or read is None:
            continue
        sub, issue = subscribed, read
        after = issue_feed.snapshot(issue)
        if after == thread.snapshot:
            continue
        heard = frozenset().union(*(HEARS.get(choice, frozenset()) for choice in sub.events))
        lines = [
            said(event, names)
            for event in issue_feed.events(thread.snapshot, issue, slack_notes)
            if event.change in heard and event.from_channel != sub.channel_id
        ]
        news: dict[str, Any] | None = None
        if lines:
            news = {"kind": "event", "lines": lines, "closed": issue.is_closed, "issue": issue.model_dump(mode="json")}
        recorded += await rt.store.advance_thread(thread, after, news, now) and news is not None
    return recorded


async def names_of(rt: Runtime) -> dict[str, str]:
    """Issuetrak user IDs to the names cards show (a note's author comes as a user ID), and
    substatus IDs (`substatus:<id>`) to theirs; from the cached lists, IDs when they cannot be had."""
    client = rt.trackers.issuetrak
    if client is None:
        return {}
    try:
        people = {p.id: p.name for p in await client.list_users()}
        return people | {f"substatus:{s.id}": s.name for s in await client.substatuses()}
    except TrackerError:
        return {}
