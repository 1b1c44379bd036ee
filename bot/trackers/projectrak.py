"""Projectrak (Deiser) client: Jira projects and their Projectrak field values.

Auth is documented (docs/trackers.md): an API key ID and key are exchanged for a JWT at
`/api-keys/jwt`, sent as a bearer token, and re-minted when it expires or is refused. The answer
names the JWT's expiry (`expired`) and the Jira site (`baseUrl`), which the bot uses for project
links.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr

from bot.settings import TrackerSettings, secret
from bot.trackers.dto import Dto, Loose, Moment, parse, parse_date, parse_rows
from bot.trackers.errors import AuthenticationRefused, NotFound, Unavailable
from bot.trackers.http_client import NO_AUTH, HttpOptions, TrackerHTTP
from bot.trackers.models import Page, PageKind, ProjectStatus, TrackerName
from bot.trackers.pages import below
from bot.trackers.tokens import BearerAuth, Token, TokenCache, jwt_expiry

log = logging.getLogger(__name__)

# Paths, relative to PROJECTRAK_URL (docs/trackers.md). Documented: MINT_PATH and FIELDS_PATH (the shape
# of /fields is not). ASSUMPTIONS until checked against the live Swagger: PROJECTS_PATH,
# VALUES_PATH, the answers' field names, and Jira's /browse/{KEY} link on the site's baseUrl.
MINT_PATH = "api-keys/jwt"
FIELDS_PATH = "fields"
PROJECTS_PATH = "projects"
VALUES_PATH = "projects/{key}/values"
BROWSE_URL = "{site}/browse/{key}"
# The JWT answer's `expired` is e.g. 2022-02-18T02:22:15.121+0000 (documented).

JIRA_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,9}")
_BROWSE_PATH = re.compile(r"browse/(?P<key>[A-Za-z][A-Za-z0-9_]{1,9})/?")  # BROWSE_URL's path, read back
CLOSED_STATUSES = frozenset({"done", "closed", "completed", "cancelled", "canceled"})


@dataclass(frozen=True)
class ProjectrakField:
    id: str
    name: str
    type: str | None = None


def _unwrap(value: Any) -> Any:
    """An option or user object's display value; anything else unchanged."""
    if isinstance(value, dict):
        for key in ("displayName", "name", "value", "label"):
            if value.get(key) is not None:
                return value[key]
        return None
    return value


def _text(value: Any) -> str | None:
    value = _unwrap(value)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | None:
    value = _unwrap(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = re.search(r"-?\d+(?:\.\d+)?", value.replace(",", "").replace(" ", ""))
        return float(match.group()) if match else None
    return None


def _percent(value: Any) -> float | None:
    """45, "45%", 0.45 and "0.45" all mean 45 %: a decimal number up to 1 is a fraction (the
    integer 1 is 1 %)."""
    raw = _unwrap(value)
    number = _number(raw)
    if number is None:
        return None
    decimal = isinstance(raw, float) or (isinstance(raw, str) and "." in raw and "%" not in raw)
    return max(0.0, min(100.0, number * 100 if decimal and 0 <= number <= 1 else number))


def _date(value: Any) -> date | None:
    unwrapped = _unwrap(value)
    return parse_date(unwrapped) if isinstance(unwrapped, str) else None


# Projectrak fields are named by each tenant; these are the names (case-insensitive) the bot reads
# into each ProjectStatus attribute, with how to read the value. One place: add synonyms here.
VALUE_MAPPING: tuple[tuple[str, Callable[[Any], Any], tuple[str, ...]], ...] = (
    ("status", _text, ("Status", "Project status")),
    ("percent_complete", _percent, ("Progress", "% Complete", "Percent complete")),
    ("open_date", _date, ("Start date",)),
    ("target_date", _date, ("Due date", "Target date", "End date")),
    ("budget_estimated", _number, ("Budget", "Estimated budget")),
    ("budget_actual", _number, ("Actual cost", "Actual budget", "Spent")),
    ("hours_estimated", _number, ("Estimated hours",)),
    ("hours_actual", _number, ("Logged hours", "Actual hours")),
    ("health", _text, ("Health", "Project health")),
    ("owner", _text, ("Owner", "Project manager", "Lead")),
)
_BY_FIELD_NAME = {name.casefold(): (attr, read) for attr, read, names in VALUE_MAPPING for name in names}


# --- Answers (DTOs), by Projectrak's field names -------------------------------------------------
class JwtDTO(Dto):
    """The answer to the API key exchange (documented)."""

    jwt: str = Field(min_length=1)
    base_url: Loose[str] = Field(None, alias="baseUrl")
    expired: Moment = None
    account_id: Any = Field(None, alias="accountId")


class FieldDTO(Dto):
    id: Any = None
    name: Any = None
    type: Loose[str] = None


class ProjectDTO(Dto):
    id: Any = None
    key: Any = None
    name: Any = None


class ValueDTO(Dto):
    """One Projectrak field value of a project: `value` is text, a number or an option object."""

    field_name: Loose[str] = Field(None, alias="fieldName")
    value: Any = None


def project_updates(values: list[ValueDTO]) -> dict[str, Any]:
    """ProjectStatus attributes from a project's Projectrak values (unknown fields are ignored)."""
    updates: dict[str, Any] = {}
    for item in values:
        if item.field_name is None:
            continue
        target = _BY_FIELD_NAME.get(item.field_name.strip().casefold())
        if target is None:
            continue
        attr, read = target
        converted = read(item.value)
        if converted is not None:
            updates.setdefault(attr, converted)
    if "status" in updates:
        updates["is_closed"] = updates["status"].casefold() in CLOSED_STATUSES
    return updates


DEFAULT_URL = "https://profields-cloud.deiser.com"


class ProjectrakSettings(TrackerSettings):
    label = TrackerName.PROJECTRAK.label
    switch = "PROJECTRAK_API_KEY_ID"
    needs = ("PROJECTRAK_API_KEY_ID", "PROJECTRAK_API_KEY")

    PROJECTRAK_URL: str | None = None
    PROJECTRAK_API_KEY_ID: str | None = None
    PROJECTRAK_API_KEY: SecretStr | None = None

    @property
    def site(self) -> str:
        return self.PROJECTRAK_URL or DEFAULT_URL


class ProjectrakClient:
    tracker = TrackerName.PROJECTRAK
    name = TrackerName.PROJECTRAK.label
    lists_statuses = False  # ProjectSource: the list has no values; each project is read
    finds_statuses = False

    @classmethod
    def from_settings(
        cls, settings: ProjectrakSettings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> ProjectrakClient:
        return cls(
            settings.site,
            settings.PROJECTRAK_API_KEY_ID or "",
            secret(settings.PROJECTRAK_API_KEY),
            options=options,
            transport=transport,
        )

    def __init__(
        self,
        url: str,
        key_id: str,
        api_key: str,
        *,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        token_margin: float = 300.0,
    ) -> None:
        self._key_id = key_id
        self._api_key = api_key
        self.site_url: str | None = None  # the Jira site the key belongs to, learnt when minting
        self.tokens = TokenCache(self._mint, tracker=self.name, margin=token_margin)
        self.http = TrackerHTTP(self.name, url, BearerAuth(self.tokens), options=options, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _mint(self, _previous: Token | None) -> Token:
        """Exchange the API key for a JWT (there is no refresh: every renewal is a new login)."""
        response = await self.http.client.post(
            MINT_PATH, json={"name": self._key_id, "password": self._api_key}, auth=NO_AUTH
        )
        if response.status_code in (400, 401, 403):
            log.warning("Projectrak refused the API key (HTTP %s)", response.status_code)
            raise AuthenticationRefused(self.name)
        if response.status_code >= 300:
            log.warning("Projectrak answered %s to the JWT request", response.status_code)
            raise Unavailable(self.name)
        try:
            body = response.json()
        except ValueError:
            raise Unavailable(self.name) from None
        answer = parse(self.name, JwtDTO, body)
        if answer.base_url is not None:
            self.site_url = answer.base_url.rstrip("/")
        expires_at = answer.expired.timestamp() if answer.expired else jwt_expiry(answer.jwt)
        log.info("Projectrak JWT minted for %s (account %s)", self.site_url, answer.account_id)
        return Token(value=answer.jwt, expires_at=expires_at)

    async def list_fields(self) -> list[ProjectrakField]:
        rows = parse_rows(self.name, FieldDTO, await self.http.get(FIELDS_PATH))
        return [
            ProjectrakField(id=str(row.id), name=str(row.name), type=row.type)
            for row in rows
            if {"id", "name"} <= row.model_fields_set
        ]

    async def _load_projects(self) -> list[ProjectStatus]:
        rows = parse_rows(self.name, ProjectDTO, await self.http.get(PROJECTS_PATH))
        return [
            ProjectStatus(
                tracker=TrackerName.PROJECTRAK,
                id=str(row.id),
                key=str(row.key),
                name=str(row.name or row.key),
                url=self._browse_url(str(row.key)),
            )
            for row in rows
            if "id" in row.model_fields_set and row.key
        ]

    async def list_projects(self) -> list[ProjectStatus]:
        """Every project (id, key, name, link), cached for a few minutes."""
        return list(await self.http.reference("projects", self._load_projects))

    async def get_project(self, key_or_name: str) -> ProjectStatus:
        """One project with its Projectrak values, found by key or exact name (any case)."""
        wanted = key_or_name.strip().casefold()
        projects = await self.list_projects()
        project = next((p for p in projects if (p.key or "").casefold() == wanted), None)
        project = project or next((p for p in projects if p.name.casefold() == wanted), None)
        if project is None or project.key is None:
            raise NotFound(self.name, f"Project {key_or_name.strip()}")
        values = await self.http.get(
            VALUES_PATH.format(key=quote(project.key, safe="")), not_found=f"Project {project.key}"
        )
        return project.model_copy(update=project_updates(parse_rows(self.name, ValueDTO, values)))

    def names_one_project(self, ref: str) -> bool:
        """ProjectSource: a Jira project key."""
        return JIRA_KEY.fullmatch(ref) is not None

    async def read_project(self, ref: str) -> ProjectStatus:
        """A project with its values, by its id (as cards carry it) or its key or exact name:
        Projectrak reads values by Jira key."""
        listed = await self.list_projects()
        key = next((p.key for p in listed if p.id == ref and p.key), ref)
        return await self.get_project(key)

    async def find_projects(self, words: str) -> list[ProjectStatus]:
        """Projects whose key or name contains every word (any case); id, key, name and link
        only: ask `get_project` for a card's values."""
        needles = words.casefold().split()
        return [p for p in await self.list_projects() if all(n in f"{p.key} {p.name}".casefold() for n in needles)]

    # --- pasted links (LinkSource) --------------------------------------------------------------
    def page_of(self, url: str) -> Page | None:
        """A Jira `/browse/KEY` link: of the Jira site Projectrak named (once it has, at the
        first login), else of any site until then; `read_page` then keeps only the link of a
        project Projectrak knows."""
        parts = url.replace("&amp;", "&").split("/browse/", 1)
        if len(parts) != 2:
            return None
        found = below(url, self.site_url or parts[0])
        match = _BROWSE_PATH.fullmatch(found.path) if found else None
        if match is None:
            return None
        return Page(tracker=self.tracker, kind=PageKind.PROJECT, ref=match["key"], url=url)

    async def read_page(self, page: Page) -> ProjectStatus:
        """The project whose Jira link `page` is (the link its card carries), with its values;
        NotFound for a key Projectrak does not know, or a link to another Jira site."""
        projects = await self.list_projects()
        known = next((p for p in projects if (p.key or "").casefold() == page.ref.casefold()), None)
        site = self.site_url
        if known is None or known.key is None or site is None or below(page.url, site) is None:
            raise NotFound(self.name, f"Project {page.ref}")
        return await self.get_project(known.key)

    async def ping(self) -> str:
        count = len(await self._load_projects())
        return f"{count} project{'s' if count != 1 else ''}"

    def _browse_url(self, key: str) -> str | None:
        return BROWSE_URL.format(site=self.site_url, key=key) if self.site_url else None
