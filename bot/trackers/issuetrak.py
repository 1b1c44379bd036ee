"""Issuetrak REST API v1 client.

Every request is signed with the site's API key (HMAC-SHA512 over verb, request id, timestamp,
lowercased path and the exact body, as in Issuetrak's own samples; see docs/trackers.md). The key never
expires, so there is no token to cache: each attempt, retries included, gets a new request id and
timestamp. Issuetrak stores text HTML-encoded and never decodes it; this client decodes it once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import logging
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any, Literal, TypeAlias
from urllib.parse import quote, urlparse

import httpx
from pydantic import Field, SecretStr, create_model

from bot.settings import TrackerSettings, id_set, secret
from bot.trackers.dto import Day, Dto, Loose, M, Moment, parse, parse_rows
from bot.trackers.dto import parse_datetime as parse_datetime  # the contract server reads dates with it
from bot.trackers.errors import InvalidInput, NotFound, TrackerError, Unavailable
from bot.trackers.http_client import HttpOptions, TrackerHTTP
from bot.trackers.models import (
    Issue,
    IssueActivity,
    IssuePage,
    Lookup,
    Note,
    Page,
    PageKind,
    Person,
    ProjectStatus,
    TrackerName,
)
from bot.trackers.pages import below, is_number

log = logging.getLogger(__name__)

# --- Paths, relative to the API root `{site}[/virtual dirs]/api/v1` -----------------------------
# Documented (docs/trackers.md): issues, notes, projects, users and the lookup list paths.
ISSUE = "issues/{include_notes}/{number}"  # 400 (not 404) when the issue does not exist
ISSUES = "issues"  # POST CreateIssueDTO -> the new IssueNumber; PUT UpdateIssueDTO (the whole issue)
ISSUE_SEARCH = "issues/search"  # POST SearchIssueDTO; the only endpoint that pages for real
NOTES = "notes"  # POST CreateNoteDTO -> the new NoteID
ISSUE_NOTES = "notes/issue/{number}"  # the envelope around the list is an assumption
PROJECTS = "projects"
PROJECT = "projects/{project_id}"
USERS = "users/false"  # false: leave out the users' photos
USER = "users/{user_id}/false"
# Lookup list paths are documented; their DTO field names are an assumption except for the
# issue types (IssueTypeID, IssueTypeName).
LOOKUPS: dict[str, tuple[str, str]] = {
    "issuetypes": ("IssueTypeID", "IssueTypeName"),
    "priorities": ("PriorityID", "PriorityName"),
    "substatuses": ("SubStatusID", "SubStatusName"),
    "organizations": ("OrganizationID", "OrganizationName"),
}
# Web pages, relative to the site root (the API root minus /api/v1): an assumption, the URLs of
# Issuetrak's classic ASP pages; check them against a live site.
ISSUE_PAGE = "Issue_View.asp?ID={number}"
PROJECT_PAGE = "Project_View.asp?ID={project_id}"
# The same pages read back from a pasted link (IIS pages answer to any case).
_PAGE_KINDS = {"issue_view.asp": PageKind.ISSUE, "project_view.asp": PageKind.PROJECT}

ISSUE_PAGE_SIZE = 100  # issues per search page when reading them all

REQUEST_ID_HEADER = "X-IssueTrak-API-Request-ID"
TIMESTAMP_HEADER = "X-IssueTrak-API-Timestamp"
AUTHORIZATION_HEADER = "X-IssueTrak-API-Authorization"

# --- The update flow (seed 001, "Update an Issue"): GET issues/false/{n}, remove what is not on
# the UpdateIssueDTO and the fields disabled on the site, change the field, PUT the whole DTO.
NOT_ON_UPDATE = ("Metadata", "ExtensionData", "Notes", "SubmittedDate", "SLAComplianceStatus", "Slaid")
NOT_ON_UPDATE_UDF = ("ExtensionData", "Metadata", "DisplayName")  # in each of UserDefinedFields
DISABLED_IN_SAMPLE = ("CauseID", "DepartmentID", "IssueSubType4ID")  # the sample site's; each site has its own


def update_dto(read: dict[str, Any], disabled: Collection[str]) -> dict[str, Any]:
    """The UpdateIssueDTO for a ReadIssueDTO: every field as read, minus those the sample removes
    (and, in each user-defined field, its read-only parts) and those disabled on the site."""
    gone = set(NOT_ON_UPDATE) | set(disabled)
    dto = {key: value for key, value in read.items() if key not in gone}
    fields = dto.get("UserDefinedFields")
    if isinstance(fields, list):
        dto["UserDefinedFields"] = [
            {k: v for k, v in field.items() if k not in NOT_ON_UPDATE_UDF} if isinstance(field, dict) else field
            for field in fields
        ]
    return dto


SearchOperation = Literal["Equal", "NotEqual", "Contains", "GreaterThan", "LessThan"]
FilterValue = str | int | float | date | datetime | None
SearchFilter = tuple[str, SearchOperation, FilterValue]
Joined = Literal["And", "Or"]  # how an expression joins the one before it


# --- Wire formats -----------------------------------------------------------------------------
def format_datetime(moment: datetime) -> str:
    """Issuetrak's date format: UTC, 7 fractional digits, no zone (naive values count as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def format_timestamp(moment: datetime) -> str:
    """The signed timestamp: .NET's round-trip format, e.g. 2014-09-10T17:28:08.3227351Z."""
    return format_datetime(moment) + "Z"


def signature(api_key: str, method: str, request_id: str, timestamp: str, path: str, body_text: str) -> str:
    """Base64 HMAC-SHA512 of the vendor's six-line message, keyed with the key text itself."""
    message = "\n".join([method.upper(), request_id, timestamp, path.lower(), "", body_text])
    digest = hmac.new(api_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha512).digest()
    return base64.b64encode(digest).decode("ascii")


def _new_request_id() -> str:
    return str(uuid.uuid4()).lower()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IssuetrakSignature(httpx.Auth):
    """Sign each request as it is sent, so every retry carries a fresh id and timestamp."""

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        *,
        request_id: Callable[[], str] = _new_request_id,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._api_key = api_key
        self._request_id = request_id
        self._clock = clock

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        request_id = self._request_id()
        timestamp = format_timestamp(self._clock())
        path = urlparse(url).path
        return {
            REQUEST_ID_HEADER: request_id,
            TIMESTAMP_HEADER: timestamp,
            AUTHORIZATION_HEADER: signature(self._api_key, method, request_id, timestamp, path, body.decode("utf-8")),
        }

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        request.headers.update(self.headers(request.method, str(request.url), request.content))
        yield request


# --- Answers (DTOs), by Issuetrak's field names ------------------------------------------------
UserRef = str | int  # a user is named by their UserID, text on every site seen so far


class NoteDTO(Dto):
    note_id: int | None = Field(None, alias="NoteID")
    issue_number: int = Field(alias="IssueNumber")
    text: Loose[str] = Field(None, alias="NoteText")
    rich: Loose[bool] = Field(None, alias="IsRichText")
    created_by: Loose[str] = Field(None, alias="CreatedBy")
    created_date: Moment = Field(None, alias="CreatedDate")
    private: Loose[bool] = Field(None, alias="IsPrivate")


class IssueDTO(Dto):
    number: int = Field(alias="IssueNumber")
    subject: Loose[str] = Field(None, alias="Subject")
    description: Loose[str] = Field(None, alias="Description")
    rich: Loose[bool] = Field(None, alias="IsDescriptionRichText")
    status: Loose[str] = Field(None, alias="Status")
    priority_id: Loose[int] = Field(None, alias="PriorityID")
    substatus_id: Loose[int] = Field(None, alias="SubStatusID")
    issue_type_id: Loose[int] = Field(None, alias="IssueTypeID")
    assigned_to: Loose[UserRef] = Field(None, alias="AssignedTo")
    next_action_to: Loose[UserRef] = Field(None, alias="NextActionTo")
    submitted_by: Loose[UserRef] = Field(None, alias="SubmittedBy")
    submitted_date: Moment = Field(None, alias="SubmittedDate")
    target_date: Moment = Field(None, alias="TargetDate")
    closed_date: Moment = Field(None, alias="ClosedDate")
    project_id: Loose[int] = Field(None, alias="ProjectID")
    organization_id: Loose[int] = Field(None, alias="OrganizationID")
    notes: list[NoteDTO] | None = Field(None, alias="Notes")


class EnvelopeDTO(Dto):
    """The paging envelope around a list answer."""

    collection: list[Any] | None = Field(None, alias="Collection")


class IssueSearchDTO(EnvelopeDTO):
    """SearchIssueDTO's answer: one page of issues in the paging envelope."""

    page_index: int | None = Field(None, alias="PageIndex")
    page_size: int | None = Field(None, alias="PageSize")
    total: int = Field(alias="TotalCount")


class ProjectDTO(Dto):
    project_id: int = Field(alias="ProjectID")  # the one number a card shows and a person types (not ProjectNumber)
    title: Loose[str] = Field(None, alias="Title")
    status: Loose[str] = Field(None, alias="Status")
    percent: Loose[float] = Field(None, alias="PercentCompleted")
    open_date: Day = Field(None, alias="OpenDate")
    target_date: Day = Field(None, alias="TargetDate")
    close_date: Day = Field(None, alias="CloseDate")
    budget_estimated: Loose[float] = Field(None, alias="EstimatedBudget")
    budget_actual: Loose[float] = Field(None, alias="ActualBudget")
    hours_estimated: Loose[float] = Field(None, alias="EstimatedHours")
    hours_actual: Loose[float] = Field(None, alias="ActualHours")
    manager: Loose[UserRef] = Field(None, alias="ProjectManager")


class UserDTO(Dto):
    user_id: UserRef = Field(alias="UserID")
    user_name: Loose[str] = Field(None, alias="UserName")
    first_name: Loose[str] = Field(None, alias="FirstName")
    last_name: Loose[str] = Field(None, alias="LastName")
    email: Loose[str] = Field(None, alias="EmailAddress")
    active: Loose[bool] = Field(None, alias="IsActive")
    organization_id: Loose[int] = Field(None, alias="OrganizationID")  # inferred: docs/trackers.md


class LookupDTO(Dto):
    """One lookup entry; each lookup list names its two fields its own way (LOOKUPS)."""

    id: int
    name: Loose[str] = None


_LooseText: TypeAlias = Loose[str]
LOOKUP_DTOS: dict[str, type[LookupDTO]] = {
    path: create_model(
        f"{path.capitalize()}DTO",
        __base__=LookupDTO,
        id=(int, Field(alias=id_field)),
        name=(_LooseText, Field(None, alias=name_field)),
    )
    for path, (id_field, name_field) in LOOKUPS.items()
}


# --- Text -------------------------------------------------------------------------------------
class _HtmlText(HTMLParser):
    """Rich text (HTML) to plain text: tags dropped, blocks on their own lines, links kept."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._link: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("• ")
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(("http://", "https://")):
            self._link = (href, len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self._link is not None:
            href, start = self._link
            if href not in "".join(self.parts[start:]):
                self.parts.append(f" ({href})")
            self._link = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(value: object, *, rich: bool = False) -> str | None:
    """Decode a stored Issuetrak text once: entities always, tags too when it is rich text."""
    if not isinstance(value, str):
        return None
    if not rich:
        return html.unescape(value)
    parser = _HtmlText()
    parser.feed(value)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _collection(tracker: str, model: type[M], body: object) -> list[M]:
    """The items of a list answer: the paging envelope's Collection (or a bare list)."""
    items = (parse(tracker, EnvelopeDTO, body).collection or []) if isinstance(body, dict) else body
    return parse_rows(tracker, model, items)


def _filter_value(value: FilterValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _expression(condition: SearchFilter, joined_by: Joined) -> dict[str, Any]:
    field, operation, value = condition
    return {
        "FieldName": field,
        "FieldFilterValue1": _filter_value(value),
        "FieldFilterValue2": None,
        "QueryExpressionOperation": operation,
        "QueryExpressionOperator": joined_by,
    }


def text_contains(word: str) -> list[SearchFilter]:
    """A word in the subject or the description, as Issuetrak stores them (HTML-encoded: `R&D`
    is stored `R&amp;D`, so that is what is looked for); a group for `any_of`."""
    stored = html.escape(word, quote=False)
    return [("Subject", "Contains", stored), ("Description", "Contains", stored)]


@dataclass(frozen=True)
class _Names:
    types: dict[int, str]
    priorities: dict[int, str]
    substatuses: dict[int, str]
    people: dict[str, str]

    def person(self, user_id: UserRef | None) -> str | None:
        return self.people.get(str(user_id), str(user_id)) if user_id else None


class IssuetrakSettings(TrackerSettings):
    label = TrackerName.ISSUETRAK.label
    switch = "ISSUETRAK_URL"
    needs = ("ISSUETRAK_URL", "ISSUETRAK_API_KEY")

    ISSUETRAK_URL: str | None = None
    ISSUETRAK_API_KEY: SecretStr | None = None
    # Issue fields disabled on the Issuetrak site: left out of every update (seed 001's sample site's three)
    ISSUETRAK_DISABLED_FIELDS: str = "CauseID,DepartmentID,IssueSubType4ID"


class IssuetrakClient:
    """Issues, notes, projects, users and lookups of one Issuetrak site."""

    tracker = TrackerName.ISSUETRAK
    name = TrackerName.ISSUETRAK.label
    lists_statuses = True  # ProjectSource: the project list carries every status
    finds_statuses = True

    @classmethod
    def from_settings(
        cls, settings: IssuetrakSettings, options: HttpOptions | None, transport: httpx.AsyncBaseTransport | None
    ) -> IssuetrakClient:
        return cls(
            settings.ISSUETRAK_URL or "",
            secret(settings.ISSUETRAK_API_KEY),
            options=options,
            transport=transport,
            disabled_fields=id_set(settings.ISSUETRAK_DISABLED_FIELDS),
        )

    def __init__(
        self,
        url: str,
        api_key: str | SecretStr,
        *,
        options: HttpOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        disabled_fields: Collection[str] = DISABLED_IN_SAMPLE,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self.disabled_fields = frozenset(disabled_fields)  # left out of every update (ISSUETRAK_DISABLED_FIELDS)
        self.api_url = url.rstrip("/")
        self.site_url = re.sub(r"/api/v1$", "", self.api_url, flags=re.IGNORECASE)
        self.http = TrackerHTTP(self.name, self.api_url, IssuetrakSignature(key), options=options, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def ping(self) -> str:
        """One uncached signed call: proves the URL and the key."""
        count = len(await self._load_projects())
        return f"{count} project{'' if count == 1 else 's'}"

    def issue_url(self, number: int) -> str:
        return f"{self.site_url}/{ISSUE_PAGE.format(number=number)}"

    def project_url(self, project_id: int) -> str:
        return f"{self.site_url}/{PROJECT_PAGE.format(project_id=project_id)}"

    # --- pasted links (LinkSource) --------------------------------------------------------------
    def page_of(self, url: str) -> Page | None:
        """An issue or project page of this site (`Issue_View.asp?ID=n`, `Project_View.asp?ID=n`
        under the site root), else None."""
        found = below(url, self.site_url)
        kind = _PAGE_KINDS.get(found.path.casefold()) if found else None
        ref = found.one("ID") if found else None
        if kind is None or not is_number(ref):
            return None
        return Page(tracker=self.tracker, kind=kind, ref=str(int(ref)), url=url)

    async def read_page(self, page: Page) -> Issue | ProjectStatus:
        """What the page shows, read afresh: the issue without its notes, or the project."""
        if page.kind is PageKind.ISSUE:
            return await self.get_issue(int(page.ref))
        return await self.get_project(int(page.ref))

    # --- issues -------------------------------------------------------------------------------
    async def get_issue(self, number: int, include_notes: bool = False) -> Issue:
        path = ISSUE.format(include_notes=str(include_notes).lower(), number=number)
        body, names = await asyncio.gather(  # side by side: one round trip even when the names are not cached
            self.http.get(path, not_found=f"Issue {number}", not_found_statuses=(400,)), self._names()
        )
        dto = parse(self.name, IssueDTO, body)
        return self._issue(dto, names)

    async def search_issues(
        self,
        *,
        filters: Sequence[SearchFilter] = (),
        page_index: int = 0,
        page_size: int = 50,
        order_by: str = "IssueNumber",
        descending: bool = True,
        any_of: Sequence[Sequence[SearchFilter]] = (),
        include_notes: bool = False,
    ) -> IssuePage:
        """One page of a SearchIssueDTO query: the filters ANDed together, and with them each group
        of `any_of`, a group matching when any of its filters does (one query set per group, its
        expressions joined by Or). One POST, whatever the query; `include_notes` asks for each
        issue's notes in the same answer (`CanIncludeNotes`)."""
        groups: list[tuple[Sequence[SearchFilter], Joined]] = [(filters, "And"), *((group, "Or") for group in any_of)]
        sets = [
            {
                "QuerySetIndex": index,
                "QuerySetOperator": "And",
                "QuerySetExpressions": [_expression(one, joined_by) for one in group],
            }
            for index, (group, joined_by) in enumerate((g for g in groups if g[0]), start=1)
        ]
        query = {
            "CanIncludeNotes": include_notes,
            "PageIndex": page_index,
            "PageSize": page_size,
            "QueryOrderingDefinitions": [
                {"FieldName": order_by, "QueryOrderingDirection": "Desc" if descending else "Asc"}
            ],
            "QuerySetDefinitions": sets,
        }
        body = await self.http.request("POST", ISSUE_SEARCH, body=query, idempotent=True)
        page = parse(self.name, IssueSearchDTO, body)
        dtos = _collection(self.name, IssueDTO, body)
        names = await self._names()
        return IssuePage(
            issues=[self._issue(dto, names) for dto in dtos],
            page_index=page_index if page.page_index is None else page.page_index,
            page_size=page_size if page.page_size is None else page.page_size,
            total=page.total,
        )

    async def iter_issues(
        self,
        *,
        filters: Sequence[SearchFilter] = (),
        page_size: int = 50,
        order_by: str = "IssueNumber",
        descending: bool = True,
    ) -> AsyncIterator[Issue]:
        """Every issue matching the filters, page after page."""
        page_index = 0
        while True:
            page = await self.search_issues(
                filters=filters, page_index=page_index, page_size=page_size, order_by=order_by, descending=descending
            )
            for issue in page.issues:
                yield issue
            if not page.issues or not page.has_more:
                return
            page_index += 1

    async def search_all(self, **query: Any) -> list[Issue]:
        """`iter_issues` collected into a list (same keyword arguments)."""
        return [issue async for issue in self.iter_issues(**query)]

    async def issue_activity(self, since: datetime, projects: Sequence[ProjectStatus] | None) -> IssueActivity:
        """IssueSource: every issue submitted or closed after `since`, and every open one, of the
        whole site or of `projects`, page after page."""
        bases: list[list[SearchFilter]] = (
            [[("ProjectID", "Equal", int(p.id))] for p in projects] if projects is not None else [[]]
        )
        opened, closed, still_open = await asyncio.gather(
            self._matching(bases, ("SubmittedDate", "GreaterThan", since)),
            self._matching(bases, ("ClosedDate", "GreaterThan", since)),
            self._matching(bases, ("Status", "Equal", "Open")),
        )
        return IssueActivity(opened=opened, closed=closed, still_open=still_open)

    async def _matching(self, bases: Sequence[list[SearchFilter]], condition: SearchFilter) -> list[Issue]:
        """Every issue matching `condition` under any of the base filters."""
        pages = await asyncio.gather(
            *(self.search_all(filters=[*base, condition], page_size=ISSUE_PAGE_SIZE) for base in bases)
        )
        return [issue for page in pages for issue in page]

    async def create_issue(
        self,
        *,
        subject: str,
        description: str,
        issue_type_id: int,
        priority_id: int,
        submitted_by: str,
        organization_id: int | None = None,
        project_id: int | None = None,
    ) -> int:
        """Create an issue and return its number. `description` is HTML (rich text); the subject
        is plain text, HTML-encoded here the way Issuetrak's own forms store it. It is filed under
        `organization_id`, else the submitter's organization when Issuetrak names one, else the
        site's first organization."""
        if organization_id is None:
            organization_id = await self._organization_of(submitted_by)
        if organization_id is None:
            organizations = await self.organizations()
            if not organizations:
                raise InvalidInput(self.name, "the site has no organization to file the issue under")
            organization_id = int(organizations[0].id)
        dto = {
            "ShouldSuppressEmailForCreateOperation": True,
            "EnteredBy": submitted_by,
            "SubmittedBy": submitted_by,
            "SubmittedDate": format_datetime(_utc_now()),
            "Subject": html.escape(subject, quote=False),
            "Description": description,
            "IsDescriptionRichText": True,
            "IssueTypeID": issue_type_id,
            "PriorityID": priority_id,
            "OrganizationID": organization_id,
        }
        if project_id is not None:
            dto["ProjectID"] = project_id
        return self._new_id(await self.http.request("POST", ISSUES, body=dto))

    async def read_for_update(self, number: int) -> dict[str, Any]:
        """The issue as an UpdateIssueDTO (seed 001's steps 1 to 3): read without its notes, then
        stripped of what the update does not take."""
        path = ISSUE.format(include_notes="false", number=number)
        body = await self.http.get(path, not_found=f"Issue {number}", not_found_statuses=(400,))
        if not isinstance(body, dict):
            log.warning("%s answered an issue read with %s", self.name, type(body).__name__)
            raise Unavailable(self.name)
        parse(self.name, IssueDTO, body)  # it reads as an issue, or Unavailable
        return update_dto(body, self.disabled_fields)

    async def update_issue(self, dto: dict[str, Any]) -> None:
        """PUT the whole UpdateIssueDTO (step 5). Sent once: a PUT is never retried blindly (a
        later read tells whether it landed)."""
        number = dto.get("IssueNumber")
        await self.http.request(
            "PUT", ISSUES, body=dto, idempotent=False, not_found=f"Issue {number}", not_found_statuses=()
        )

    # --- notes --------------------------------------------------------------------------------
    async def notes_for_issue(self, number: int) -> list[Note]:
        body = await self.http.get(
            ISSUE_NOTES.format(number=number), not_found=f"Issue {number}", not_found_statuses=(400,)
        )
        return [self._note(dto) for dto in _collection(self.name, NoteDTO, body)]

    async def add_note(self, issue_number: int, html: str, created_by: str, *, private: bool = False) -> int:
        """Add an HTML note written as Issuetrak user `created_by`; returns the new NoteID.
        Sent once (a POST is never retried), without Issuetrak's notification emails."""
        dto = {
            "IssueNumber": issue_number,
            "NoteText": html,
            "CreatedBy": created_by,
            "CreatedDate": format_datetime(_utc_now()),
            "IsPrivate": private,
            "IsRichText": True,
            "ShouldSuppressEmailForCreateOperation": True,
        }
        return self._new_id(await self.http.request("POST", NOTES, body=dto))

    # --- projects -----------------------------------------------------------------------------
    async def get_project(self, project_id: int) -> ProjectStatus:
        body, names = await asyncio.gather(  # side by side, as for an issue
            self.http.get(PROJECT.format(project_id=project_id), not_found=f"Project {project_id}"), self._names()
        )
        return self._project(parse(self.name, ProjectDTO, body), names)

    async def list_projects(self) -> list[ProjectStatus]:
        return await self.http.reference("projects", self._load_projects)

    def names_one_project(self, ref: str) -> bool:
        """ProjectSource: a project ID (ASCII digits: "²" is a digit that int() refuses)."""
        return ref.isascii() and ref.isdigit()

    async def read_project(self, ref: str) -> ProjectStatus:
        if not self.names_one_project(ref):  # not an id this bot put on a card: a forged Refresh
            raise NotFound(self.name, "That project")
        return await self.get_project(int(ref))

    async def find_projects(self, words: str) -> list[ProjectStatus]:
        """Projects whose name holds `words` (any case), or whose ID (the number a card shows,
        `Issuetrak · 1`) is `words`."""
        needle = words.strip().lower()
        return [p for p in await self.list_projects() if needle in p.name.lower() or (p.key or "").lower() == needle]

    async def _load_projects(self) -> list[ProjectStatus]:
        body = await self.http.get(PROJECTS, not_found="The project list")
        dtos = _collection(self.name, ProjectDTO, body)
        names = await self._names()
        return [self._project(dto, names) for dto in dtos]

    # --- users --------------------------------------------------------------------------------
    async def list_users(self) -> list[Person]:
        return await self.http.reference("users", self._load_users)

    async def _load_users(self) -> list[Person]:
        body = await self.http.get(USERS, not_found="The user list")
        return [self._person(dto) for dto in _collection(self.name, UserDTO, body)]

    async def find_user_by_email(self, email: str) -> Person | None:
        """The user with this email (case-insensitive), an active one when there are several."""
        wanted = email.strip().casefold()
        matches = [person for person in await self.list_users() if (person.email or "").casefold() == wanted]
        return next((person for person in matches if person.active), matches[0] if matches else None)

    async def _organization_of(self, user_id: str) -> int | None:
        """The organization of the user `user_id`, from the users list (None: it names none)."""
        users = await self.list_users()
        return next((u.organization_id for u in users if u.id.casefold() == user_id.casefold()), None)

    async def get_user(self, user_id: str) -> Person:
        async def load() -> Person:
            path = USER.format(user_id=quote(user_id, safe=""))
            body = await self.http.get(path, not_found=f"User {user_id}")
            return self._person(parse(self.name, UserDTO, body))

        return await self.http.reference(("user", user_id), load)

    # --- lookups ------------------------------------------------------------------------------
    async def issue_types(self) -> list[Lookup]:
        return await self._lookup("issuetypes")

    async def priorities(self) -> list[Lookup]:
        return await self._lookup("priorities")

    async def substatuses(self) -> list[Lookup]:
        return await self._lookup("substatuses")

    async def organizations(self) -> list[Lookup]:
        return await self._lookup("organizations")

    async def _lookup(self, path: str) -> list[Lookup]:
        async def load() -> list[Lookup]:
            body = await self.http.get(path, not_found=f"The {path} list")
            return [
                Lookup(id=dto.id, name=_text(dto.name) or str(dto.id))
                for dto in _collection(self.name, LOOKUP_DTOS[path], body)
            ]

        return await self.http.reference(("lookup", path), load)

    async def _names(self) -> _Names:
        """What the IDs in issues and projects stand for: type and priority names, and people's
        names (an issue still reads when the users list cannot be had: its user IDs show instead)."""
        types, priorities, substatuses, people = await asyncio.gather(
            self.issue_types(), self.priorities(), self.substatuses(), self._people()
        )
        return _Names(
            {int(t.id): t.name for t in types},
            {int(p.id): p.name for p in priorities},
            {int(s.id): s.name for s in substatuses},
            people,
        )

    async def _people(self) -> dict[str, str]:
        try:
            return {user.id: user.name for user in await self.list_users()}
        except TrackerError as exc:
            log.info("%s users unavailable for names (%s)", self.name, type(exc).__name__)
            return {}

    # --- DTO -> model -------------------------------------------------------------------------
    def _new_id(self, body: Any) -> int:
        """Issuetrak answers a create with the new id as a bare JSON number."""
        if isinstance(body, bool) or not isinstance(body, (int, str)) or not str(body).strip().isdigit():
            log.warning("%s answered a create with %s instead of an id", self.name, type(body).__name__)
            raise Unavailable(self.name)
        return int(body)

    def _issue(self, dto: IssueDTO, names: _Names) -> Issue:
        return Issue(
            number=dto.number,
            subject=_text(dto.subject) or "",
            description=_text(dto.description, rich=bool(dto.rich)),
            status=dto.status,
            priority=None if dto.priority_id is None else names.priorities.get(dto.priority_id),
            issue_type=None if dto.issue_type_id is None else names.types.get(dto.issue_type_id),
            assignee=names.person(dto.assigned_to),
            next_action=names.person(dto.next_action_to),
            substatus=None if dto.substatus_id is None else names.substatuses.get(dto.substatus_id),
            priority_id=dto.priority_id,
            substatus_id=dto.substatus_id,
            assignee_id=None if dto.assigned_to in (None, "") else str(dto.assigned_to),
            next_action_id=None if dto.next_action_to in (None, "") else str(dto.next_action_to),
            submitted_by=names.person(dto.submitted_by),
            submitted_date=dto.submitted_date,
            target_date=dto.target_date,
            closed_date=dto.closed_date,
            project_id=dto.project_id or None,
            organization_id=dto.organization_id or None,
            url=self.issue_url(dto.number),
            notes=[self._note(note) for note in dto.notes or []],
            submitted_by_id=str(dto.submitted_by) if dto.submitted_by else None,
        )

    def _note(self, dto: NoteDTO) -> Note:
        return Note(
            id=dto.note_id,
            issue_number=dto.issue_number,
            text=_text(dto.text, rich=bool(dto.rich)) or "",
            created_by=dto.created_by,
            created_date=dto.created_date,
            is_private=dto.private is not False,  # public only when Issuetrak says so: unknown stays private
        )

    def _project(self, dto: ProjectDTO, names: _Names) -> ProjectStatus:
        return ProjectStatus(
            tracker=TrackerName.ISSUETRAK,
            id=str(dto.project_id),
            key=str(dto.project_id),  # as its page's URL and its buttons have it: one number everywhere
            name=_text(dto.title) or f"Project {dto.project_id}",
            status=dto.status,
            is_closed=dto.close_date is not None or (dto.status or "").lower() == "closed",
            percent_complete=dto.percent,
            open_date=dto.open_date,
            target_date=dto.target_date,
            closed_date=dto.close_date,
            budget_estimated=dto.budget_estimated,
            budget_actual=dto.budget_actual,
            hours_estimated=dto.hours_estimated,
            hours_actual=dto.hours_actual,
            owner=names.person(dto.manager),
            url=self.project_url(dto.project_id),
        )

    def _person(self, dto: UserDTO) -> Person:
        user_id = str(dto.user_id)
        full_name = " ".join(part for part in (dto.first_name, dto.last_name) if part)
        return Person(
            id=user_id,
            name=_text(dto.user_name) or full_name or user_id,
            email=dto.email or None,
            active=dto.active is not False,
            organization_id=dto.organization_id or None,
        )
