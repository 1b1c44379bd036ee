"""The one async Bolt app, built from a `Runtime`; every transport (HTTP, Socket Mode, the
console) dispatches into it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger import messages as bolt_messages
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.runtime import Runtime
from bot.slack.directory import Directory
from handlers.context import attach


def web_client(runtime: Runtime) -> AsyncWebClient:
    settings = runtime.settings
    token = settings.SLACK_BOT_TOKEN.get_secret_value() if settings.SLACK_BOT_TOKEN else None
    return AsyncWebClient(
        token=token,
        base_url=settings.SLACK_API_URL,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def create_app(runtime: Runtime, *, socket_mode: bool = False) -> AsyncApp:
    settings = runtime.settings
    secret = settings.SLACK_SIGNING_SECRET.get_secret_value() if settings.SLACK_SIGNING_SECRET else None
    with _client_given_on_purpose():
        app = _bolt_app(runtime, secret, socket_mode=socket_mode)

    directory = Directory()

    @app.middleware
    async def attach_runtime(context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002 - Bolt's name
        attach(context, runtime, directory)
        return await next()

    handlers.register_all(app)
    return app


def _bolt_app(runtime: Runtime, secret: str | None, *, socket_mode: bool) -> AsyncApp:
    return AsyncApp(
        client=web_client(runtime),
        signing_secret=secret,
        # Socket Mode and the console carry no signature; HTTP always checks it.
        request_verification_enabled=secret is not None and not socket_mode,
        raise_error_for_unhandled_request=False,
        # Every listener acknowledges at once and hands slow work to `runtime.spawn`, so the
        # response can wait for the listener to return (no 10 ms polling for the ack).
        process_before_response=True,
    )


@contextmanager
def _client_given_on_purpose() -> Iterator[None]:
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself even when given a client, and then
    warns on every start that this token "will be unused". The client is given on purpose (it holds
    the same token, SLACK_API_URL and the retry handlers), so that one warning is dropped while
    the app is built; every other Bolt warning still reaches the log."""
    unused = bolt_messages.warning_client_prioritized_and_token_skipped()
    logger = logging.getLogger(f"slack_bolt.{AsyncApp.__name__}")

    def drop_unused_token_warning(record: logging.LogRecord) -> bool:
        return record.getMessage() != unused

    logger.addFilter(drop_unused_token_warning)
    try:
        yield
    finally:
        logger.removeFilter(drop_unused_token_warning)
