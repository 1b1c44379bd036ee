"""The HTTP process: Starlette routes for Slack (`POST /slack/events`) and `GET /healthz`,
served by uvicorn."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.health import Health
from bot.runtime import Runtime
from bot.slack_session import SharedSession
from bot.workers import Workers

log = logging.getLogger(__name__)


def create_web_app(runtime: Runtime, app: AsyncApp, *, workers: Workers | None = None) -> Starlette:
    slack = AsyncSlackRequestHandler(app)
    health = Health(runtime.trackers)
    shared = SharedSession(app)

    async def events(request: Request) -> Response:
        try:
            return await slack.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # Bolt parses the body before checking its signature: a body that is not a Slack
            # payload at all fails there. Refuse it plainly instead of answering 500.
            log.warning("refused a request that is not a Slack payload (%s)", type(exc).__name__)
            return PlainTextResponse("Bad request", status_code=400)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse(await health.report())

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await shared.open()
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                await workers.stop()
            await runtime.aclose()
            await shared.close()

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
        lifespan=lifespan,
    )
