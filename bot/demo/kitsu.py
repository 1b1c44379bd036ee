"""A small Zou-shaped server (the Kitsu API) for the offline console and fast tests.

It keeps Zou's contract where trackerbot relies on it (checked against zou 1.0.97, see
docs/trackers.md, Kitsu): routes at the root (`/auth/login`, `/data/...`), HS256 JWTs of type
access/refresh with `exp`, the refresh token not rotated, 401 `{"error": true, "message":
"Signature has expired"}` for an expired token, 422 `{"msg": ...}` for a malformed or forged one
(or the wrong kind of token), 400 on a wrong login and a one-minute lockout after five, crud lists
filtered by any column (`name` as ILIKE), and `assignees` on tasks only with `?relations=true`.

The dataset is a small animation studio, "Lunar Lantern Studio", with dates relative to the day
the state is made: two open productions and a closed one, a dozen assets, twenty tasks (some
overdue, some due in the next days) and five people.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.demo.knobs import DemoTracker, Faults

DEMO_EMAIL = "dana@example.com"  # the production manager the demo bot logs in as
DEMO_PASSWORD = "moonrise-demo"
BOT_EMAIL = "trackerbot@example.com"  # a Zou bot account: see KitsuState.bot_token
MAX_FAILED_LOGINS = 5  # Zou's MAX_LOGIN_FAILED_ATTEMPS
LOCKOUT_SECONDS = 60.0  # Zou's LOGIN_LOCKOUT_DELAY
_MISSING_JWT = 'Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)'
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _id(kind: str, name: str) -> str:
    """Stable ids, so the console and tests can name rows."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"trackerbot-demo/kitsu/{kind}/{name}"))


# (first, last, email, role, password, is_bot)
_PEOPLE = [
    ("Alice", "Moreau", "alice@example.com", "user", "alice-demo-1", False),
    ("Bruno", "Silva", "bruno@example.com", "user", "bruno-demo-1", False),
    ("Chen", "Wei", "chen@example.com", "supervisor", "chen-demo-1", False),
    ("Dana", "Okafor", DEMO_EMAIL, "manager", DEMO_PASSWORD, False),
    ("Eli", "Haddad", "eli@example.com", "admin", "eli-demo-1", False),
    ("Trackerbot", "", BOT_EMAIL, "manager", "", True),
]
# (name, code, production type, status, start offset, end offset)
_PRODUCTIONS = [
    ("Moonrise", "MNR", "feature", "Open", -120, 200),
    ("Tidepool", "TDP", "short", "Open", -30, 60),
    ("Paper Lanterns", "PPL", "short", "Closed", -400, -200),
]
_ASSET_TYPES = ["Character", "Prop", "Environment", "Vehicle"]
_TASK_TYPES = ["Concept", "Modeling", "Rigging", "Shading"]
# (name, short name, is_done, is_wip, is_retake, is_feedback_request, color)
_TASK_STATUSES = [
    ("Todo", "todo", False, False, False, False, "#f5f5f5"),
    ("Work In Progress", "wip", False, True, False, False, "#3273dc"),
    ("Waiting For Approval", "wfa", False, False, False, True, "#ab26ff"),
    ("Retake", "retake", False, False, True, False, "#ff3860"),
    ("Done", "done", True, False, False, False, "#22d160"),
]
# (production, asset type, name, description, canceled)
_ASSETS = [
    ("Moonrise", "Character", "Luna", "Lead character, a girl who keeps the lighthouse on the moon.", False),
    ("Moonrise", "Character", "Captain Orrin", "Luna's grumpy mentor & ferry pilot.", False),
    ("Moonrise", "Character", "Moth Swarm", "Crowd of glowing moths (cut from the script).", True),
    ("Moonrise", "Vehicle", "Lunar Rover", "Six-wheeled rover with a cargo bed.", False),
    ("Moonrise", "Environment", "Moon Base", "Main set: domes, antennas, greenhouse.", False),
    ("Moonrise", "Environment", "Crater Field", "", False),
    ("Moonrise", "Prop", "Oxygen Tank", "Dented, hand-painted.", False),
    ("Moonrise", "Prop", "Star Map", "Folding paper map of the constellations.", False),
    ("Tidepool", "Character", "Pip the Crab", "Hero of the short.", False),
    ("Tidepool", "Environment", "Old Lighthouse", "", False),
    ("Tidepool", "Vehicle", "Rowboat", "", False),
    ("Tidepool", "Prop", "Fishing Net", "", False),
    ("Paper Lanterns", "Character", "Lantern Seller", "", False),
]
# (asset, task type, status short name, due in days or None, assignee emails)
_TASKS = [
    ("Luna", "Concept", "done", -20, ["chen@example.com"]),
    ("Luna", "Modeling", "wip", -3, ["alice@example.com"]),
    ("Luna", "Rigging", "todo", 5, ["bruno@example.com"]),
    ("Luna", "Shading", "todo", 12, ["alice@example.com"]),
    ("Captain Orrin", "Modeling", "wfa", -1, ["bruno@example.com"]),
    ("Captain Orrin", "Rigging", "todo", 8, ["bruno@example.com"]),
    ("Lunar Rover", "Modeling", "retake", -6, ["alice@example.com", "bruno@example.com"]),
    ("Lunar Rover", "Shading", "todo", 2, ["chen@example.com"]),
    ("Moon Base", "Modeling", "wip", 1, ["chen@example.com"]),
    ("Crater Field", "Modeling", "todo", None, []),
    ("Oxygen Tank", "Modeling", "done", -9, ["alice@example.com"]),
    ("Star Map", "Concept", "wip", 0, [DEMO_EMAIL]),
    ("Pip the Crab", "Concept", "done", -15, ["chen@example.com"]),
    ("Pip the Crab", "Modeling", "wip", -2, ["alice@example.com"]),
    ("Pip the Crab", "Rigging", "todo", 3, ["bruno@example.com"]),
    ("Old Lighthouse", "Modeling", "wfa", 4, ["chen@example.com"]),
    ("Old Lighthouse", "Shading", "todo", 10, []),
    ("Rowboat", "Modeling", "todo", -4, ["bruno@example.com"]),
    ("Fishing Net", "Modeling", "retake", 1, ["alice@example.com"]),
    ("Lantern Seller", "Modeling", "todo", -100, ["alice@example.com"]),
]


def _dataset(today: date) -> dict[str, list[dict[str, Any]]]:
    """Zou-shaped rows for the demo studio, dated around `today`."""
    made = f"{(today - timedelta(days=150)).isoformat()}T09:30:00"
    common = {"created_at": made, "updated_at": made}
    persons = [
        {
            "id": _id("person", email),
            "type": "Person",
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}".strip(),
            "email": email,
            "role": role,
            "active": True,
            "is_bot": is_bot,
            "desktop_login": "",
            "phone": "",
            "timezone": "Europe/Paris",
            "locale": "en_US",
            "has_avatar": False,
            "notifications_slack_enabled": False,
            "notifications_slack_userid": "",
            **common,
        }
        for first, last, email, role, _password, is_bot in _PEOPLE
    ]
    project_statuses = [
        {"id": _id("project-status", name), "name": name, "color": "#000000", "type": "ProjectStatus", **common}
        for name in ("Open", "Closed")
    ]
    asset_types: list[dict[str, Any]] = [
        {
            "id": _id("asset-type", name),
            "name": name,
            "short_name": None,
            "description": None,
            "task_types": [],
            "archived": False,
            "type": "AssetType",
            **common,
        }
        for name in _ASSET_TYPES
    ]
    task_types = [
        {
            "id": _id("task-type", name),
            "name": name,
            "short_name": name[:3].lower(),
            "color": "#78909C",
            "priority": index,
            "for_entity": "Asset",
            "allow_timelog": True,
            "archived": False,
            "department_id": None,
            "type": "TaskType",
            **common,
        }
        for index, name in enumerate(_TASK_TYPES, start=1)
    ]
    task_statuses = [
        {
            "id": _id("task-status", short),
            "name": name,
            "short_name": short,
            "color": color,
            "is_done": done,
            "is_wip": wip,
            "is_retake": retake,
            "is_feedback_request": feedback,
            "is_default": short == "todo",
            "is_artist_allowed": True,
            "is_client_allowed": False,
            "archived": False,
            "priority": 1,
            "type": "TaskStatus",
            **common,
        }
        for name, short, done, wip, retake, feedback, color in _TASK_STATUSES
    ]
    team = [p["id"] for p in persons]
    projects = [
        {
            "id": _id("project", name),
            "name": name,
            "code": code,
            "description": None,
            "production_type": kind,
            "production_style": "2d3d",
            "fps": "25",
            "ratio": "16:9",
            "resolution": "1920x1080",
            "start_date": (today + timedelta(days=start)).isoformat(),
            "end_date": (today + timedelta(days=end)).isoformat(),
            "man_days": None,
            "has_avatar": False,
            "project_status_id": _id("project-status", status),
            "team": team,
            "asset_types": [t["id"] for t in asset_types],
            "task_types": [t["id"] for t in task_types],
            "type": "Project",
            "data": None,
            **common,
        }
        for name, code, kind, status, start, end in _PRODUCTIONS
    ]
    manager = _id("person", DEMO_EMAIL)
    assets: list[dict[str, Any]] = [
        {
            "id": _id("asset", name),
            "name": name,
            "code": None,
            "description": description or None,
            "canceled": canceled,
            "status": "running",
            "project_id": _id("project", production),
            "entity_type_id": _id("asset-type", kind),
            "parent_id": None,
            "source_id": None,
            "preview_file_id": None,
            "data": {},
            "is_shared": False,
            "ready_for": None,
            "created_by": manager,
            "type": "Asset",
            **common,
        }
        for production, kind, name, description, canceled in _ASSETS
    ]
    project_of = {a["name"]: a["project_id"] for a in assets}
    tasks = [
        {
            "id": _id("task", f"{asset}/{kind}"),
            "name": "main",
            "description": None,
            "priority": 0,
            "difficulty": 3,
            "duration": 0.0,
            "estimation": 0.0,
            "completion_rate": 0,
            "retake_count": 0,
            "start_date": None,
            "end_date": None,
            "real_start_date": None,
            "done_date": None,
            "due_date": None if due is None else f"{(today + timedelta(days=due)).isoformat()}T00:00:00",
            "last_comment_date": None,
            "project_id": project_of[asset],
            "task_type_id": _id("task-type", kind),
            "task_status_id": _id("task-status", status),
            "entity_id": _id("asset", asset),
            "assigner_id": manager,
            "assignees": [_id("person", email) for email in assignees],
            "type": "Task",
            **common,
        }
        for asset, kind, status, due, assignees in _TASKS
    ]
    return {
        "persons": persons,
        "project_statuses": project_statuses,
        "asset_types": asset_types,
        "task_types": task_types,
        "task_statuses": task_statuses,
        "projects": projects,
        "assets": assets,
        "tasks": tasks,
        "comments": [],
    }


@dataclass
class KitsuState:
    """The demo studio's data, Zou's token rules, and what the server received."""

    secret: str = "trackerbot-demo-kitsu-signing-key-change-nothing"
    access_seconds: float = 7 * 24 * 3600.0  # Zou's defaults: 7 days ...
    refresh_seconds: float = 15 * 24 * 3600.0  # ... and 15 days
    faults: Faults = field(default_factory=Faults)
    clock: Callable[[], float] = time.time  # the server's clock: move it to expire tokens
    today: date = field(default_factory=date.today)
    passwords: dict[str, str] = field(
        default_factory=lambda: {email: pw for _f, _l, email, _r, pw, is_bot in _PEOPLE if not is_bot}
    )
    received: list[str] = field(default_factory=list)  # "GET /data/tasks?project_id=..."
    logins: int = 0
    failed_logins: int = 0
    refreshes: int = 0
    comments_down: bool = False  # answer 503 to every new comment (an outage of the comment route alone)
    data: dict[str, list[dict[str, Any]]] = field(init=False)
    bot_token: str = field(init=False)  # the never-expiring token of the Trackerbot bot account
    _bot_jti: str = field(init=False)
    _failures: dict[str, int] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = _dataset(self.today)
        self._bot_jti = str(uuid.uuid4())
        self.bot_token = self._sign(
            {"type": "access", "identity_type": "bot", "sub": _id("person", BOT_EMAIL), "jti": self._bot_jti}
        )

    def person_by_email(self, email: str) -> dict[str, Any] | None:
        return next((p for p in self.data["persons"] if p["email"] == email), None)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def _claims(self, kind: str, person_id: str, seconds: float, **extra: Any) -> dict[str, Any]:
        now = self.clock()
        return {
            "fresh": False,
            "iat": int(now),
            "nbf": int(now),
            "jti": str(uuid.uuid4()),
            "type": kind,
            "sub": person_id,
            "exp": round(now + seconds, 3),
            "identity_type": "person",
            **extra,
        }

    def issue(self, person_id: str) -> tuple[str, str]:
        """A new access and refresh token pair, as Zou's login gives."""
        refresh = self._claims("refresh", person_id, self.refresh_seconds)
        return self.access_token(person_id, refresh["jti"]), self._sign(refresh)

    def access_token(self, person_id: str, refresh_jti: str) -> str:
        return self._sign(self._claims("access", person_id, self.access_seconds, refresh_jti=refresh_jti))

    def revoke_bot_token(self) -> None:
        """What an admin setting a new expiration date does: the old bot token stops working."""
        self._bot_jti = str(uuid.uuid4())

    def check_login(self, email: str, password: str) -> JSONResponse | dict[str, Any]:
        """The person logging in, or Zou's refusal (wrong password, lockout)."""
        now = self.clock()
        if self._locked_until.get(email, 0.0) > now:
            return JSONResponse(
                {
                    "error": True,
                    "login": False,
                    "too_many_failed_login_attemps": True,
                    "message": "Too many failed login attempts, retry in a minute.",
                },
                status_code=400,
            )
        person = self.person_by_email(email)
        if person is None or not password or self.passwords.get(email) != password:
            self.failed_logins += 1
            if person is not None:
                failures = self._failures.get(email, 0) + 1
                self._failures[email] = failures
                if failures >= MAX_FAILED_LOGINS:
                    self._locked_until[email] = now + LOCKOUT_SECONDS
                    self._failures[email] = 0
            return JSONResponse({"login": False, "message": "Wrong email or password."}, status_code=400)
        self._failures.pop(email, None)
        self.logins += 1
        return person

    def identify(self, request: Request, kind: str) -> JSONResponse | dict[str, Any]:
        """The claims of the request's Bearer token of `kind`, or Zou's refusal of it."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return JSONResponse({"msg": _MISSING_JWT}, status_code=401)
        try:
            claims = jwt.decode(
                header.removeprefix("Bearer ").strip(),
                self.secret,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:  # flask-jwt-extended answers these with 422 and PyJWT's text
            return JSONResponse({"msg": str(exc)}, status_code=422)
        if claims.get("type") != kind:
            wrong = "Only non-refresh tokens are allowed" if kind == "access" else "Only refresh tokens are allowed"
            return JSONResponse({"msg": wrong}, status_code=422)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp <= self.clock():
            return JSONResponse({"error": True, "message": "Signature has expired"}, status_code=401)
        if claims.get("identity_type") == "bot" and claims.get("jti") != self._bot_jti:
            return JSONResponse({"msg": "Token has been revoked"}, status_code=401)
        if not any(p["id"] == claims.get("sub") and p["active"] for p in self.data["persons"]):
            return JSONResponse({"msg": "Error loading the user"}, status_code=401)
        return claims


class _Knobs:
    """Record every request, wait the knob's latency, answer an injected failure first."""

    def __init__(self, app: ASGIApp, state: KitsuState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        self.state.received.append(f"{scope['method']} {scope['path']}" + (f"?{query}" if query else ""))
        await self.state.faults.delay()
        if (status := self.state.faults.injected()) is not None:
            await JSONResponse({"error": True, "message": f"Injected failure {status}"}, status_code=status)(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


def _ilike(pattern: str) -> re.Pattern[str]:
    """SQL ILIKE as a regex: % any run, _ one character, backslash escapes."""
    parts, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        else:
            parts.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _filtered(rows: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    """Zou's crud filters: `name` as ILIKE, other columns by equality, unknown names ignored."""
    columns = set().union(*(row.keys() for row in rows)) if rows else set()
    for key, value in params.items():
        if key == "name":
            name = _ilike(value)
            rows = [row for row in rows if name.fullmatch(row.get("name") or "")]
        elif key in columns and key not in ("relations", "page", "fields"):
            rows = [row for row in rows if _text(row.get(key)) == value]
    return rows


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def create_app(state: KitsuState | None = None) -> Starlette:
    """The demo Zou as a Starlette app; its `KitsuState` is at `app.state.kitsu`."""
    state = state or KitsuState()
    routes = [*_auth_routes(state), *_data_routes(state), *_task_routes(state)]
    app = Starlette(routes=routes, middleware=[Middleware(_Knobs, state=state)])
    app.state.kitsu = state
    return app


def _auth_routes(state: KitsuState) -> list[Route]:
    """Zou's index, login, token refresh and "who am I"."""

    async def index(_request: Request) -> JSONResponse:
        return JSONResponse({"api": "Zou", "version": "1.0.97-demo"})

    async def login(request: Request) -> JSONResponse:
        try:
            is_json = "json" in request.headers.get("content-type", "")
            body = await request.json() if is_json else dict(await request.form())
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        person = state.check_login(str(body.get("email") or "").strip().lower(), str(body.get("password") or ""))
        if isinstance(person, JSONResponse):
            return person
        access, refresh = state.issue(person["id"])
        return JSONResponse(
            {
                "user": person,
                "organisation": {"name": "Lunar Lantern Studio", "type": "Organisation"},
                "login": True,
                "access_token": access,
                "refresh_token": refresh,
            }
        )

    async def refresh_token(request: Request) -> JSONResponse:
        claims = state.identify(request, "refresh")
        if isinstance(claims, JSONResponse):
            return claims
        state.refreshes += 1
        return JSONResponse({"access_token": state.access_token(claims["sub"], claims["jti"])})

    async def authenticated(request: Request) -> JSONResponse:
        claims = state.identify(request, "access")
        if isinstance(claims, JSONResponse):
            return claims
        person = next(p for p in state.data["persons"] if p["id"] == claims["sub"])
        return JSONResponse({"authenticated": True, "user": person})

    return [
        Route("/", index),
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/refresh-token", refresh_token),
        Route("/auth/authenticated", authenticated),
    ]


def _data_routes(state: KitsuState) -> list[Route]:
    """Zou's `/data` lists (filtered by the query, as Zou does) and one project."""

    def listing(rows: Callable[[], list[dict[str, Any]]]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            claims = state.identify(request, "access")
            if isinstance(claims, JSONResponse):
                return claims
            params = dict(request.query_params)
            found = _filtered(rows(), params)
            if params.get("relations") != "true":  # Zou adds relations (assignees) only when asked
                found = [{k: v for k, v in row.items() if k != "assignees"} for row in found]
            caller = next((p for p in state.data["persons"] if p["id"] == claims.get("sub")), None)
            if (caller or {}).get("role") != "admin":  # Zou shows people's emails to admins only
                found = [{k: v for k, v in row.items() if k != "email" or row.get("type") != "Person"} for row in found]
            return JSONResponse(found)

        return endpoint

    async def project(request: Request) -> JSONResponse:
        claims = state.identify(request, "access")
        if isinstance(claims, JSONResponse):
            return claims
        wanted = request.path_params["project_id"]
        if not _UUID.fullmatch(wanted):
            return JSONResponse({"error": True, "message": "Malformed ID.", "data": None}, status_code=400)
        row = next((p for p in state.data["projects"] if p["id"] == wanted), None)
        if row is None:
            return JSONResponse({"error": True, "message": "404 Not Found: Project not found"}, status_code=404)
        return JSONResponse(row)

    data = state.data
    open_status = _id("project-status", "Open")
    return [
        Route("/data/projects", listing(lambda: data["projects"])),
        Route("/data/projects/all", listing(lambda: data["projects"])),
        Route(
            "/data/projects/open",
            listing(lambda: [p for p in data["projects"] if p["project_status_id"] == open_status]),
        ),
        Route("/data/projects/{project_id}", project),
        Route("/data/project-status", listing(lambda: data["project_statuses"])),
        Route("/data/asset-types", listing(lambda: data["asset_types"])),
        Route("/data/assets", listing(lambda: data["assets"])),
        Route("/data/assets/all", listing(lambda: data["assets"])),
        Route("/data/entities", listing(lambda: data["assets"])),
        Route("/data/tasks", listing(lambda: data["tasks"])),
        Route("/data/task-types", listing(lambda: data["task_types"])),
        Route("/data/task-status", listing(lambda: data["task_statuses"])),
        Route("/data/persons", listing(lambda: data["persons"])),
    ]


def _task_routes(state: KitsuState) -> list[Route]:
    """One task, its comments, and commenting on it."""

    def one_task(request: Request) -> tuple[dict[str, Any], dict[str, Any]] | JSONResponse:
        """The caller's claims and the task the path names, for a caller with an access token;
        else Zou's refusal."""
        claims = state.identify(request, "access")
        if isinstance(claims, JSONResponse):
            return claims
        wanted = request.path_params["task_id"]
        if not _UUID.fullmatch(wanted):
            return JSONResponse({"error": True, "message": "Malformed ID.", "data": None}, status_code=400)
        row = next((t for t in state.data["tasks"] if t["id"] == wanted), None)
        if row is None:
            return JSONResponse({"error": True, "message": "404 Not Found: Task not found"}, status_code=404)
        return claims, row

    async def task(request: Request) -> JSONResponse:
        found = one_task(request)
        return found if isinstance(found, JSONResponse) else JSONResponse(found[1])

    async def task_comments(request: Request) -> JSONResponse:
        found = one_task(request)
        if isinstance(found, JSONResponse):
            return found
        comments = [c for c in state.data["comments"] if c["object_id"] == found[1]["id"]]
        return JSONResponse(sorted(comments, key=lambda c: c["created_at"], reverse=True))

    async def comment_task(request: Request) -> JSONResponse:
        """CommentTaskResource.post: the comment moves the task to its status; `person_id` is
        kept only when the caller is an admin or a manager (otherwise the caller is the author)."""
        found = one_task(request)
        if isinstance(found, JSONResponse):
            return found
        if state.comments_down:
            return JSONResponse({"error": True, "message": "Service Unavailable"}, status_code=503)
        try:
            body = await request.json()
        except ValueError:
            body = None
        claims, row = found
        return _comment(state, row, claims, body if isinstance(body, dict) else {})

    return [
        Route("/data/tasks/{task_id}", task),
        Route("/data/tasks/{task_id}/comments", task_comments),
        Route("/actions/tasks/{task_id}/comment", comment_task, methods=["POST"]),
    ]


def _comment(state: KitsuState, found: dict[str, Any], claims: dict[str, Any], body: dict[str, Any]) -> JSONResponse:
    """A comment posted on the task `found` by the caller of `claims` (checked already)."""
    status_id = body.get("task_status_id")
    if not status_id:
        return JSONResponse({"message": {"task_status_id": "Task Status ID is missing"}}, status_code=400)
    if not any(s["id"] == status_id for s in state.data["task_statuses"]):
        return JSONResponse({"error": True, "message": "404 Not Found: Task status not found"}, status_code=404)
    caller = next(p for p in state.data["persons"] if p["id"] == claims["sub"])
    author: dict[str, Any] | None = caller
    if caller["role"] in ("admin", "manager") and body.get("person_id"):
        author = next((p for p in state.data["persons"] if p["id"] == body["person_id"]), None)
    if author is None:
        return JSONResponse({"error": True, "message": "404 Not Found: Person not found"}, status_code=404)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    comment = {
        "id": str(uuid.uuid4()),
        "object_id": found["id"],
        "object_type": "Task",
        "text": str(body.get("comment") or ""),
        "task_status_id": status_id,
        "person_id": author["id"],
        "created_at": now,
        "updated_at": now,
        "type": "Comment",
    }
    state.data["comments"].append(comment)
    found["task_status_id"] = status_id
    found["last_comment_date"] = now
    status = next(s for s in state.data["task_statuses"] if s["id"] == status_id)
    return JSONResponse({**comment, "task_status": status, "person": author}, status_code=201)


def demo() -> DemoTracker:
    """The console's Kitsu (bot/console/demo_trackers.py): Zou's routes at the root (a real
    Kitsu has them under /api)."""
    state = KitsuState()
    return DemoTracker(
        state,
        create_app(state),
        {
            "KITSU_URL": "http://kitsu.demo",
            "KITSU_EMAIL": DEMO_EMAIL,
            "KITSU_PASSWORD": SecretStr(DEMO_PASSWORD),
            "KITSU_TOKEN": None,
        },
    )
