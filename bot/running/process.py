"""Starting trackerbot's processes: HTTP (uvicorn), Socket Mode, and `digest --once`."""

from __future__ import annotations

import logging

import uvicorn

from bot import logs
from bot.running.runtime import Runtime
from bot.running.workers import Workers
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.session import SharedSession
from bot.store import Store, StoreError
from bot.trackers.registry import build_trackers

log = logging.getLogger(__name__)


def build_runtime(settings: Settings) -> Runtime:
    logs.configure(settings.LOG_LEVEL, settings.secret_values())
    return Runtime(settings=settings, trackers=build_trackers(settings), store=Store(settings.DATABASE_URL))


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
    was due), 1 when a post or the database failed (cron shows it; the log has the details)."""
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
