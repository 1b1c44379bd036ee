"""Turns DATABASE_URL (`sqlite:///…` or `postgresql://…`, README: Settings) into an engine with the installed drivers and safe defaults."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from bot.store.models import StoreError

_SUPPORTED = "sqlite:///trackerbot.db, sqlite:// (in memory) or postgresql://user:password@host/db"
_POSTGRES_NAMES = {"postgres", "postgresql", "postgresql+psycopg"}
_SQLITE_NAMES = {"sqlite", "sqlite+pysqlite"}
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def database_url(url: str) -> URL:
    """Parse DATABASE_URL; `postgresql://` (and Heroku's `postgres://`) use psycopg 3.

    Error messages never repeat the URL: it may hold a password.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"DATABASE_URL is not a database URL; use {_SUPPORTED}.") from None
    if parsed.drivername in _POSTGRES_NAMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_NAMES:
        return parsed
    raise StoreError(f"DATABASE_URL names a database trackerbot does not support; use {_SUPPORTED}.")


def open_engine(url: str) -> Engine:
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_engine(url: URL) -> Engine:
    """SQLite with transactional DDL and BEGIN IMMEDIATE, so each transaction holds the write lock
    from its first statement: no read-then-write upgrade deadlocks between processes."""
    in_memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    }
    if in_memory:
        options["poolclass"] = StaticPool  # one shared connection, else each thread sees its own empty db
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            # OperationalError: another connection is switching the file to WAL at this moment (SQLite
            # answers "locked" at once, without its busy wait). WAL is a property of the file: theirs
            # holds for this connection too.
            with contextlib.suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
