"""AIP (Assets & Inventory Plugin) contract server: the assumed search and get-by-key routes.

Every route wants `Authorization: Bearer <the API token>`; a wrong token, or the right one once
its JWT `exp` has passed, gets 401 (the bot cannot renew it: admins make a new one in the UI,
here `new_token()`). Search pages with a 0-based `startAt` and `maxResult` (default 10, at most
50) and matches key, name and attribute values, case-insensitively. The data is a small studio's
laptops, monitors, licences and vehicles.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.demo.knobs import DemoKnobs, DemoTracker, Endpoint, bearer_token, error, instrumented
from bot.trackers.tokens import jwt_expiry

DEFAULT_PAGE = 10
MAX_PAGE = 50

# (collection id, key, name, status, assignee, location, serial or registration, age in days);
# collections: 1 Laptops, 2 Monitors, 3 Licences, 4 Vehicles.
_INVENTORY: tuple[tuple[int, str, str, str, str | None, str, str, int], ...] = (
    (1, "LAPTOP-0031", "MacBook Pro 16 (Bruno)", "In use", "Bruno Silva", "Paris studio", "C02GH1ZXQ05N", 410),
    (1, "LAPTOP-0032", "MacBook Pro 14 (Chloé)", "In use", "Chloé Dubois", "Paris studio", "C02GJ2ALMD6M", 395),
    (1, "LAPTOP-0033", "Dell XPS 15 (David)", "In use", "David Okafor", "Lyon office", "8HZQ7K3", 620),
    (1, "LAPTOP-0034", "ThinkPad X1 Carbon (Emma)", "In use", "Emma Rossi", "Remote", "PF3A9XKD", 300),
    (1, "LAPTOP-0035", "ThinkPad T14s (Farid)", "In use", "Farid Haddad", "Lyon office", "PF3B1LQE", 280),
    (1, "LAPTOP-0036", "MacBook Air 13 (Grace)", "In use", "Grace Kim", "Paris studio", "FVFHK0Q2Q6L4", 150),
    (1, "LAPTOP-0037", "Razer Blade 16 (render tests)", "In repair", None, "IT workshop", "BY2340M19204", 510),
    (1, "LAPTOP-0038", "MacBook Pro 14 (spare)", "In stock", None, "IT storeroom", "C02HQ3BNMD6R", 90),
    (1, "LAPTOP-0039", "Dell Latitude 7440 (Hugo)", "In use", "Hugo Laurent", "Remote", "3MXR4T3", 200),
    (1, "LAPTOP-0040", "ThinkPad P16 (Inès)", "In use", "Inès Moreau", "Paris studio", "PF4C2MZA", 60),
    (1, "LAPTOP-0041", "MacBook Pro 16 (Jonas)", "In use", "Jonas Weber", "Lyon office", "C02JR4CPMD6T", 45),
    (1, "LAPTOP-0042", "MacBook Pro 14 (Alice)", "In use", "Alice Martin", "Paris studio", "C02FK3XYMD6R", 700),
    (2, "MON-0101", "Dell UltraSharp U2723QE", "In use", "Alice Martin", "Paris studio", "CN0G9W2F", 700),
    (2, "MON-0102", "EIZO ColorEdge CG2700X (grading)", "In use", "Chloé Dubois", "Paris studio", "25093041", 380),
    (2, "MON-0103", "EIZO ColorEdge CG2700X (spare)", "In stock", None, "IT storeroom", "25093042", 380),
    (2, "MON-0104", "LG UltraFine 5K", "In use", "Bruno Silva", "Paris studio", "912NTLE4K", 800),
    (2, "MON-0105", "Dell P2723DE", "In use", "David Okafor", "Lyon office", "CN0F7K1A", 540),
    (2, "MON-0106", "BenQ SW272U", "In use", "Inès Moreau", "Paris studio", "ET9AN03411", 75),
    (2, "MON-0107", "Dell P2723DE", "Retired", None, "IT storeroom", "CN0F7K1B", 1500),
    (3, "LIC-0201", "Adobe Creative Cloud for teams (10 seats)", "Active", "Design team", "Cloud", "VLA-4471-CC", 200),
    (3, "LIC-0202", "Autodesk Maya (5 seats)", "Active", "3D team", "Cloud", "AD-562-MAYA", 320),
    (3, "LIC-0203", "Foundry Nuke Studio (2 seats)", "Active", "Compositing", "Licence server", "FN-2208-NKS", 150),
    (3, "LIC-0204", "SideFX Houdini FX (3 seats)", "Expiring", "FX team", "Licence server", "SFX-9931-HFX", 350),
    (3, "LIC-0205", "JetBrains All Products Pack (4 seats)", "Active", "Dev team", "Cloud", "JB-1187-ALL", 100),
    (3, "LIC-0206", "Microsoft 365 Business Standard (40 seats)", "Active", "Everyone", "Cloud", "MS-5530-365", 250),
    (4, "VEH-0301", "Renault Master (camera van)", "In use", "Location crew", "Paris car park", "GF-482-KX", 900),
    (4, "VEH-0302", "Toyota Corolla Hybrid (pool car)", "In use", "Pool", "Paris car park", "GH-115-PL", 430),
    (4, "VEH-0303", "Peugeot e-208 (pool car)", "In service", "Pool", "Garage Dupont", "GJ-903-TR", 260),
    (4, "VEH-0304", "Ford Transit Custom (grip truck)", "In use", "Location crew", "Lyon office", "FZ-771-BD", 1300),
    (4, "VEH-0305", "Kia Niro EV (pool car)", "In use", "Pool", "Lyon office", "GK-220-MN", 120),
)


def _row(number: int, item: tuple[int, str, str, str, str | None, str, str, int], today: date) -> dict[str, Any]:
    collection, key, name, status, assignee, location, serial, age = item
    bought = today - timedelta(days=age)
    serial_name = {4: "Registration", 3: "Agreement number"}.get(collection, "Serial number")
    attributes = [
        {"name": serial_name, "value": serial},
        {"name": "Assignee", "value": assignee},
        {"name": "Location", "value": location},
        {"name": "Purchase date", "value": bought.isoformat()},
        {
            "name": "Renewal date" if collection == 3 else "Warranty until",
            "value": (bought + timedelta(days=365 if collection == 3 else 3 * 365)).isoformat(),
        },
    ]
    created = datetime.combine(bought, datetime.min.time(), UTC) + timedelta(hours=9, minutes=number)
    return {
        "asset": {"id": 5000 + number, "key": key, "name": name, "collectionId": collection, "status": status},
        "attributes": attributes,
        "globalAttributes": {
            "Cost centre": "Production" if collection in (2, 4) else "Studio",
            "Company": "Northwind Studio",
        },
        "attachments": number % 3,
        "createdBy": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Farid Haddad"},
        "createdAt": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def demo_assets() -> list[dict[str, Any]]:
    today = date.today()
    return [_row(number, item, today) for number, item in enumerate(_INVENTORY, start=1)]


@dataclass
class AipState(DemoKnobs):
    token: str = ""  # the API token the bot holds; "" makes one that expires in 90 days
    assets: list[dict[str, Any]] = field(default_factory=demo_assets)
    secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    def __post_init__(self) -> None:
        if not self.token:
            self.new_token(timedelta(days=90))

    def new_token(self, expires_in: timedelta | None) -> str:
        """What an admin does in AIP › Settings › API Token: a new JWT (None: never expires);
        the previous token stops working."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {"sub": "trackerbot", "scope": "read", "iat": int(now.timestamp())}
        if expires_in is not None:
            claims["exp"] = int((now + expires_in).timestamp())
        self.token = jwt.encode(claims, self.secret, algorithm="HS256")
        return self.token


def _matches(row: dict[str, Any], needle: str) -> bool:
    asset = row["asset"]
    texts = [asset["key"], asset["name"], *(str(a["value"]) for a in row["attributes"] if a["value"] is not None)]
    return any(needle in text.casefold() for text in texts)


def _integer(params: dict[str, str], name: str, default: int, lowest: int) -> int | None:
    try:
        value = int(params.get(name, default))
    except ValueError:
        return None
    return value if value >= lowest else None


def create_app(state: AipState | None = None) -> Starlette:
    state = state or AipState()

    def authorized(endpoint: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            token = bearer_token(request)
            if token is None or not secrets.compare_digest(token.encode(), state.token.encode()):
                return error(401, "Unauthorized")
            expires = jwt_expiry(token)
            if expires is not None and expires <= time.time():
                return error(401, "Token expired")
            return await endpoint(request)

        return instrumented(state, run)

    async def search(request: Request) -> Response:
        params = dict(request.query_params)
        start_at = _integer(params, "startAt", 0, 0)
        max_result = _integer(params, "maxResult", DEFAULT_PAGE, 1)
        if start_at is None or max_result is None:
            return error(400, "startAt must be 0 or more and maxResult 1 or more")
        max_result = min(max_result, MAX_PAGE)
        needle = params.get("query", "").strip().casefold()
        found = [row for row in state.assets if _matches(row, needle)]
        return JSONResponse(
            {
                "startAt": start_at,
                "maxResult": max_result,
                "total": len(found),
                "values": found[start_at : start_at + max_result],
            }
        )

    async def get_asset(request: Request) -> Response:
        key = request.path_params["key"]
        row = next((r for r in state.assets if r["asset"]["key"] == key), None)
        return error(404, f"Asset {key} not found") if row is None else JSONResponse(row)

    return Starlette(
        routes=[
            Route("/assets/search", authorized(search), methods=["GET"]),
            Route("/assets/{key}", authorized(get_asset), methods=["GET"]),
        ]
    )


def demo() -> DemoTracker:
    """The console's AIP (bot/console/demo_trackers.py)."""
    state = AipState()
    return DemoTracker(state, create_app(state), {"AIP_URL": "http://aip.demo", "AIP_TOKEN": SecretStr(state.token)})
