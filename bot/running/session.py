"""One aiohttp session for all of a serving process's calls to Slack.

Bolt otherwise opens a new session, and a new TCP and TLS connection, for every Web API call
(it copies the app client's session into each request's client, and there is none) and for every
`respond()`. Under load that connecting is most of the bot's CPU (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient


class SessionRespond:
    """Bolt's `respond()`, on the shared session."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self._client = AsyncWebhookClient(url, session=session)

    async def __call__(
        self,
        text: str = "",
        blocks: Any = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        **extra: Any,
    ) -> WebhookResponse:
        return await self._client.send(
            text=text,
            blocks=blocks,
            response_type=response_type,
            replace_original=replace_original,
            delete_original=delete_original,
            **extra,
        )


class SharedSession:
    def __init__(self, app: AsyncApp) -> None:
        self._app = app
        self.session: aiohttp.ClientSession | None = None
        app.middleware(self._respond_on_session)

    async def open(self) -> None:
        """Call inside the serving event loop."""
        self.session = aiohttp.ClientSession()
        self._app.client.session = self.session

    async def close(self) -> None:
        if self.session is not None:
            self._app.client.session = None
            await self.session.close()
            self.session = None

    async def _respond_on_session(self, context: Any, next: Any) -> Any:  # noqa: A002 - Bolt's name
        if self.session is not None and context.response_url:
            context["respond"] = SessionRespond(context.response_url, self.session)
        return await next()
