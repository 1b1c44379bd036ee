"""Projectrak contract server: the documented JWT exchange and the assumed project routes.

`POST /api-keys/jwt` checks the API key ID and key and answers a real HS256 JWT with the
documented `created`/`expired` stamps; every other route wants that JWT, unexpired and signed
with the current secret (`rotate_secret()` revokes every issued token). The data is a small
studio's Jira projects with their Projectrak values, dated relative to the day the state is made.
"""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.demo.knobs import DemoKnobs, DemoTracker, Endpoint, bearer_token, error, instrumented, json_body

# --- Projectrak data -------------------------------------------------------------------------


@dataclass
class DemoField:
    id: str
    name: str
    type: str  # Projectrak's type names are an assumption


@dataclass
class DemoProject:
    id: str
    key: str
    name: str
    values: dict[str, Any]  # by field id; None is an empty field


def demo_fields() -> list[DemoField]:
    names = (
        ("Status", "STATUS"),
        ("Progress", "PROGRESS"),
        ("Start date", "DATE"),
        ("Due date", "DATE"),
        ("Budget", "CURRENCY"),
        ("Actual cost", "CURRENCY"),
        ("Estimated hours", "NUMBER"),
        ("Logged hours", "NUMBER"),
        ("Health", "SELECT"),
        ("Owner", "USER"),
    )
    return [DemoField(id=str(20001 + i), name=name, type=kind) for i, (name, kind) in enumerate(names)]


def _person(name: str) -> dict[str, str]:
    return {"accountId": uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:24], "displayName": name}


def _health(name: str) -> dict[str, str]:
    return {"id": {"On track": "1", "At risk": "2", "Off track": "3"}[name], "value": name}


# key, name, status, progress %, start and due (days from today), budget, actual cost, estimated
# hours, logged hours, health, owner
ProjectRow = tuple[str, str, str, int, int, int, float | None, float | None, float, float, str, str]
_PROJECTS: tuple[ProjectRow, ...] = (
    ("WEB", "Website relaunch", "In progress", 65, -90, 30, 48000, 29500, 900, 560, "On track", "Alice Martin"),
    # Behind schedule: two thirds of its time gone, a fifth of the work done, health not updated.
    ("MOB", "Mobile app 2.0", "In progress", 20, -60, 10, 65000, 21000, 1200, 310, "On track", "Bruno Silva"),
    ("OPS", "Render farm upgrade", "In progress", 40, -30, 45, 120000, 86000, 400, 150, "At risk", "Chloé Dubois"),
    (
        "DATA",
        "Data warehouse migration",
        "In progress",
        85,
        -120,
        -5,
        30000,
        33500,
        700,
        760,
        "Off track",
        "David Okafor",
    ),
    ("MKT", "Spring campaign", "Done", 100, -75, -14, 15000, 14200, 320, 335, "On track", "Emma Rossi"),
    ("LEGAL", "Contract templates review", "To do", 0, 7, 60, None, None, 80, 0, "On track", "Farid Haddad"),
)


def _filler(n: int) -> ProjectRow:
    """Project P007, P008, … for benchmarks: plausible values, varied but deterministic."""
    start = -(n % 120)
    return (
        f"P{n:03d}",
        f"Client project {n:03d}",
        ("In progress", "In progress", "To do", "Done", "On hold")[n % 5],
        (n * 7) % 101,
        start,
        start + 30 + n % 150,
        10000 + 500 * (n % 40),
        400 * (n % 50),
        100 + n % 300,
        n % 250,
        ("On track", "At risk", "Off track")[n % 3],
        _PROJECTS[n % len(_PROJECTS)][-1],
    )


def _values(row: ProjectRow, today: date) -> dict[str, Any]:
    """A row as Projectrak values by field name (dates as ISO days, health an option, owner a user)."""
    _key, _name, status, progress, start, due, budget, cost, hours, logged, health, owner = row
    return {
        "Status": status,
        "Progress": progress,
        "Start date": (today + timedelta(days=start)).isoformat(),
        "Due date": (today + timedelta(days=due)).isoformat(),
        "Budget": budget,
        "Actual cost": cost,
        "Estimated hours": hours,
        "Logged hours": logged,
        "Health": _health(health),
        "Owner": _person(owner),
    }


@dataclass
class ProjectrakState(DemoKnobs):
    key_id: str = "ptk-demo-key-id"
    api_key: str = "ptk-demo-api-key"
    token_seconds: float = 57600.0  # 16 h, as in the documented example
    refuse_tokens: bool = False  # answer 401 to every bearer token, however fresh
    site_url: str = "https://northwind-studio.atlassian.net"
    client_key: str = "fabf8b45-e66c-3fa5-832b-684631f2d003"
    account_id: str = "60f02aedf85746438494e822af"
    project_count: int | None = None  # None: the six demo projects; N: N projects, filler after the six
    fields: list[DemoField] = field(default_factory=demo_fields)
    projects: dict[str, DemoProject] = field(default_factory=dict)  # by Jira key
    mints: int = 0
    secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    def __post_init__(self) -> None:
        if self.projects:
            return
        today = date.today()
        count = len(_PROJECTS) if self.project_count is None else self.project_count
        rows = [*_PROJECTS, *(_filler(n) for n in range(len(_PROJECTS) + 1, count + 1))][:count]
        ids = {f.name: f.id for f in self.fields}
        for number, row in enumerate(rows):
            key, name = row[0], row[1]
            values = {ids[field_name]: value for field_name, value in _values(row, today).items()}
            self.projects[key] = DemoProject(id=str(10000 + number), key=key, name=name, values=values)

    def rotate_secret(self) -> None:
        """Revoke every token issued so far (they no longer verify)."""
        self.secret = secrets.token_hex(32)

    def rename_field(self, old: str, new: str) -> None:
        """Name a field as another tenant might (e.g. "Progress" -> "% Complete")."""
        next(f for f in self.fields if f.name == old).name = new


def _stamp(moment: datetime) -> str:
    """Projectrak's documented stamp: 2022-02-18T02:22:15.121+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def create_app(state: ProjectrakState | None = None) -> Starlette:
    state = state or ProjectrakState()

    async def mint(request: Request) -> Response:
        body = await json_body(request)
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("name", "password")):
            return error(400, "name and password are required")
        if not (
            secrets.compare_digest(body["name"].encode(), state.key_id.encode())
            and secrets.compare_digest(body["password"].encode(), state.api_key.encode())
        ):
            return error(401, "Invalid API key")
        created = datetime.now(UTC)
        expired = created + timedelta(seconds=state.token_seconds)  # the JWT's whole-second exp is just after
        claims = {
            "iss": "profields-cloud",
            "sub": state.account_id,
            "clientKey": state.client_key,
            "jti": uuid.uuid4().hex,
            "iat": int(created.timestamp()),
            "exp": math.ceil(expired.timestamp()),
        }
        state.mints += 1
        return JSONResponse(
            {
                "jwt": jwt.encode(claims, state.secret, algorithm="HS256"),
                "baseUrl": state.site_url,
                "clientKey": state.client_key,
                "accountId": state.account_id,
                "created": _stamp(created),
                "expired": _stamp(expired),
            }
        )

    def authorized(endpoint: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            token = bearer_token(request)
            if token is None or state.refuse_tokens:
                return error(401, "Unauthorized")
            try:
                jwt.decode(token, state.secret, algorithms=["HS256"], options={"require": ["exp"]})
            except jwt.PyJWTError:
                return error(401, "Unauthorized")
            return await endpoint(request)

        return instrumented(state, run)

    async def list_fields(_request: Request) -> Response:
        return JSONResponse([{"id": f.id, "name": f.name, "type": f.type} for f in state.fields])

    async def list_projects(_request: Request) -> Response:
        return JSONResponse([{"id": p.id, "key": p.key, "name": p.name} for p in state.projects.values()])

    async def project_values(request: Request) -> Response:
        project = state.projects.get(request.path_params["key"])
        if project is None:
            return error(404, "Project not found")
        return JSONResponse(
            [
                {"fieldId": f.id, "fieldName": f.name, "type": f.type, "value": project.values.get(f.id)}
                for f in state.fields
            ]
        )

    return Starlette(
        routes=[
            Route("/api-keys/jwt", instrumented(state, mint), methods=["POST"]),
            Route("/fields", authorized(list_fields), methods=["GET"]),
            Route("/projects", authorized(list_projects), methods=["GET"]),
            Route("/projects/{key}/values", authorized(project_values), methods=["GET"]),
        ]
    )


def demo() -> DemoTracker:
    """The console's Projectrak (bot/console/demo_trackers.py)."""
    state = ProjectrakState()
    return DemoTracker(
        state,
        create_app(state),
        {
            "PROJECTRAK_URL": "http://projectrak.demo",
            "PROJECTRAK_API_KEY_ID": state.key_id,
            "PROJECTRAK_API_KEY": SecretStr(state.api_key),
        },
    )
