"""A local stand-in for the Slack Web API (and for `response_url`), the way Bolt's own tests
play Slack: it answers the methods trackerbot calls and records every call.

The tests serve it on loopback; the console serves it in-process and renders what it records.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

TEAM_ID = "T0TRACKER"
BOT_USER_ID = "U0TRACKBOT"
DROP = "drop"


@dataclass
class SlackUser:
    id: str
    name: str
    email: str | None = None
    tz: str = "Europe/Paris"
    is_restricted: bool = False  # a multi-channel guest
    is_ultra_restricted: bool = False  # a single-channel guest
    deleted: bool = False  # deactivated


@dataclass
class Call:
    method: str  # a Web API method ("chat.postMessage") or "response_url"
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    token: str | None = None  # the bearer token the call carried (a step's own token, or the bot's)


@dataclass
class SlackState:
    users: dict[str, SlackUser] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=lambda: {"C0GENERAL": "general"})
    calls: list[Call] = field(default_factory=list)
    rate_limits: dict[str, int] = field(default_factory=dict)  # method -> answer its next N calls with 429
    socket_url: str | None = None  # what apps.connections.open hands out (Socket Mode tests)
    closed_channels: set[str] = field(default_factory=set)  # channels the bot is not a member of
    # method -> how its next calls fail, one entry a call: a status (5xx, 429), DROP (the connection
    # closes before the answer) or an error code answered as Slack does ({"ok": false, "error": ...})
    failures: dict[str, list[int | str]] = field(default_factory=dict)
    on_call: Callable[[Call], None] | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event | None = None

    def add_user(self, user_id: str, name: str, email: str | None = None, tz: str = "Europe/Paris") -> SlackUser:
        self.users[user_id] = user = SlackUser(user_id, name, email, tz)
        return user

    def record(self, call: Call) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"


def _decode_args(query: Mapping[str, str], raw: bytes, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        return {**query, **json.loads(raw or b"{}")}
    args: dict[str, Any] = {**query, **dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))}
    for key in ("blocks", "view", "attachments", "outputs"):  # slack_sdk sends these JSON-encoded in forms
        if isinstance(args.get(key), str):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args


def create_app(state: SlackState) -> Starlette:
    async def api(request: Request) -> Response:
        method = request.path_params["method"]
        args = _decode_args(request.query_params, await request.body(), request.headers.get("content-type", ""))
        if state.failures.get(method):
            failure = state.failures[method].pop(0)
            state.record(Call(f"{method}:{failure}", args))
            return _failure(failure)
        if state.rate_limits.get(method, 0) > 0:
            state.rate_limits[method] -= 1
            state.record(Call(f"{method}:429", args))
            return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "1"})
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or None
        state.record(Call(method, args, token=token))
        return JSONResponse(_answer(state, method, args))

    async def response_url(request: Request) -> JSONResponse:
        args = json.loads(await request.body() or b"{}")
        args["_hook"] = request.path_params["hook"]
        state.record(Call("response_url", args))
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/api/{method}", api, methods=["POST", "GET"]),
            Route("/response/{hook}", response_url, methods=["POST"]),
        ]
    )


def _failure(failure: int | str) -> Response:
    if failure == DROP:
        return _Dropped()
    if failure == 429:
        return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429, headers={"Retry-After": "0"})
    if isinstance(failure, int):  # what a load balancer in front of Slack answers
        return HTMLResponse(f"<html><body>{failure} Service Unavailable</body></html>", status_code=failure)
    return JSONResponse({"ok": False, "error": failure})


class _Dropped(Response):
    """Starts an answer, then the connection closes under it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"ok": tr', "more_body": True})
        raise ConnectionAbortedError("the Slack stand-in dropped the connection, as asked")


def _user(user: SlackUser) -> dict[str, Any]:
    """A user as `users.info` and `users.lookupByEmail` answer it."""
    return {
        "id": user.id,
        "team_id": TEAM_ID,
        "name": user.name.lower().replace(" ", "."),
        "real_name": user.name,
        "deleted": user.deleted,
        "tz": user.tz,
        "profile": {"real_name": user.name, "display_name": user.name, "email": user.email},
        "is_restricted": user.is_restricted,
        "is_ultra_restricted": user.is_ultra_restricted,
    }


def _answer(state: SlackState, method: str, args: dict[str, Any]) -> dict[str, Any]:
    """What Slack answers `method` with `args` (the calls are recorded by the caller)."""
    answer = _ANSWERS.get(method)
    return answer(state, args) if answer is not None else {"ok": False, "error": "unknown_method"}


def _auth_test(_state: SlackState, _args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://trackerbot-demo.slack.com/",
        "team": "Demo",
        "user": "trackerbot",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": "B0TRACKBOT",
        "is_enterprise_install": False,
    }


def _users_info(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    user = state.users.get(str(args.get("user")))
    if user is None:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": _user(user)}


def _users_by_email(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """Slack compares emails case-insensitively."""
    email = str(args.get("email", "")).casefold()
    found = next((u for u in state.users.values() if email and (u.email or "").casefold() == email), None)
    return {"ok": True, "user": _user(found)} if found else {"ok": False, "error": "users_not_found"}


def _conversations_info(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    channel = str(args.get("channel"))
    name = state.channels.get(channel)
    if name is None:
        return {"ok": False, "error": "channel_not_found"}
    return {"ok": True, "channel": {"id": channel, "name": name, "is_member": channel not in state.closed_channels}}


def _permalink(_state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    ts = str(args.get("message_ts", "")).replace(".", "")
    return {
        "ok": True,
        "channel": args.get("channel"),
        "permalink": f"https://trackerbot-demo.slack.com/archives/{args.get('channel')}/p{ts}",
    }


def _post(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage and chat.update: refused in a channel the bot is not in."""
    if args.get("channel") in state.closed_channels:
        return {"ok": False, "error": "not_in_channel"}
    return {
        "ok": True,
        "channel": args.get("channel"),
        "ts": args.get("ts") or state.next_ts(),
        "message": {"text": args.get("text"), "blocks": args.get("blocks")},
    }


def _post_ephemeral(state: SlackState, _args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "message_ts": state.next_ts()}


def _views_publish(_state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "view": {**(args.get("view") or {}), "id": f"VHOME{args.get('user_id', '')}"}}


def _views(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.open, views.update and views.push."""
    view = args.get("view") or {}
    view_id = args.get("view_id") or f"V{len(state.calls):06d}"
    return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{len(state.calls)}"}}


def _ok(_state: SlackState, _args: dict[str, Any]) -> dict[str, Any]:
    """chat.unfurl: recorded like every call; the cards are in args["unfurls"]."""
    return {"ok": True}


def _step_success(_state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """A step's end with its outputs (an object), for one execution."""
    if not args.get("function_execution_id") or not isinstance(args.get("outputs"), dict):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True}


def _step_error(_state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """A step's end with an error sentence, for one execution."""
    if not args.get("function_execution_id") or not args.get("error"):
        return {"ok": False, "error": "invalid_arguments"}
    return {"ok": True}


def _connections_open(state: SlackState, _args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "url": state.socket_url} if state.socket_url else {"ok": False, "error": "not_allowed"}


def _conversations_open(_state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channel": {"id": "D" + str(args.get("users", "U"))[1:]}}


# How the stand-in answers each Web API method it plays.
_ANSWERS: dict[str, Callable[[SlackState, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "users.info": _users_info,
    "users.lookupByEmail": _users_by_email,
    "conversations.info": _conversations_info,
    "chat.getPermalink": _permalink,
    "chat.postMessage": _post,
    "chat.update": _post,
    "chat.postEphemeral": _post_ephemeral,
    "views.publish": _views_publish,
    "views.open": _views,
    "views.update": _views,
    "views.push": _views,
    "chat.unfurl": _ok,
    "functions.completeSuccess": _step_success,
    "functions.completeError": _step_error,
    "apps.connections.open": _connections_open,
    "conversations.open": _conversations_open,
}
