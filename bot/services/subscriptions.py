"""What every channel subscription shares, an Issuetrak site's or project's and a Kitsu
production's: at most MAX_SUBSCRIPTIONS a channel, and subscribing again to the same scope
updates that subscription (its owner becomes whoever subscribed) instead of adding another."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot import messages
from bot.runtime import Runtime
from bot.slack.directory import SlackPerson
from bot.store import Subscribed, TriageSubscription

MAX_SUBSCRIPTIONS = 20  # per channel

Filters = dict[str, dict[str, list[str]]]


async def save(
    rt: Runtime,
    *,
    team: str,
    channel: str,
    person: SlackPerson,
    scope: tuple[str, str],
    filters: Filters,
    events: Sequence[str],
    added: str,
    shown: Callable[[TriageSubscription], str],
) -> str:
    """Add or update the channel's subscription to `scope` (its key and name); the sentence:
    `added` (formatted with the subscription as `shown`), updated, or the channel is full."""
    outcome, sub = await rt.store.subscribe_triage(
        team,
        channel,
        scope=scope[0],
        scope_name=scope[1],
        filters=filters,
        events=list(events),
        by=person.id,
        now=rt.clock(),
        cap=MAX_SUBSCRIPTIONS,
    )
    if outcome is Subscribed.FULL or sub is None:
        return messages.SUBSCRIBE_FULL.format(cap=MAX_SUBSCRIPTIONS)
    said = added if outcome is Subscribed.ADDED else messages.SUBSCRIPTION_UPDATED
    return said.format(subscription=shown(sub))
