"""How a listener answers when the work behind it fails: a tracker's (or the database's)
friendly sentence, one for work that took too long or was stopped, or a generic apology with
the details in the log; never a stack trace, and never silence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot import messages
from bot.errors import PersonFacingError
from bot.services import writes
from bot.views import cards, sentence_blocks

log = logging.getLogger(__name__)

Reply = Callable[..., Awaitable[Any]]


async def guarded(reply: Reply, work: Awaitable[None], *, what: str) -> None:
    """Await `work`; turn any failure into one clear ephemeral answer through `reply`.

    Work that is cancelled (shutdown, or a shared load cancelled under it) still answers the
    person first; the cancellation then goes on if it was aimed at this task."""
    try:
        await work
    except PersonFacingError as exc:
        log.info("%s: %s", what, exc)
        await _say_as_written(reply, str(exc))
    except TimeoutError:
        log.warning("%s took too long and was given up", what)
        await _say_as_written(reply, messages.TOOK_TOO_LONG)
    except asyncio.CancelledError as exc:
        log.warning("%s was stopped before it finished", what)
        # A write already in the outbox is sent by another process: not to be sent again.
        await _say_as_written(reply, str(exc) if isinstance(exc, writes.HandedOver) else messages.INTERRUPTED)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        log.exception("%s failed", what)
        await _say_as_written(reply, messages.UNEXPECTED)


async def show(reply: Reply, blocks: list[Any], text: str) -> None:
    """Replace the "working on it" answer with a view."""
    await reply(text=text, blocks=cards.as_dicts(blocks), replace_original=True)


async def _say_as_written(reply: Reply, sentence: str) -> None:
    await show(reply, sentence_blocks.said(sentence, as_written=True), sentence)


async def say(reply: Reply, text: str) -> None:
    """One sentence of ours (bot/messages.py, or a service's answer), in place of the "working on it"
    answer; its mrkdwn (mentions, `code`) is kept."""
    await show(reply, sentence_blocks.said(text), text)
