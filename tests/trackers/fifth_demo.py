"""The demo server of the fifth tracker (tests/trackers/fifth.py): GET /api/boards,
GET /api/boards/{id} and GET /api/props?q=words, behind a bearer token, with the knobs every demo
server has."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.demo.knobs import DemoKnobs, DemoTracker, Endpoint, bearer_token, error, instrumented


def _boards() -> list[dict[str, Any]]:
    return [
        {"id": "b1", "title": "Lighthouse animatic", "state": "active", "done": 40, "due": "2030-01-31"},
        {"id": "b2", "title": "Harbour teaser boards", "state": "active", "done": 90, "due": "2030-03-01"},
        {"id": "b3", "title": "Archived pitch boards", "state": "archived", "done": 100, "due": "2020-01-01"},
        {"id": "b4", "title": "Ferry chase boards", "state": "active", "done": 10, "due": "2021-06-01"},
    ]


def _props() -> list[dict[str, Any]]:
    """Drawn props, seven of them laptops: more than an asset list shows of a source at once."""
    laptops = [{"id": f"p{n}", "title": f"Laptop sketch {n:02d}", "board": "b1"} for n in range(1, 8)]
    return [*laptops, {"id": "p8", "title": "Lantern sketch", "board": "b2"}]


@dataclass
class StoryboardState(DemoKnobs):
    boards: list[dict[str, Any]] = field(default_factory=_boards)
    props: list[dict[str, Any]] = field(default_factory=_props)
    token: str = field(default_factory=lambda: "sb-" + secrets.token_urlsafe(12))


def create_app(state: StoryboardState) -> Starlette:
    def authorized(endpoint: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            token = bearer_token(request)
            if token is None or not secrets.compare_digest(token.encode(), state.token.encode()):
                return error(401, "Unauthorized")
            return await endpoint(request)

        return instrumented(state, run)

    async def boards(request: Request) -> Response:
        return JSONResponse(state.boards)

    async def board(request: Request) -> Response:
        found = next((b for b in state.boards if b["id"] == request.path_params["id"]), None)
        return JSONResponse(found) if found else error(404, "no such board")

    async def props(request: Request) -> Response:
        words = request.query_params.get("q", "").casefold()
        return JSONResponse([p for p in state.props if words in p["title"].casefold()])

    return Starlette(
        routes=[
            Route("/api/props", authorized(props), methods=["GET"]),
            Route("/api/boards", authorized(boards), methods=["GET"]),
            Route("/api/boards/{id}", authorized(board), methods=["GET"]),
        ]
    )


def demo() -> DemoTracker:
    """The console's Storyboard."""
    state = StoryboardState()
    return DemoTracker(
        state,
        create_app(state),
        {"STORYBOARD_URL": "http://storyboard.demo", "STORYBOARD_TOKEN": SecretStr(state.token)},
    )
