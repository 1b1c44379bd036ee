"""Socket Mode: the same Bolt app behind Bolt's async Socket Mode handler. A local WebSocket
server plays Slack's side: it hands the app a slash command envelope and reads the ack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.demo.slack import TEAM_ID, SlackState
from bot.running.app import create_app
from bot.runtime import Runtime


async def _slack_socket(envelope: dict[str, Any], acks: asyncio.Queue[dict[str, Any]]) -> tuple[web.AppRunner, str]:
    async def link(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        await ws.send_json(envelope)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await acks.put(json.loads(message.data))
        return ws

    app = web.Application()
    app.router.add_get("/link", link)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"ws://127.0.0.1:{port}/link"


async def test_a_slash_command_over_socket_mode(runtime: Runtime, slack_state: SlackState) -> None:
    acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": "/tracker",
            "text": "help",
            "trigger_id": "t1",
            "response_url": "http://127.0.0.1:9/unused",
        },
    }
    runner, url = await _slack_socket(envelope, acks)
    slack_state.socket_url = url
    handler = AsyncSocketModeHandler(create_app(runtime, socket_mode=True), "xapp-1-test-token")
    try:
        await handler.connect_async()
        ack = await asyncio.wait_for(acks.get(), 10)
    finally:
        await handler.close_async()
        await runner.cleanup()
        await runtime.trackers.aclose()
    assert ack["envelope_id"] == "env-1"
    assert "/tracker issue 123" in json.dumps(ack["payload"])
    assert any(call.method == "apps.connections.open" for call in slack_state.calls)
