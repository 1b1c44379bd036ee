"""Starting trackerbot's processes: HTTP (uvicorn), Socket Mode, and `digest --once`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import uvicorn

from bot import logs, messages
from bot.running.platform import ephemeral_sqlite_refusal
from bot.running.runtime import Runtime
from bot.running.workers import Workers
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.session import SharedSession
from bot.store import Store, StoreError, StoreUnavailable
from bot.trackers.registry import build_trackers

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The process cannot start; the message is one line, names the setting and is safe to print."""


def build_runtime(settings: Settings) -> Runtime:
    if refusal := ephemeral_sqlite_refusal(settings):  # README, Deploy: SQLite where the disk is wiped
        raise StartupError(refusal)
    logs.configure(settings.LOG_LEVEL, settings.secret_values(), log_format=settings.LOG_FORMAT)
    return Runtime(settings=settings, trackers=build_trackers(settings), store=open_store(settings.DATABASE_URL))


def open_store(url: str) -> Store:
    """Open DATABASE_URL at start-up, or raise `StartupError` with one line naming the setting and the
    cause: a URL trackerbot cannot use, or a database that cannot be reached or opened."""
    try:
        with _quiet("bot.store.base"):  # its "database unavailable" warning is the cause said below
            return Store(url)
    except StoreUnavailable as exc:
        masker = logs.SecretMasker(_password(url))
        raise StartupError(masker.cut(messages.DATABASE_NOT_OPENED.format(cause=_cause(exc)))) from None
    except StoreError as exc:
        raise StartupError(" ".join(str(exc).split())) from None


def _cause(exc: BaseException) -> str:
    """The driver's own first line (drivers never echo passwords), or the store's sentence."""
    error = exc.__cause__
    original = getattr(error, "orig", None) or error or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _password(url: str) -> list[str]:
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password] if password else []


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def serve_http(settings: Settings) -> int:
    from bot.slack.web import BoundedHttpToolsProtocol, create_web_app

    runtime = build_runtime(settings)
    app = create_app(runtime)
    web = create_web_app(runtime, app, workers=Workers(runtime, app.client))
    uvicorn.run(
        web, host="0.0.0.0", port=settings.PORT, log_config=None, access_log=False, http=BoundedHttpToolsProtocol
    )
    return 0


async def serve_socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    runtime = build_runtime(settings)
    app = create_app(runtime, socket_mode=True)
    shared = SharedSession(app)
    await shared.open()
    workers = Workers(runtime, app.client)
    workers.start()
    assert settings.SLACK_APP_TOKEN is not None
    handler = AsyncSocketModeHandler(app, settings.SLACK_APP_TOKEN.get_secret_value())
    try:
        await handler.start_async()
    finally:
        await workers.stop()
        await runtime.aclose()
        await shared.close()
    return 0


async def digest_once(settings: Settings) -> int:
    """Post every digest due now, then exit: 0 when each one this run claimed was posted (or none
    was due), 1 when a post or the database failed (cron shows it; the log has the details). A
    DATABASE_URL that cannot be opened at all stops start-up instead (`StartupError`: exit 2)."""
    from bot.slack import digest_posting
    from bot.slack.app import web_client

    try:
        runtime = build_runtime(settings)
        try:
            done = await digest_posting.post_due(runtime, web_client(runtime))
        finally:
            await runtime.aclose()
            await runtime.store.aclose()
    except StoreError as exc:
        log.error("digest --once: %s", exc)
        return 1
    log.info("digest --once: %d digest(s) posted, %d failed", done.posted, done.failed)
    return 1 if done.failed else 0
