"""The store's plumbing: one engine, each operation one transaction run in a worker thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from sqlalchemy import Connection, literal, select
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.store.engine import open_engine
from bot.store.migrations import migrate
from bot.store.models import StoreUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")

UNAVAILABLE = "trackerbot's database is not answering right now; try again in a minute."


class StoreBase:
    """Opens the database named by a DATABASE_URL and brings its schema up to date (blocking, once)."""

    def __init__(self, url: str) -> None:
        self._engine = open_engine(url)
        # SQLite has one writer anyway; queueing here is fairer than its busy-wait, and the
        # in-memory database is a single shared connection that must not interleave transactions.
        self._serial: AbstractContextManager[object] = threading.Lock() if self.dialect == "sqlite" else nullcontext()
        try:
            self.schema_version: int = self._transact(migrate)
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def dialect(self) -> str:
        """The database kind: "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    async def aclose(self) -> None:
        await asyncio.to_thread(self._engine.dispose)

    async def answers(self) -> None:
        """A trivial query (/healthz): returns when the database answers, else raises StoreUnavailable."""
        await self._run(lambda conn: conn.execute(select(literal(1))).scalar_one())

    async def _run(self, operation: Callable[[Connection], T]) -> T:
        return await asyncio.to_thread(self._transact, operation)

    def _transact(self, operation: Callable[[Connection], T]) -> T:
        try:
            with self._serial, self._engine.begin() as conn:
                return operation(conn)
        except (OperationalError, InterfaceError) as err:
            # err.orig is the driver's own message: no SQL parameters, and drivers never echo passwords.
            logger.warning("database unavailable: %s", err.orig)
            raise StoreUnavailable(UNAVAILABLE) from err
