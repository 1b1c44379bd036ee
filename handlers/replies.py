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
        await say(reply, str(exc), as_written=True)
    except TimeoutError:
        log.warning("%s took too long and was given up", what)
        await say(reply, messages.TOOK_TOO_LONG, as_written=True)
    except asyncio.CancelledError as exc:
        log.warning("%s was stopped before it finished", what)
        # A write already in the outbox is sent by another process: not to be sent again.
        await say(reply, str(exc) if isinstance(exc, writes.HandedOver) else messages.INTERRUPTED, as_written=True)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        log.exception("%s failed", what)
        await say(reply, messages.UNEXPECTED, as_written=True)


async def show(reply: Reply, blocks: list[Any], text: str) -> None:
    """Replace the "working on it" answer with a view."""
    await reply(text=text, blocks=cards.as_dicts(blocks), replace_original=True)


async def say(reply: Reply, text: str, *, as_written: bool = False) -> None:
    """One sentence, in place of the "working on it" answer: ours (bot/messages.py, or a service's
    answer) keeps its mrkdwn (mentions, `code`); `as_written` shows text that is not ours to format
    (an error's, or one quoting what the person typed) escaped."""
    await show(reply, sentence_blocks.said(text, as_written=as_written), text)
