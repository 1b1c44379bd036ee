"""Background work of a serving process: the outbox worker that delivers saved writes, and
the digest scheduler. Both are driven by the store, so several processes can run them."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.answers import tell
from bot.runtime import Runtime
from bot.services import digests, writes
from bot.views import cards, ids, notices

log = logging.getLogger(__name__)

OUTBOX_INTERVAL_SECONDS = 5.0
DIGEST_INTERVAL_SECONDS = 30.0


async def deliver_due(rt: Runtime, client: AsyncWebClient, *, limit: int = 20) -> int:
    """Deliver what is due in the outbox and tell each person; returns how many were tried."""
    items = await rt.store.claim_due(rt.clock(), limit, writes.LEASE_SECONDS)
    for item in items:
        outcome = await writes.deliver(rt, item)
        if outcome.result is writes.Result.SAVED:
            continue  # still waiting for Issuetrak; the person was told when they asked
        blocks = None
        if outcome.result is writes.Result.FAILED and outcome.item_id is not None:
            blocks = cards.as_dicts(notices.retry_notice(outcome.sentence, ids.OUTBOX_RETRY, str(outcome.item_id),
                                                       messages.RETRY_BUTTON))
        await tell(client, item.requester, outcome.sentence, blocks)
    return len(items)


class Workers:
    """Loops that run beside the web server until it stops."""

    def __init__(self, rt: Runtime, client: AsyncWebClient) -> None:
        self.rt = rt
        self.client = client
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(OUTBOX_INTERVAL_SECONDS, self._outbox), name="outbox worker"),
            asyncio.create_task(self._every(DIGEST_INTERVAL_SECONDS, self._digests), name="digest scheduler"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _outbox(self) -> None:
        await deliver_due(self.rt, self.client)

    async def _digests(self) -> None:
        await digests.post_due(self.rt, self.client)

    @staticmethod
    async def _every(seconds: float, work) -> None:  # type: ignore[no-untyped-def]
        while True:
            try:
                await work()
            except Exception:
                log.exception("background loop failed; trying again in %.0f s", seconds)
            await asyncio.sleep(seconds)
