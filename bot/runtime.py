"""What a running trackerbot holds: settings, tracker clients, the store, a clock, and the
background tasks it started (so none is lost or left running)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.settings import Settings
from bot.slack.metadata import MetadataSigner
from bot.store import Store
from bot.trackers.registry import Trackers

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 2.0  # what cancelled background work gets to answer its person before drain returns


def utc_now() -> datetime:
    return datetime.now(UTC)


def _names(tasks: Iterable[asyncio.Task[Any]]) -> str:
    return ", ".join(sorted(task.get_name() for task in tasks))


@dataclass
class Runtime:
    settings: Settings
    trackers: Trackers
    store: Store
    clock: Callable[[], datetime] = utc_now
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    signer: MetadataSigner = field(init=False)

    def __post_init__(self) -> None:
        secret = self.settings.SLACK_SIGNING_SECRET
        # Without a signing secret (the console), a key of this process's own is enough.
        key = secret.get_secret_value().encode() if secret else os.urandom(32)
        self.signer = MetadataSigner(hashlib.sha256(b"trackerbot-modal:" + key).digest())

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `work` after the request is acknowledged; failures are logged, never lost."""
        task = asyncio.create_task(work, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            log.warning("background task %s was cancelled", task.get_name())
        elif task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = 10.0, *, grace: float = CANCEL_GRACE_SECONDS) -> None:
        """Wait up to `timeout` seconds for the background work started so far (and the work it
        starts); then cancel what is left, give it up to `grace` seconds to answer its person,
        and return. What was left is logged by name (tests, the console, shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.tasks and (left := deadline - loop.time()) > 0:
            await asyncio.wait(set(self.tasks), timeout=left)
        if not self.tasks:
            return
        log.warning(
            "%d background task(s) still running after %.1f s, cancelled: %s",
            len(self.tasks),
            timeout,
            _names(self.tasks),
        )
        for task in self.tasks:
            task.cancel()
        await asyncio.wait(set(self.tasks), timeout=grace)
        if self.tasks:
            log.error("%d background task(s) did not stop when cancelled: %s", len(self.tasks), _names(self.tasks))

    async def aclose(self) -> None:
        await self.drain()
        await self.trackers.aclose()
