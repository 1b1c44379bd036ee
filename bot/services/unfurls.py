"""Links pasted into Slack, turned into the cards of what they show (the `link_shared` event).

Only links of the configured trackers' sites count (each client recognises its own pages, see
`LinkSource`); any other link is left alone without a word. The person who pasted must be
allowed to read what a link shows, under the rules of `/tracker`: a guest reads nothing unless
ALLOW_GUESTS, and an Issuetrak issue needs the person's Issuetrak identity unless OPEN_READS (and,
under ISSUE_SCOPE=organization, to be of their organization).
A link the person may not read, that names nothing, or whose tracker does not answer within
`CARD_SECONDS`, stays a plain link. The cards are read side by side, so several links cost one
tracker round trip of wall time, and each is kept `CACHE_SECONDS` (the same link pasted in many
messages, or seen first in the composer and then in the posted message, is read once).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

from cachetools import TTLCache

from bot.runtime import Runtime
from bot.services import identity
from bot.slack.directory import SlackPerson
from bot.trackers.capabilities import LinkSource
from bot.trackers.errors import TrackerError
from bot.trackers.models import Asset, Issue, Page, PageKind, ProjectStatus

log = logging.getLogger(__name__)

MAX_LINKS = 5  # pages read per event: Slack sends a few; a forged event with hundreds reads these
MAX_SCANNED = 100  # links of an event looked at to find them
CARD_SECONDS = 2.0  # one card's read, and the read check, each bounded well inside Slack's 3 s
CACHE_SECONDS = 30.0
CACHE_SIZE = 512

Card = Issue | ProjectStatus | Asset
CardCache = MutableMapping[Page, Card]


def card_cache() -> CardCache:
    """Where a process keeps the cards it read for unfurls, briefly."""
    return TTLCache(maxsize=CACHE_SIZE, ttl=CACHE_SECONDS)


@dataclass(frozen=True)
class Unfurl:
    """A pasted link (`url`, exactly as Slack sent it) and what its card shows."""

    url: str
    card: Card


def pages_in(rt: Runtime, urls: Iterable[object]) -> list[tuple[LinkSource, Page]]:
    """The configured trackers' pages among `urls` (each once, the first `MAX_LINKS`)."""
    sources = rt.trackers.link_sources()
    found: list[tuple[LinkSource, Page]] = []
    seen: set[str] = set()
    for url in itertools.islice(urls, MAX_SCANNED):
        if not isinstance(url, str) or url in seen:
            continue
        seen.add(url)
        page = next(((source, p) for source in sources if (p := source.page_of(url)) is not None), None)
        if page is not None:
            found.append(page)
        if len(found) == MAX_LINKS:
            break
    return found


async def unfurls(
    rt: Runtime, *, team: str, person: SlackPerson, urls: Iterable[object], cache: CardCache
) -> list[Unfurl]:
    """The cards of the pasted links that the person may read and that their trackers answered
    in time; an empty list when there is nothing to show."""
    if identity.shut_out(rt, person):
        return []
    pages = pages_in(rt, urls)
    if not pages:
        return []
    # The read check runs beside the reads (one round trip in all); what it refuses is dropped.
    check = _reader(rt, team, person) if any(p.kind is PageKind.ISSUE for _, p in pages) else _anyone()
    reads = asyncio.gather(*(_card(source, page, cache) for source, page in pages))
    reader, cards = await asyncio.gather(check, reads)
    return [
        Unfurl(page.url, card)
        for (_, page), card in zip(pages, cards, strict=True)
        if card is not None and (not isinstance(card, Issue) or identity.issue_refusal(rt, reader, card) is None)
    ]


async def _anyone() -> identity.Reader:
    return identity.Reader(None)


async def _reader(rt: Runtime, team: str, person: SlackPerson) -> identity.Reader:
    """The read check of `/tracker issue`; a check that cannot be made in time refuses."""
    try:
        async with asyncio.timeout(CARD_SECONDS):
            reader = await identity.reader(rt, team, person)
    except (TrackerError, TimeoutError) as exc:
        log.info("unfurl: could not check that %s may read issues: %s", person.id, type(exc).__name__)
        return identity.Reader(type(exc).__name__)
    if reader.refusal is not None:
        log.info("unfurl: %s may not read issues; their issue links stay plain", person.id)
    return reader


async def _card(source: LinkSource, page: Page, cache: CardCache) -> Card | None:
    """The page's card, from the cache or read within `CARD_SECONDS`; None when it cannot be shown."""
    cached = cache.get(page)
    if cached is not None:
        return cached
    try:
        async with asyncio.timeout(CARD_SECONDS):
            card = await source.read_page(page)
    except (TrackerError, TimeoutError) as exc:
        log.info("unfurl: %s %s %s not shown: %s", page.tracker, page.kind, page.ref, type(exc).__name__)
        return None
    cache[page] = card
    return card
