"""How a listener answers when the work behind it fails: a tracker's (or the database's)
friendly sentence, or a generic apology with the details in the log, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import messages
from bot.slack_people import SlackBusy
from bot.store.records import StoreError
from bot.trackers.errors import TrackerError
from bot.views import cards

log = logging.getLogger(__name__)

Reply = Callable[..., Awaitable[Any]]


async def guarded(reply: Reply, work: Awaitable[None], *, what: str) -> None:
    """Await `work`; turn any failure into one clear ephemeral answer through `reply`."""
    try:
        await work
    except (TrackerError, StoreError, SlackBusy) as exc:  # their str() is a sentence meant for people
        log.info("%s: %s", what, exc)
        await reply(text=str(exc), blocks=cards.as_dicts(cards.message(str(exc))), replace_original=True)
    except Exception:
        log.exception("%s failed", what)
        await reply(text=messages.UNEXPECTED, blocks=cards.as_dicts(cards.message(messages.UNEXPECTED)),
                    replace_original=True)


async def show(reply: Reply, blocks: list[Any], text: str) -> None:
    """Replace the "working on it" answer with a view."""
    await reply(text=text, blocks=cards.as_dicts(blocks), replace_original=True)
