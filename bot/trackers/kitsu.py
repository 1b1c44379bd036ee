"""Kitsu (Zou, CGWire's production tracker API): productions, assets, open tasks and people.

Authentication, modelled on gazu without its gotcha (gazu drops the refresh token after one
refresh): with an email and password the client logs in once, keeps both JWTs in one `Token`,
and when Zou refuses the access token it refreshes it with the refresh token (Zou does not
rotate it), logging in again only when the refresh is refused too. Zou answers 401 for an
expired or revoked token and 422 for a malformed or forged one (flask-jwt-extended's default).
With a bot token (`KITSU_TOKEN`, a Zou bot account whose token never expires) there is nothing
to renew, so a refusal is reported at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from bot.settings import Note, TrackerSettings, secret
from bot.trackers.dto import Day, Dto, Loose, Moment, parse, parse_rows
from bot.trackers.errors import (
    AuthenticationRefused,
    InvalidInput,
    NotConfigured,
    NotFound,
    TimedOut,
    TrackerError,
    Unavailable,
)
from bot.trackers.http_client import HttpOptions, TrackerHTTP
from bot.trackers.models import (
    Asset,
    AssetPage,
    Comment,
    Lookup,
    Page,
    PageKind,
    Person,
    ProjectStatus,
    StatusChange,
    Task,
    TaskPlace,
    TaskState,
    TrackerName,
)
from bot.trackers.pages import below
from bot.trackers.tokens import BearerAuth, StaticBearerAuth, Token, TokenCache, jwt_expiry

log = logging.getLogger(__name__)
R = TypeVar("R", bound="Row")

# Zou routes, relative to the API root (a bare Zou serves them at /, Kitsu's nginx at /api).
# All confirmed by Zou's source and checked against a real Zou (docs/trackers.md).
LOGIN = "auth/login"
REFRESH = "auth/refresh-token"
OPEN_PROJECTS = "data/projects/open"
PROJECTS = "data/projects"
PROJECT = "data/projects/{id}"
PROJECT_STATUSES = "data/project-status"
ASSET_TYPES = "data/asset-types"
ASSETS = "data/assets"  # filters: name (ILIKE), project_id
ENTITIES = "data/entities"  # every entity of a project (assets, shots, ...), for task names
TASKS = "data/tasks"  # filters: project_id; relations=true adds assignees
TASK_TYPES = "data/task-types"
TASK_STATUSES = "data/task-status"
PERSONS = "data/persons"
# Comments (docs/trackers.md, "Comments"): confirmed by Zou's source (CommentTaskResource in
# zou/app/blueprints/comments/resources.py) and exercised against a real Zou.
AUTHENTICATED = "auth/authenticated"  # the bot's own account, with its role
TASK = "data/tasks/{id}"
TASK_COMMENTS = "data/tasks/{id}/comments"
COMMENT_TASK = "actions/tasks/{id}/comment"  # person_id honoured for admins and managers only
MANAGER_ROLES = frozenset({"admin", "manager"})  # Zou's has_manager_permissions()

# Kitsu web pages, relative to the web root (the API root minus /api): assumed, read from how
# Kitsu links to its own pages (docs/trackers.md). TV shows put an episode in the path: no task
# link for them.
PROJECT_PAGE = "{web}/productions/{project_id}"
ASSET_PAGE = "{web}/productions/{project_id}/assets/{asset_id}"
TASK_PAGE = "{web}/productions/{project_id}/{kind}/tasks/{task_id}"
_TASK_PAGE_KINDS = {"Asset": "assets", "Shot": "shots", "Edit": "edits"}

LATE_TASKS = 5  # overdue tasks a production's card lists, each with its Comment button
LOGIN_RETRY_AFTER_SECONDS = 60.0  # Zou locks an account for a minute after 5 failed logins
_PRODUCTION_PATH = re.compile(r"productions/(?P<project>[^/]+)(?:/assets/(?P<asset>[^/]+))?/?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Zou's login answers flag why a login failed; each flag gets its own sentence.
_LOGIN_FLAGS = {
    "too_many_failed_login_attemps": (  # Zou's spelling
        "Kitsu locked trackerbot's account for a minute after too many failed logins; "
        "check KITSU_EMAIL and KITSU_PASSWORD, then try again in a minute."
    ),
    "default_password": "Kitsu wants trackerbot's account to change its default password before it can log in.",
    "missing_OTP": "Kitsu asks trackerbot's account for a two-factor code; use a bot token (KITSU_TOKEN) instead.",
    "wrong_OTP": "Kitsu asks trackerbot's account for a two-factor code; use a bot token (KITSU_TOKEN) instead.",
    "unactive": "Kitsu says trackerbot's account is inactive; ask a Kitsu admin to reactivate it.",
}
_WRONG_LOGIN = "Kitsu refused trackerbot's login; ask an admin to check KITSU_EMAIL and KITSU_PASSWORD."
_BOT_TOKEN_REFUSED = (
    "Kitsu refused trackerbot's bot token (KITSU_TOKEN): it is expired, revoked or not a token "
    "of this Kitsu; ask a Kitsu admin for a new one."
)


class KitsuRefused(AuthenticationRefused):
    """Kitsu refused the bot's credentials, with a sentence saying why."""

    def __init__(self, tracker: str, message: str) -> None:
        TrackerError.__init__(self, tracker, message)


class KitsuWrongURL(NotConfigured):
    """KITSU_URL does not lead to Zou's API (often: the /api suffix is missing)."""

    def __init__(self, tracker: str) -> None:
        TrackerError.__init__(
            self, tracker, "KITSU_URL does not lead to Kitsu's API; behind Kitsu's web server it ends in /api."
        )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def is_token_refusal(response: httpx.Response) -> bool:
    """Zou refused the token itself: 401 (expired, revoked), or 422 with flask-jwt-extended's
    `msg` body (malformed, forged, wrong kind of token). Zou's own errors use `message`."""
    if response.status_code == 401:
        return True
    body = _json(response) if response.status_code == 422 else None
    return isinstance(body, dict) and "msg" in body


class _RefusalGuard(httpx.Auth):
    """Run an inner auth flow; if the last answer still refuses the token, raise `error`.

    Reads each answer first, so the inner flow's refusal test can look at the body.
    """

    requires_response_body = True

    def __init__(self, inner: httpx.Auth, error: Callable[[], TrackerError]) -> None:
        self.inner = inner
        self._error = error

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self.inner.async_auth_flow(request)
        request = await flow.__anext__()
        while True:
            response = yield request
            await response.aread()
            try:
                request = await flow.asend(response)
            except StopAsyncIteration:
                break
        if is_token_refusal(response):
            raise self._error()


def _web_root(url: str) -> str:
    root = url.rstrip("/")
    return root[: -len("/api")] if root.endswith("/api") else root


def _is_done(status: TaskStatusRow | None) -> bool:
    return status is not None and bool(status.is_done)


def _ilike_pattern(words: str) -> str:
    """`%big%robot%` for "big robot", with SQL wildcards in the words escaped."""
    escaped = [re.sub(r"([\\%_])", r"\\\1", word) for word in words.split()]
    return "%" + "%".join(escaped) + "%"


# --- Answers (DTOs): Zou's rows, by Zou's column names ------------------------------------------
class Row(Dto):
    """Every Zou row has a UUID and most a name."""

    id: str
    name: Loose[str] = None


class TokensDTO(Dto):
    """The answer to a login or a refresh; a refused login says why with one of these flags."""

    access_token: Loose[str] = None
    refresh_token: Loose[str] = None
    too_many_failed_login_attemps: Any = None  # Zou's spelling
    default_password: Any = None
    missing_OTP: Any = None
    wrong_OTP: Any = None
    unactive: Any = None


class ProjectRow(Row):
    code: Loose[str] = None
    project_status_id: Loose[str] = None
    start_date: Day = None
    end_date: Day = None
    production_type: Loose[str] = None


class TaskStatusRow(Row):
    is_done: Loose[bool] = None
    for_concept: Loose[bool] = None


class ProjectTeamRow(ProjectRow):
    """A production as `data/projects/{id}` gives it: with its team and its task statuses (none
    listed: every status)."""

    team: Loose[list[str]] = None
    task_statuses: Loose[list[str]] = None


class AccountRow(Row):
    email: Loose[str] = None
    role: Loose[str] = None


class AuthenticatedDTO(Dto):
    user: AccountRow


class CommentRow(Row):
    object_id: Loose[str] = None
    person_id: Loose[str] = None
    task_status_id: Loose[str] = None
    text: Loose[str] = None
    created_at: Moment = None


class TaskTypeRow(Row):
    for_entity: Loose[str] = None  # "Asset", "Shot", "Edit", ...


class PersonRow(Row):
    full_name: Loose[str] = None
    first_name: Loose[str] = None
    last_name: Loose[str] = None
    email: Loose[str] = None
    active: Loose[bool] = True
    is_bot: Loose[bool] = None


class AssetRow(Row):
    code: Loose[str] = None
    entity_type_id: Loose[str] = None
    status: Loose[str] = None
    description: Loose[str] = None
    created_by: Loose[str] = None
    created_at: Moment = None
    project_id: Loose[str] = None
    canceled: Loose[bool] = None


class TaskRow(Row):
    project_id: Loose[str] = None
    task_status_id: Loose[str] = None
    task_type_id: Loose[str] = None
    entity_id: Loose[str] = None
    due_date: Day = None
    assignees: Loose[list[str]] = None  # person ids, with relations=true


def _tokens(response: httpx.Response) -> TokensDTO:
    """A login or refresh answer; a body that is no JSON object reads as an empty answer."""
    body = _json(response)
    return TokensDTO.model_validate(body) if isinstance(body, dict) else TokensDTO()


def _full_name(person: PersonRow) -> str:
    name = person.full_name or f"{person.first_name or ''} {person.last_name or ''}"
    return name.strip() or str(person.email or person.id)


def _by_id(rows: Iterable[R]) -> dict[str, R]:
    return {row.id: row for row in rows}


def _name_of(rows: dict[str, R], key: str) -> str:
    found = rows.get(key)
    return (found.name if found else None) or key


class KitsuSettings(TrackerSettings):
    """A login (`KITSU_EMAIL` and `KITSU_PASSWORD`) or a bot token (`KITSU_TOKEN`)."""

    label = TrackerName.KITSU.label
    switch = "KITSU_URL"
    needs = ("KITSU_URL",)

    KITSU_URL: str | None = None
    KITSU_EMAIL: str | None = None
    KITSU_PASSWORD: SecretStr | None = None
    KITSU_TOKEN: SecretStr | None = None

    def problems(self, note: Note) -> list[str]:
        every = list(type(self).model_fields)
        if not self.KITSU_URL:
            if any(getattr(self, name) is not None for name in every):
                return [f"KITSU_URL is missing: Kitsu needs KITSU_URL and a login or KITSU_TOKEN{note(every)}"]
            return []
        if self.KITSU_TOKEN is None and (self.KITSU_EMAIL is None or self.KITSU_PASSWORD is None):
            name = "KITSU_EMAIL" if self.KITSU_EMAIL is None else "KITSU_PASSWORD"
            return [f"{name} is missing: Kitsu needs KITSU_EMAIL and KITSU_PASSWORD, or KITSU_TOKEN{note(every)}"]
        return []


class KitsuClient:
    """Read productions, assets, open tasks and people from a Zou API root."""

    tracker = TrackerName.KITSU
    name = TrackerName.KITSU.label
    lists_statuses = True  # ProjectSource: open productions come with their status
    finds_statuses = False  # a card also counts the production's overdue tasks
    pages = False  # AssetSource: every match on the first page

    @classmethod
    def from_settings(
        cls, settings: KitsuSettings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> KitsuClient:
        return cls(
            settings.KITSU_URL or "",
            email=settings.KITSU_EMAIL,
            password=secret(settings.KITSU_PASSWORD) or None,
            token=secret(settings.KITSU_TOKEN) or None,
            options=options,
            transport=transport,
        )

    def __init__(
        self,
        url: str,
        *,
        email: str | None = None,
        password: str | None = None,
        token: str | None = None,
        session: Token | None = None,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`url` serves /auth/login (`https://host/api` behind Kitsu, the bare root of a Zou).

        Give `token` (a bot account's token) or `email` and `password`. `session` resumes a
        saved login (access and refresh tokens, like gazu's `tokens=`) instead of logging in first.
        """
        self.web = _web_root(url)
        self._email = email
        self._password = password
        self._resume = session
        self._login_refused: tuple[float, str] | None = None  # when, and why
        self.tokens: TokenCache | None = None
        auth: httpx.Auth
        if token:
            auth = _RefusalGuard(StaticBearerAuth(token), lambda: KitsuRefused(self.name, _BOT_TOKEN_REFUSED))
        elif email and password:
            self.tokens = TokenCache(self._mint, tracker=self.name)
            auth = _RefusalGuard(
                BearerAuth(self.tokens, is_refusal=is_token_refusal), lambda: AuthenticationRefused(self.name)
            )
        else:
            raise NotConfigured(self.name)
        self.http = TrackerHTTP(self.name, url, auth, options=options, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ auth

    async def _mint(self, previous: Token | None) -> Token:
        """A usable token: the resumed session first, then a refresh, then a login."""
        if previous is None and self._resume is not None:
            resumed, self._resume = self._resume, None
            return resumed
        if (
            previous is not None
            and previous.refresh_value
            and (previous.refresh_expires_at is None or previous.refresh_expires_at > time.time())
        ):
            refreshed = await self._refresh(previous)
            if refreshed is not None:
                return refreshed
        return await self._login()

    async def _auth_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to Zou's auth routes, outside the auth flow (and never logged with its body)."""
        try:
            return await self.http.client.request(method, path, auth=None, **kwargs)
        except httpx.TimeoutException:
            raise TimedOut(self.name) from None
        except httpx.TransportError as exc:
            log.warning("Kitsu %s %s failed: %s", method, path, type(exc).__name__)
            raise Unavailable(self.name) from None

    async def _refresh(self, previous: Token) -> Token | None:
        """A new access token from the refresh token; None when Zou refuses the refresh token."""
        response = await self._auth_call("GET", REFRESH, headers={"Authorization": f"Bearer {previous.refresh_value}"})
        answer = _tokens(response)
        if response.status_code == 200 and answer.access_token:
            log.info("Kitsu access token refreshed")
            access, refresh = answer.access_token, answer.refresh_token
            if not refresh:  # Zou does not rotate the refresh token: keep it (gazu drops it)
                return Token(access, jwt_expiry(access), previous.refresh_value, previous.refresh_expires_at)
            return Token(access, jwt_expiry(access), refresh, jwt_expiry(refresh))
        if response.status_code in (401, 422):
            log.info("Kitsu refused the refresh token (%s); logging in again", response.status_code)
            return None
        log.warning("Kitsu refresh answered %s", response.status_code)
        raise Unavailable(self.name)

    async def _login(self) -> Token:
        if self._login_refused is not None:
            refused_at, message = self._login_refused
            if time.monotonic() - refused_at < LOGIN_RETRY_AFTER_SECONDS:
                raise KitsuRefused(self.name, message)  # do not walk a wrong password into Zou's lockout
        response = await self._auth_call("POST", LOGIN, json={"email": self._email, "password": self._password})
        answer = _tokens(response)
        if response.status_code == 200 and answer.access_token:
            self._login_refused = None
            log.info("Logged in to Kitsu as %s", self._email)
            access, refresh = answer.access_token, answer.refresh_token
            return Token(access, jwt_expiry(access), refresh, jwt_expiry(refresh) if refresh else None)
        if response.status_code in (400, 401, 403, 409):
            message = next((text for flag, text in _LOGIN_FLAGS.items() if getattr(answer, flag)), _WRONG_LOGIN)
            log.warning("Kitsu refused the login of %s (%s)", self._email, response.status_code)
            self._login_refused = (time.monotonic(), message)
            raise KitsuRefused(self.name, message)
        if response.status_code in (404, 405):
            raise KitsuWrongURL(self.name)
        log.warning("Kitsu login answered %s", response.status_code)
        raise Unavailable(self.name)

    # ------------------------------------------------------------------ reference data

    async def _list(self, path: str, model: type[R], params: dict[str, Any] | None = None) -> list[R]:
        return parse_rows(self.name, model, await self.http.get(path, params=params))

    async def _table(self, path: str, model: type[R]) -> list[R]:
        """A list that changes rarely (statuses, types, people, projects), cached briefly."""
        return await self.http.reference(path, partial(self._list, path, model))

    async def _rows_by_id(self, path: str, model: type[R]) -> dict[str, R]:
        return _by_id(await self._table(path, model))

    async def asset_types(self) -> dict[str, str]:
        """Asset type names by id (Character, Prop, ...)."""
        return {type_id: row.name or "" for type_id, row in (await self._rows_by_id(ASSET_TYPES, Row)).items()}

    async def persons(self) -> list[Person]:
        """The studio's people (bot accounts left out)."""
        return [
            Person(id=row.id, name=_full_name(row), email=row.email, active=bool(row.active))
            for row in await self._table(PERSONS, PersonRow)
            if not row.is_bot
        ]

    # ------------------------------------------------------------------ productions

    def _project(self, row: ProjectRow, statuses: dict[str, Row]) -> ProjectStatus:
        found = statuses.get(row.project_status_id or "")
        status = found.name if found else None
        return ProjectStatus(
            tracker=TrackerName.KITSU,
            id=row.id,
            key=row.code or None,
            name=row.name or row.id,
            status=status,
            is_closed=(status or "").casefold() == "closed",
            open_date=row.start_date,
            target_date=row.end_date,
            url=PROJECT_PAGE.format(web=self.web, project_id=row.id),
        )

    async def open_projects(self) -> list[ProjectStatus]:
        """Productions whose status is open."""
        statuses = await self._rows_by_id(PROJECT_STATUSES, Row)
        return [self._project(row, statuses) for row in await self._table(OPEN_PROJECTS, ProjectRow)]

    async def list_projects(self) -> list[ProjectStatus]:
        """ProjectSource: the open productions."""
        return await self.open_projects()

    def names_one_project(self, ref: str) -> bool:
        """ProjectSource: productions are found by name only."""
        return False

    async def read_project(self, ref: str) -> ProjectStatus:
        return await self.get_project(ref)

    async def find_projects(self, words: str) -> list[ProjectStatus]:
        """Productions whose name holds every word (any case), open ones first."""
        wanted = words.casefold().split()
        statuses = await self._rows_by_id(PROJECT_STATUSES, Row)
        found = [
            self._project(row, statuses)
            for row in await self._table(PROJECTS, ProjectRow)
            if all(word in (row.name or "").casefold() for word in wanted)
        ]
        return sorted(found, key=lambda project: (project.is_closed, project.name.casefold()))

    async def get_project(self, id_or_name: str) -> ProjectStatus:
        """One production by id, or by its exact name (any case), with its overdue open tasks (how
        many, and the first LATE_TASKS of them). By id, the production, its tasks and entities and
        the reference lists are read side by side (one round trip)."""
        wanted = id_or_name.strip()
        row: ProjectRow | None
        if _UUID.fullmatch(wanted):
            body, (tasks, entities, statuses, project_statuses) = await asyncio.gather(
                self.http.get(PROJECT.format(id=wanted), not_found=f"Production {wanted}"),
                self._production_tasks(wanted),
            )
            row = parse(self.name, ProjectRow, body)
        else:
            row = next(
                (p for p in await self._table(PROJECTS, ProjectRow) if (p.name or "").casefold() == wanted.casefold()),
                None,
            )
            if row is None:
                raise NotFound(self.name, f'A production named "{wanted}"')
            tasks, entities, statuses, project_statuses = await self._production_tasks(row.id)
        today = date.today()
        overdue = sorted(
            (
                task
                for task in tasks
                if not _is_done(statuses.get(task.task_status_id or ""))
                and task.due_date is not None
                and task.due_date < today
            ),
            key=lambda task: (task.due_date or today, task.id),
        )
        types, people = await asyncio.gather(
            self._rows_by_id(TASK_TYPES, TaskTypeRow), self._rows_by_id(PERSONS, PersonRow)
        )
        late = [
            self._task(task, row, entities, statuses.get(task.task_status_id or ""), types, people)
            for task in overdue[:LATE_TASKS]
        ]
        return self._project(row, project_statuses).model_copy(
            update={"overdue_tasks": len(overdue), "late_tasks": late}
        )

    async def _production_tasks(
        self, project_id: str
    ) -> tuple[list[TaskRow], dict[str, Row], dict[str, TaskStatusRow], dict[str, Row]]:
        """A production's tasks and entities, with the task and production statuses, side by side."""
        tasks, entities, statuses, project_statuses = await asyncio.gather(
            self._list(TASKS, TaskRow, {"project_id": project_id, "relations": "true"}),
            self._list(ENTITIES, Row, {"project_id": project_id}),
            self._rows_by_id(TASK_STATUSES, TaskStatusRow),
            self._rows_by_id(PROJECT_STATUSES, Row),
        )
        return tasks, _by_id(entities), statuses, project_statuses

    # ------------------------------------------------------------------ assets

    async def asset_by_key(self, ref: str) -> Asset | None:
        """AssetSource: Kitsu assets have no key of their own to look up."""
        return None

    async def search_assets(self, words: str, *, start_at: int, size: int) -> AssetPage:
        """AssetSource: every asset `find_assets` finds, as one page."""
        assets = await self.find_assets(words)
        return AssetPage(assets=assets, total=len(assets))

    async def find_assets(self, words: str, *, project_id: str | None = None) -> list[Asset]:
        """Assets whose name holds the words in order (any case), canceled ones left out."""
        if not words.split():
            raise InvalidInput(self.name, "give a few letters of the asset's name")
        params = {"name": _ilike_pattern(words)}
        if project_id:
            params["project_id"] = project_id
        rows, types, projects, people = await asyncio.gather(
            self._list(ASSETS, AssetRow, params),
            self.asset_types(),
            self._rows_by_id(PROJECTS, ProjectRow),
            self._rows_by_id(PERSONS, PersonRow),
        )
        assets = [self._asset(row, types, projects, people) for row in rows if not row.canceled]
        return sorted(assets, key=lambda asset: (asset.name.casefold(), asset.project or ""))

    def _asset(
        self,
        row: AssetRow,
        types: dict[str, str],
        projects: dict[str, ProjectRow],
        people: dict[str, PersonRow],
    ) -> Asset:
        project_id = row.project_id or ""
        creator = people.get(row.created_by or "")
        project = projects.get(project_id)
        return Asset(
            tracker=TrackerName.KITSU,
            id=row.id,
            key=row.code or None,
            name=row.name or row.id,
            collection=types.get(row.entity_type_id or ""),
            status=row.status,
            attributes={"Description": row.description} if row.description else {},
            created_by=_full_name(creator) if creator else None,
            created_at=row.created_at,
            project=project.name if project else None,
            url=ASSET_PAGE.format(web=self.web, project_id=project_id, asset_id=row.id) if project_id else None,
        )

    async def get_asset(self, project_id: str, asset_id: str) -> Asset:
        """One asset of a production, by id (Zou filters its asset list by any column); NotFound
        when the production has no such asset, or it was canceled."""
        if not (_UUID.fullmatch(project_id) and _UUID.fullmatch(asset_id)):
            raise NotFound(self.name, "That asset")
        rows, types, projects, people = await asyncio.gather(
            self._list(ASSETS, AssetRow, {"id": asset_id, "project_id": project_id}),
            self.asset_types(),
            self._rows_by_id(PROJECTS, ProjectRow),
            self._rows_by_id(PERSONS, PersonRow),
        )
        row = next((row for row in rows if row.id == asset_id and not row.canceled), None)
        if row is None or row.project_id != project_id:
            raise NotFound(self.name, "That asset")
        return self._asset(row, types, projects, people)

    # ------------------------------------------------------------------ pasted links (LinkSource)

    def page_of(self, url: str) -> Page | None:
        """A production or asset page of this Kitsu (the URLs its cards link to), else None."""
        found = below(url, self.web)
        match = _PRODUCTION_PATH.fullmatch(found.path) if found else None
        if match is None or not _UUID.fullmatch(match["project"]):
            return None
        asset = match["asset"]
        if asset is None:
            return Page(tracker=self.tracker, kind=PageKind.PROJECT, ref=match["project"], url=url)
        if not _UUID.fullmatch(asset):
            return None
        return Page(tracker=self.tracker, kind=PageKind.ASSET, ref=asset, parent=match["project"], url=url)

    async def read_page(self, page: Page) -> ProjectStatus | Asset:
        """What the page shows, read afresh: the production's card or the asset's."""
        if page.kind is PageKind.ASSET:
            return await self.get_asset(page.parent or "", page.ref)
        return await self.get_project(page.ref)

    # ------------------------------------------------------------------ tasks

    async def open_tasks(self, *, project_id: str | None = None, due_before: date | None = None) -> list[Task]:
        """Tasks not done yet, of one production or of every open one, soonest due first.

        With `due_before`, only tasks due before that day.
        """
        if project_id:
            project_rows = [(await self._rows_by_id(PROJECTS, ProjectRow)).get(project_id) or ProjectRow(id=project_id)]
        else:
            project_rows = await self._table(OPEN_PROJECTS, ProjectRow)
        per_project = await asyncio.gather(*(self._project_tasks(row) for row in project_rows))
        statuses, types, people = await asyncio.gather(
            self._rows_by_id(TASK_STATUSES, TaskStatusRow),
            self._rows_by_id(TASK_TYPES, TaskTypeRow),
            self._rows_by_id(PERSONS, PersonRow),
        )
        tasks = []
        for project, rows, entities in per_project:
            for row in rows:
                status = statuses.get(row.task_status_id or "")
                due = row.due_date
                if _is_done(status) or (due_before is not None and (due is None or due >= due_before)):
                    continue
                tasks.append(self._task(row, project, entities, status, types, people))
        return sorted(tasks, key=lambda task: (task.due_date or date.max, task.project or "", task.name))

    async def _project_tasks(self, project: ProjectRow) -> tuple[ProjectRow, list[TaskRow], dict[str, Row]]:
        rows, entities = await asyncio.gather(
            self._list(TASKS, TaskRow, {"project_id": project.id, "relations": "true"}),
            self._list(ENTITIES, Row, {"project_id": project.id}),
        )
        return project, rows, _by_id(entities)

    def _task(
        self,
        row: TaskRow,
        project: ProjectRow,
        entities: dict[str, Row],
        status: TaskStatusRow | None,
        types: dict[str, TaskTypeRow],
        people: dict[str, PersonRow],
    ) -> Task:
        task_type = types.get(row.task_type_id or "")
        found = entities.get(row.entity_id or "")
        entity = found.name if found else None
        url = self._task_page(project, task_type, row.id)
        type_name = task_type.name if task_type else None
        return Task(
            tracker=self.tracker,
            id=row.id,
            name=" / ".join(part for part in (entity, type_name) if part) or row.name or row.id,
            project=project.name,
            entity=entity,
            task_type=type_name,
            status=status.name if status else None,
            due_date=row.due_date,
            assignees=[_full_name(people[pid]) for pid in row.assignees or [] if pid in people],
            url=url,
        )

    def _task_page(self, project: ProjectRow, task_type: TaskTypeRow | None, task_id: str) -> str | None:
        """The task's page in Kitsu; None for a TV show's (its path has an episode) or an odd kind."""
        kind = _TASK_PAGE_KINDS.get((task_type.for_entity if task_type else None) or "Asset")
        if not kind or project.production_type == "tvshow":
            return None
        return TASK_PAGE.format(web=self.web, project_id=project.id, kind=kind, task_id=task_id)

    # ------------------------------------------------------------------ comments

    async def can_comment_as_others(self) -> bool:
        """Whether Zou keeps the `person_id` of the bot's comments: only when the bot's own
        account is an admin or a manager (otherwise Zou drops it and the bot is the author)."""

        async def load() -> bool:
            body = await self.http.get(AUTHENTICATED, not_found="trackerbot's Kitsu account")
            return (parse(self.name, AuthenticatedDTO, body).user.role or "") in MANAGER_ROLES

        return await self.http.reference(AUTHENTICATED, load)

    async def person_by_email(self, email: str | None) -> Person | None:
        """The active person (no bot account) whose email is this one; None when none. Zou shows
        people's emails to admins only, but filters by one for a manager too (`?email=`, an exact
        match: the email as given, then lower-cased)."""
        given = (email or "").strip()
        for wanted in dict.fromkeys((given, given.lower())):
            if not wanted:
                continue
            rows = await self._list(PERSONS, PersonRow, {"email": wanted})
            found = next((row for row in rows if row.active and not row.is_bot), None)
            if found is not None:
                return Person(id=found.id, name=_full_name(found), email=wanted, active=True)
        return None

    async def productions_of(self, person_id: str, words: str = "") -> list[Lookup]:
        """The open productions whose team has the person, their names holding `words` (any case)."""
        wanted = words.casefold().split()
        rows = await self.http.reference((OPEN_PROJECTS, "team"), partial(self._list, OPEN_PROJECTS, ProjectTeamRow))
        return [
            Lookup(id=row.id, name=row.name or row.id)
            for row in rows
            if person_id in (row.team or []) and all(word in (row.name or "").casefold() for word in wanted)
        ]

    async def entities_of(self, project_id: str, words: str = "") -> list[Lookup]:
        """The production's entities (assets, shots, ...) that have tasks, their names holding `words`."""
        if not _UUID.fullmatch(project_id):
            return []
        wanted = words.casefold().split()
        rows, tasks = await asyncio.gather(
            self._list(ENTITIES, Row, {"project_id": project_id}),
            self._list(TASKS, TaskRow, {"project_id": project_id}),
        )
        with_tasks = {task.entity_id for task in tasks}
        found = [
            Lookup(id=row.id, name=row.name or row.id)
            for row in rows
            if row.id in with_tasks and all(word in (row.name or "").casefold() for word in wanted)
        ]
        return sorted(found, key=lambda entity: entity.name.casefold())

    async def tasks_of(self, entity_id: str) -> list[Lookup]:
        """The entity's tasks, each named by its task type (the task's id is the choice)."""
        if not _UUID.fullmatch(entity_id):
            return []
        rows, types = await asyncio.gather(
            self._list(TASKS, TaskRow, {"entity_id": entity_id}), self._rows_by_id(TASK_TYPES, TaskTypeRow)
        )
        found = [
            Lookup(id=row.id, name=(types.get(row.task_type_id or "") or Row(id="")).name or row.id) for row in rows
        ]
        return sorted(found, key=lambda task: str(task.name).casefold())

    async def statuses_of(self, project_id: str) -> list[Lookup]:
        """The task statuses a production uses (its settings; none set: every status but concept ones)."""
        if not _UUID.fullmatch(project_id):
            return []
        body, statuses = await asyncio.gather(
            self.http.get(PROJECT.format(id=project_id), not_found="That production"),
            self._table(TASK_STATUSES, TaskStatusRow),
        )
        allowed = set(parse(self.name, ProjectTeamRow, body).task_statuses or [])
        return [
            Lookup(id=row.id, name=row.name or row.id)
            for row in statuses
            if (row.id in allowed if allowed else not row.for_concept)
        ]

    async def task_place(self, task_id: str) -> TaskPlace:
        """Where the task sits: its production (with the team), entity and task type."""
        if not _UUID.fullmatch(task_id):
            raise NotFound(self.name, "That task")
        task = parse(self.name, TaskRow, await self.http.get(TASK.format(id=task_id), not_found="That task"))
        project_id, entity_id = task.project_id or "", task.entity_id or ""
        project, entities, types = await asyncio.gather(
            self.http.get(PROJECT.format(id=project_id), not_found="That task's production"),
            self._list(ENTITIES, Row, {"id": entity_id}),
            self._rows_by_id(TASK_TYPES, TaskTypeRow),
        )
        production = parse(self.name, ProjectTeamRow, project)
        entity = next((row for row in entities if row.id == entity_id), None)
        task_type = types.get(task.task_type_id or "")
        return TaskPlace(
            id=task.id,
            project_id=production.id,
            project=production.name or production.id,
            entity_id=entity_id,
            entity=(entity.name if entity else None) or entity_id,
            task_type=(task_type.name if task_type else None) or task.name or task.id,
            status_id=task.task_status_id,
            team=production.team or [],
            url=self._task_page(production, task_type, task.id),
        )

    async def comment(self, task_id: str, status_id: str, text: str, person_id: str) -> Comment:
        """Comment on a task as the person, moving it to `status_id` (one POST, never retried)."""
        body = {"task_status_id": status_id, "comment": text, "person_id": person_id}
        answer = await self.http.request("POST", COMMENT_TASK.format(id=task_id), body=body, not_found="That task")
        return self._comment(parse(self.name, CommentRow, answer))

    async def comments_on(self, task_id: str) -> list[Comment]:
        """The task's comments, newest first (as Zou lists them)."""
        rows = await self._list(TASK_COMMENTS.format(id=task_id), CommentRow)
        return [self._comment(row) for row in rows]

    def _comment(self, row: CommentRow) -> Comment:
        return Comment(
            id=row.id,
            task_id=row.object_id or "",
            person_id=row.person_id,
            task_status_id=row.task_status_id,
            text=row.text or "",
        )

    # ------------------------------------------------------------------ status changes (subscriptions)

    async def production_team(self, project_id: str) -> tuple[str, list[str]]:
        """A production's name and its team (person ids), read afresh; NotFound when Zou has no
        such production."""
        if not _UUID.fullmatch(project_id):
            raise NotFound(self.name, "That production")
        body = await self.http.get(PROJECT.format(id=project_id), not_found="That production")
        row = parse(self.name, ProjectTeamRow, body)
        return row.name or row.id, list(row.team or [])

    async def task_states(self, project_id: str) -> list[TaskState]:
        """Every task of the production with its status: one call (`data/tasks?project_id=`)."""
        rows = await self._list(TASKS, TaskRow, {"project_id": project_id})
        return [
            TaskState(
                id=row.id,
                entity_id=row.entity_id or "",
                task_type_id=row.task_type_id or "",
                status_id=row.task_status_id or "",
            )
            for row in rows
            if row.task_status_id
        ]

    async def task_type_names(self) -> dict[str, str]:
        """Task type names by id (cached briefly)."""
        return {key: row.name or key for key, row in (await self._rows_by_id(TASK_TYPES, TaskTypeRow)).items()}

    async def task_status_names(self) -> dict[str, str]:
        """Task status names by id (cached briefly)."""
        return {key: row.name or key for key, row in (await self._rows_by_id(TASK_STATUSES, TaskStatusRow)).items()}

    async def status_changes(
        self, project_id: str, changed: Sequence[tuple[TaskState, str | None]]
    ) -> list[StatusChange]:
        """The tasks whose status changed (each with the status id it had), named: the entities
        of the production read once, and each task's comments (who set the new status, and when:
        the newest comment that set it; none when the status was set without a comment)."""
        if not changed:
            return []
        (entities, types, statuses, people, projects), comments = await asyncio.gather(
            asyncio.gather(
                self._list(ENTITIES, Row, {"project_id": project_id}),
                self._rows_by_id(TASK_TYPES, TaskTypeRow),
                self._rows_by_id(TASK_STATUSES, TaskStatusRow),
                self._rows_by_id(PERSONS, PersonRow),
                self._rows_by_id(PROJECTS, ProjectRow),
            ),
            asyncio.gather(*(self._list(TASK_COMMENTS.format(id=task.id), CommentRow) for task, _ in changed)),
        )
        named = _by_id(entities)
        production = projects.get(project_id) or ProjectRow(id=project_id)
        found = []
        for (task, before), said in zip(changed, comments, strict=True):
            setter = next((c for c in said if c.task_status_id == task.status_id), None)
            author = people.get(setter.person_id or "") if setter else None
            task_type = types.get(task.task_type_id)
            entity = named.get(task.entity_id)
            found.append(
                StatusChange(
                    task_id=task.id,
                    entity_id=task.entity_id,
                    entity=(entity.name if entity else None) or task.entity_id,
                    entity_kind=task_type.for_entity if task_type else None,
                    task_type=(task_type.name if task_type else None) or task.task_type_id,
                    before=_name_of(statuses, before) if before else None,
                    after=_name_of(statuses, task.status_id),
                    by=_full_name(author) if author else None,
                    at=setter.created_at if setter else None,
                    url=self._task_page(production, task_type, task.id),
                )
            )
        return found

    # ------------------------------------------------------------------ health

    async def ping(self) -> str:
        """One authenticated call (never cached): how many productions are open."""
        count = len(await self._list(OPEN_PROJECTS, Row))
        return f"{count} open production{'s' if count != 1 else ''}"
