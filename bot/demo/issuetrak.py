"""Issuetrak REST API v1 contract server, with a small IT/creative studio's help desk as demo data.

Strict where the real API is: every request must carry a valid HMAC signature over the raw bytes
and lowercased path, a fresh request id and a 7-digit UTC timestamp within the allowed skew
(401 with {"Message": ...} otherwise); a missing issue or note is 400, a missing project or user
404, a non-numeric id 422. Text is stored HTML-encoded, as Issuetrak's web forms store it.

An update (`PUT /issues`) must be the UpdateIssueDTO of seed 001's sample: a field the sample
removes (or one disabled on the site, or one no issue has) is refused with 400, and every field
the PUT does not name keeps its value. `faults.hold("PUT")` holds the next update at the gate
while a test edits the issue.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import operator
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.demo.knobs import DemoTracker, Faults
from bot.trackers.issuetrak import (
    AUTHORIZATION_HEADER,
    DISABLED_IN_SAMPLE,
    LOOKUPS,
    NOT_ON_UPDATE,
    NOT_ON_UPDATE_UDF,
    REQUEST_ID_HEADER,
    TIMESTAMP_HEADER,
    format_datetime,
    format_timestamp,
    parse_datetime,
    signature,
)

log = logging.getLogger(__name__)

DEMO_API_KEY = "ZGVtby1rZXktZm9yLXRoZS1pc3N1ZXRyYWstY29udHJhY3Q="  # base64 text, like the KeyTool's
INT_MAX = 2147483647
DENIED = "Authorization has been denied for this request."
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")
_OPERATIONS = ("Equal", "NotEqual", "Contains", "GreaterThan", "LessThan")
_INT_FIELDS = frozenset(
    {"IssueNumber", "ProjectID", "PriorityID", "IssueTypeID", "SubStatusID", "OrganizationID", "SeverityID"}
)
_DATE_FIELDS = frozenset({"SubmittedDate", "ClosedDate", "TargetDate", "RequiredByDate"})
_SEARCHABLE = (
    _INT_FIELDS
    | _DATE_FIELDS
    | {
        "Subject",
        "Description",
        "Status",
        "AssignedTo",
        "NextActionTo",
        "SubmittedBy",
        "EnteredBy",
        "ClosedBy",
        "LocationID",
    }
)


@dataclass
class IssuetrakState:
    """The site's data (DTO-shaped dicts, as stored) and what the server saw."""

    api_key: str = DEMO_API_KEY
    prefix: str = "/helpdesk/api/v1"  # virtual folders, so signed paths are exercised
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    projects: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    lookups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    received: list[tuple[str, str, bytes]] = field(default_factory=list)  # (method, path, body)
    seen_request_ids: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # why each 401 was given
    clock_skew: float = 300.0
    faults: Faults = field(default_factory=Faults)  # injected failures come after the signature check
    disabled_fields: frozenset[str] = frozenset(DISABLED_IN_SAMPLE)  # refused in an update, as on the sample site
    demo: bool = True  # fill every empty collection with the demo studio
    # Each search's ordered matches, kept for its later pages (None, the default: every page
    # searches afresh). Only for a state whose issues change through this server's own writes,
    # which empty it, or whose owner empties it after changing them (a benchmark of 10,000 issues).
    searches: dict[str, list[dict[str, Any]]] | None = None

    def __post_init__(self) -> None:
        if self.demo:
            for name, value in _demo_data(self.created).items():
                if not getattr(self, name):
                    setattr(self, name, value)

    def active_user(self, user_id: object) -> bool:
        user = self.users.get(str(user_id))
        return user is not None and bool(user.get("IsActive"))

    def lookup_exists(self, path: str, value: object) -> bool:
        id_field = LOOKUPS[path][0]
        return any(item[id_field] == value for item in self.lookups.get(path, []))


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"Message": message}, status_code=status)


def _dto(record: dict[str, Any]) -> dict[str, Any]:
    query_date = format_timestamp(datetime.now(UTC))
    metadata = [{"Key": "APIVersion", "Value": "v1"}, {"Key": "QueryDate", "Value": query_date}]
    return {"ExtensionData": [], "Metadata": metadata, **record}


def _envelope(
    items: list[dict[str, Any]], *, page_index: int = 0, page_size: int = INT_MAX, total: int | None = None
) -> dict[str, Any]:
    return {
        "IsPageIndexZeroBased": True,
        "PageIndex": page_index,
        "CountForPage": len(items),
        "PageSize": page_size,
        "TotalCount": len(items) if total is None else total,
        "Collection": items,
    }


def _number(text: str, what: str) -> int:
    """A numeric path id: 422 when not a number, 400 when not positive (the vendor's codes)."""
    if not re.fullmatch(r"-?\d+", text):
        raise _ApiError(422, f"The value '{text}' is not a valid {what}.")
    value = int(text)
    if value <= 0:
        raise _ApiError(400, f"The {what} must be a positive integer.")
    return value


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise _ApiError(400, "The request is invalid.") from None
    if not isinstance(value, dict):
        raise _ApiError(400, "The request is invalid.")
    return value


Handler = Callable[[Request, bytes], Awaitable[Response]]


class _Api:
    def __init__(self, state: IssuetrakState) -> None:
        self.state = state

    # --- the gate every request passes ----------------------------------------------------------
    def endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            state = self.state
            body = await request.body()
            state.received.append((request.method, request.url.path, body))
            await state.faults.delay()
            refusal = self._refusal(request, body)
            if refusal:
                state.refusals.append(refusal)
                log.info("Issuetrak demo refused a request: %s", refusal)
                return _error(401, DENIED)
            state.seen_request_ids.append(request.headers[REQUEST_ID_HEADER])
            await state.faults.held(request.method)
            if (status := state.faults.injected()) is not None:
                return _error(status, "An error has occurred.")
            if (
                request.method in ("POST", "PUT")
                and request.headers.get("content-type", "").split(";")[0] != "application/json"
            ):
                return _error(415, "The request entity's media type is not supported for this resource.")
            try:
                return await handler(request, body)
            except _ApiError as exc:
                return _error(exc.status, exc.message)

        return run

    def _refusal(self, request: Request, body: bytes) -> str | None:
        """Why this request must be refused, or None: the vendor's HMAC scheme, checked strictly."""
        request_id = request.headers.get(REQUEST_ID_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        given = request.headers.get(AUTHORIZATION_HEADER)
        if not (request_id and timestamp and given):
            return "missing authorization header"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "timestamp not in the 7-digit UTC format"
        sent = datetime.strptime(timestamp[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - sent).total_seconds()) > self.state.clock_skew:
            return "timestamp outside the allowed clock skew"
        if request_id in self.state.seen_request_ids:
            return "replayed request id"
        try:
            body_text = body.decode("utf-8")
        except UnicodeDecodeError:
            return "body is not UTF-8"
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        path = raw_path.decode("latin-1").split("?")[0]
        expected = signature(self.state.api_key, request.method, request_id, timestamp, path, body_text)
        if not hmac.compare_digest(expected, given):
            return "signature mismatch"
        return None

    # --- issues ---------------------------------------------------------------------------------
    def _issue(self, number: int) -> dict[str, Any]:
        issue = self.state.issues.get(number)
        if issue is None:
            raise _ApiError(400, f"Issue {number} does not exist.")
        return issue

    def _issue_dto(self, issue: dict[str, Any], include_notes: bool) -> dict[str, Any]:
        notes = None
        if include_notes:
            notes = [_dto(n) for n in self.state.notes.values() if n["IssueNumber"] == issue["IssueNumber"]]
        return _dto({**issue, "Notes": notes})

    async def get_issue(self, request: Request, _body: bytes) -> Response:
        include = request.path_params["include_notes"].lower()
        if include not in ("true", "false"):
            raise _ApiError(400, "includeNotes must be true or false.")
        number = _number(request.path_params["number"], "issue number")
        return JSONResponse(self._issue_dto(self._issue(number), include == "true"))

    def _changed(self) -> None:
        """An issue was made or changed: every kept search is out of date."""
        if self.state.searches is not None:
            self.state.searches.clear()

    def _matches(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """The issues a search's filters match, in its order (kept in `state.searches` when it keeps them)."""
        memo = self.state.searches
        key = json.dumps([query.get("QuerySetDefinitions"), query.get("QueryOrderingDefinitions")], sort_keys=True)
        if memo is not None and key in memo:
            return memo[key]
        matching = _matches(query.get("QuerySetDefinitions") or [])
        matches = [i for i in self.state.issues.values() if matching(i)]
        for ordering in reversed(query.get("QueryOrderingDefinitions") or []):
            name = _field(ordering.get("FieldName"))
            direction = ordering.get("QueryOrderingDirection")
            if direction not in ("Asc", "Desc"):
                raise _ApiError(400, f"Unknown QueryOrderingDirection {direction!r}.")
            present = sorted((i for i in matches if i.get(name) is not None), key=lambda i: _typed(name, i[name]))
            absent = [i for i in matches if i.get(name) is None]
            matches = present[::-1] + absent if direction == "Desc" else present + absent
        if memo is not None:
            if len(memo) >= 256:
                memo.clear()
            memo[key] = matches
        return matches

    async def search_issues(self, _request: Request, body: bytes) -> Response:
        query = _json_object(body)
        page_index, page_size = query.get("PageIndex", 0), query.get("PageSize", 10)
        if not isinstance(page_index, int) or not isinstance(page_size, int) or page_index < 0 or page_size < 1:
            raise _ApiError(400, "PageIndex must be 0 or more and PageSize 1 or more.")
        matches = self._matches(query)
        page = matches[page_index * page_size : (page_index + 1) * page_size]
        include = query.get("CanIncludeNotes") is True
        items = [self._issue_dto(issue, include) for issue in page]
        return JSONResponse(_envelope(items, page_index=page_index, page_size=page_size, total=len(matches)))

    async def create_issue(self, _request: Request, body: bytes) -> Response:
        dto = _json_object(body)
        subject = dto.get("Subject")
        if not isinstance(subject, str) or not subject.strip():
            raise _ApiError(400, "Subject is required.")
        for key in ("SubmittedBy", "EnteredBy"):
            if not self.state.active_user(dto.get(key)):
                raise _ApiError(400, f"{key} must be an active user.")
        references = (("IssueTypeID", "issuetypes"), ("PriorityID", "priorities"), ("OrganizationID", "organizations"))
        for key, path in references:
            if not self.state.lookup_exists(path, dto.get(key)):
                raise _ApiError(400, f"{key} {dto.get(key)!r} does not exist.")
        project = dto.get("ProjectID")
        if project is not None and project not in self.state.projects:
            raise _ApiError(400, f"ProjectID {project!r} does not exist.")
        number = max(self.state.issues, default=0) + 1
        submitted = parse_datetime(dto.get("SubmittedDate")) or datetime.now(UTC)
        self._changed()
        self.state.issues[number] = _issue_record(
            number,
            subject,
            str(dto.get("Description") or ""),
            submitted=submitted,
            submitted_by=dto["SubmittedBy"],
            type_id=dto["IssueTypeID"],
            priority_id=dto["PriorityID"],
            organization_id=dto["OrganizationID"],
            project_id=project,
            rich=dto.get("IsDescriptionRichText") is True,
        )
        return JSONResponse(number)

    async def update_issue(self, _request: Request, body: bytes) -> Response:
        """PUT /issues: the UpdateIssueDTO, checked field by field; the fields it names replace
        the stored ones, the others stay."""
        dto = _json_object(body)
        number = dto.get("IssueNumber")
        if not isinstance(number, int) or isinstance(number, bool) or number not in self.state.issues:
            raise _ApiError(400, f"Issue {number} does not exist.")
        stored = self.state.issues[number]
        for key in dto:
            if key in NOT_ON_UPDATE:
                raise _ApiError(400, f"{key} is not a field of UpdateIssueDTO.")
            if key in self.state.disabled_fields:
                raise _ApiError(400, f"{key} is disabled on this site.")
            if key not in stored:
                raise _ApiError(400, f"Unknown field {key}.")
        for udf in dto.get("UserDefinedFields") or []:
            if not isinstance(udf, dict) or any(key in udf for key in NOT_ON_UPDATE_UDF):
                raise _ApiError(400, "A user-defined field of an update takes only UserDefinedFieldID and Value.")
        changed = {**dto}
        self._check_update(changed)
        stored.update(changed)
        self._changed()
        return JSONResponse(number)

    def _check_update(self, dto: dict[str, Any]) -> None:
        """The values an update names must be ones the site knows; dates are stored in its format."""
        subject = dto.get("Subject", "kept")
        if not isinstance(subject, str) or not subject.strip():
            raise _ApiError(400, "Subject is required.")
        for key in ("AssignedTo", "NextActionTo"):
            if dto.get(key) not in (None, "") and not self.state.active_user(dto[key]):
                raise _ApiError(400, f"{key} must be an active user.")
        for key, path, optional in (("PriorityID", "priorities", False), ("SubStatusID", "substatuses", True)):
            if key in dto and not (optional and dto[key] is None) and not self.state.lookup_exists(path, dto[key]):
                raise _ApiError(400, f"{key} {dto[key]!r} does not exist.")
        for key in _DATE_FIELDS & dto.keys():
            if dto[key] is not None:
                moment = parse_datetime(dto[key])
                if moment is None:
                    raise _ApiError(400, f"{key} needs a date.")
                dto[key] = format_datetime(moment)

    # --- notes ----------------------------------------------------------------------------------
    async def notes_for_issue(self, request: Request, _body: bytes) -> Response:
        number = self._issue(_number(request.path_params["number"], "issue number"))["IssueNumber"]
        notes = [_dto(note) for note in self.state.notes.values() if note["IssueNumber"] == number]
        return JSONResponse(_envelope(notes))

    async def get_note(self, request: Request, _body: bytes) -> Response:
        note_id = _number(request.path_params["note_id"], "note id")
        note = self.state.notes.get(note_id)
        if note is None:
            raise _ApiError(400, f"Note {note_id} does not exist.")
        return JSONResponse(_dto(note))

    async def create_note(self, _request: Request, body: bytes) -> Response:
        dto = _json_object(body)
        number = dto.get("IssueNumber")
        if not isinstance(number, int) or number not in self.state.issues:
            raise _ApiError(400, f"Issue {number} does not exist.")
        if not self.state.active_user(dto.get("CreatedBy")):
            raise _ApiError(400, f"CreatedBy {dto.get('CreatedBy')!r} is not an active user.")
        text = dto.get("NoteText")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "NoteText is required.")
        note_id = max(self.state.notes, default=0) + 1
        created = parse_datetime(dto.get("CreatedDate")) or datetime.now(UTC)
        self.state.notes[note_id] = _note_record(
            note_id,
            number,
            text,
            dto["CreatedBy"],
            created,
            private=dto.get("IsPrivate") is True,
            rich=dto.get("IsRichText") is True,
        )
        return JSONResponse(note_id)

    # --- projects, users, lookups ---------------------------------------------------------------
    async def list_projects(self, _request: Request, _body: bytes) -> Response:
        return JSONResponse(_envelope([_dto(p) for p in self.state.projects.values()]))

    async def get_project(self, request: Request, _body: bytes) -> Response:
        project_id = _number(request.path_params["project_id"], "project id")
        project = self.state.projects.get(project_id)
        if project is None:
            raise _ApiError(404, f"Project {project_id} was not found.")
        return JSONResponse(_dto(project))

    async def list_users(self, _request: Request, _body: bytes) -> Response:
        return JSONResponse(_envelope([_dto(u) for u in self.state.users.values()]))

    async def get_user(self, request: Request, _body: bytes) -> Response:
        user = self.state.users.get(request.path_params["user_id"])
        if user is None:
            raise _ApiError(404, "The user was not found.")
        return JSONResponse(_dto(user))

    def lookup(self, path: str) -> Handler:
        async def answer(_request: Request, _body: bytes) -> Response:
            return JSONResponse(_envelope([_dto(item) for item in self.state.lookups.get(path, [])]))

        return answer


# --- search ---------------------------------------------------------------------------------------
def _field(name: object) -> str:
    if not isinstance(name, str) or name not in _SEARCHABLE:
        raise _ApiError(400, f"Unknown field {name!r}.")
    return name


def _typed(name: str, value: object) -> Any:
    """A stored value or a filter string, as the field's type (400 when it cannot be)."""
    if name in _INT_FIELDS:
        try:
            return int(str(value))
        except ValueError:
            raise _ApiError(400, f"{name} needs a number.") from None
    if name in _DATE_FIELDS:
        moment = _moment(value) if isinstance(value, str) else parse_datetime(value)
        if moment is None:
            raise _ApiError(400, f"{name} needs a date.")
        return moment
    return str(value).casefold()


@functools.lru_cache(maxsize=65_536)
def _moment(text: str) -> datetime | None:
    """A date as stored or sent, parsed once (a search compares every issue's)."""
    return parse_datetime(text)


Test = Callable[[dict[str, Any]], bool]
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equal": operator.eq,
    "NotEqual": operator.ne,
    "GreaterThan": operator.gt,
    "LessThan": operator.lt,
}


def _expression(expression: dict[str, Any]) -> Test:
    """One filter expression as a test of an issue, read once for a whole search (400 for a field
    or an operation Issuetrak does not know; for a value that is not the field's type, at its use)."""
    name = _field(expression.get("FieldName"))
    operation = expression.get("QueryExpressionOperation")
    if operation not in _OPERATIONS:
        raise _ApiError(400, f"Unknown QueryExpressionOperation {operation!r}.")
    wanted = expression.get("FieldFilterValue1")
    typed: list[Any] = []  # the wanted value as the field's type, made at its first use

    def test(issue: dict[str, Any]) -> bool:
        stored = issue.get(name)
        if stored is None or wanted is None:  # null only compares (not) equal to null
            both_null = stored is None and wanted is None
            return {"Equal": both_null, "NotEqual": not both_null}.get(operation, False)
        if operation == "Contains":
            return str(wanted).casefold() in str(stored).casefold()
        left = _typed(name, stored)
        if not typed:
            typed.append(_typed(name, wanted))
        return bool(_COMPARISONS[operation](left, typed[0]))

    return test


def _combine(parts: list[tuple[object, Test]]) -> Test:
    """Tests folded left to right, each joined to the previous by its own And/Or (every test
    run, as Issuetrak evaluates every expression)."""
    for joiner, _ in parts:
        if joiner not in ("And", "Or"):
            raise _ApiError(400, f"Unknown operator {joiner!r}.")

    def test(issue: dict[str, Any]) -> bool:
        outcome = True
        for index, (joiner, value) in enumerate([(joiner, part(issue)) for joiner, part in parts]):
            outcome = value if index == 0 else (outcome and value if joiner == "And" else outcome or value)
        return outcome

    return test


def _matches(sets: list[dict[str, Any]]) -> Test:
    """A search's `QuerySetDefinitions` as one test of an issue."""
    return _combine(
        [
            (
                query_set.get("QuerySetOperator"),
                _combine(
                    [
                        (expression.get("QueryExpressionOperator"), _expression(expression))
                        for expression in query_set.get("QuerySetExpressions") or []
                    ]
                ),
            )
            for query_set in sorted(sets, key=lambda s: s.get("QuerySetIndex", 0))
        ]
    )


# --- records, shaped like the DTOs Issuetrak stores -----------------------------------------------
def _issue_record(
    number: int,
    subject: str,
    description: str,
    *,
    submitted: datetime,
    submitted_by: str,
    type_id: int,
    priority_id: int,
    organization_id: int = 1,
    assigned_to: str | None = None,
    target: datetime | None = None,
    closed: datetime | None = None,
    closed_by: str | None = None,
    project_id: int | None = None,
    substatus_id: int | None = None,
    rich: bool = False,
) -> dict[str, Any]:
    def stamp(moment: datetime | None) -> str | None:
        return format_datetime(moment) if moment else None

    return {
        "IssueNumber": number,
        "Subject": subject,
        "Description": description,
        "IsDescriptionRichText": rich,
        "Status": "Closed" if closed else "Open",
        "SubStatusID": substatus_id,
        "IssueTypeID": type_id,
        "IssueSubTypeID": 0,
        "IssueSubType2ID": 0,
        "IssueSubType3ID": 0,
        "IssueSubType4ID": None,
        "PriorityID": priority_id,
        "SeverityID": None,
        "SubmittedBy": submitted_by,
        "SubmittedDate": stamp(submitted),
        "EnteredBy": submitted_by,
        "AssignedTo": assigned_to,
        "NextActionTo": assigned_to,
        "ClosedBy": closed_by,
        "ClosedDate": stamp(closed),
        "IssueSolution": None,
        "TargetDate": stamp(target),
        "RequiredByDate": None,
        "ProjectID": project_id,
        "OrganizationID": organization_id,
        "LocationID": "HQ",
        "DepartmentID": None,
        "ClassID": 1,
        "CauseID": None,
        "AssetNumber": 0,
        "SLAComplianceStatus": None,
        "Slaid": None,
        "UserDefinedFields": [],
        **{f"SpecialFunction{n}": None for n in range(1, 6)},
    }


def _note_record(
    note_id: int, number: int, text: str, by: str, created: datetime, *, private: bool = False, rich: bool = True
) -> dict[str, Any]:
    return {
        "NoteID": note_id,
        "IssueNumber": number,
        "CreatedDate": format_datetime(created),
        "CreatedBy": by,
        "ModifiedBy": None,
        "ModifiedDate": None,
        "NoteText": text,
        "IsPrivate": private,
        "IsRichText": rich,
    }


def _user(
    user_id: str, first: str, last: str, email: str, *, active: bool = True, organization_id: int | None = 1
) -> dict[str, Any]:
    return {
        "UserID": user_id,
        "UserName": f"{first} {last}",
        "FirstName": first,
        "LastName": last,
        "EmailAddress": email,
        "IsActive": active,
        "UserTypeID": 1,
        "OrganizationID": organization_id,
        "Phone": None,
        "TimeZoneID": "UTC",
    }


# Issuetrak's free-text ProjectNumber, 7 to 10 here, apart from the IDs 1 to 4: the bot shows and takes the ID alone
# (the number its page's URL has), so a number that differs from it must never reach a card.
DEMO_NUMBER_FROM = 6


def _project(
    project_id: int,
    title: str,
    manager: str,
    *,
    opened: datetime,
    target: datetime,
    percent: float,
    closed: datetime | None = None,
    hours: tuple[float, float | None] = (0, None),
    budget: tuple[float, float | None] = (0, None),
) -> dict[str, Any]:
    return {
        "ProjectID": project_id,
        "ProjectNumber": str(DEMO_NUMBER_FROM + project_id),
        "Title": title,
        "Description": None,
        "ProjectManager": manager,
        "OrganizationID": 1,
        "LocationID": "HQ",
        "Status": "Closed" if closed else "Open",
        "CloseDate": format_datetime(closed) if closed else None,
        "OpenDate": format_datetime(opened),
        "TargetDate": format_datetime(target),
        "IsExclusive": False,
        "CategoryID": None,
        "RequiredByDate": None,
        "EstimatedHours": hours[0],
        "ActualHours": hours[1],
        "EstimatedBudget": budget[0],
        "ActualBudget": budget[1],
        "PercentCompleted": percent,
        "SubStatusID": None,
    }


def _lookup(path: str, names: list[str]) -> list[dict[str, Any]]:
    id_field, name_field = LOOKUPS[path]
    return [
        {id_field: index, name_field: name, "DisplayOrder": index, "IsActive": True}
        for index, name in enumerate(names, start=1)
    ]


def _demo_data(now: datetime) -> dict[str, Any]:
    """A small studio's help desk, dated relative to `now` so a digest always has news."""
    day, hour = timedelta(days=1), timedelta(hours=1)
    users = [
        _user("amartin", "Alice", "Martin", "alice@example.com"),
        _user("bnguyen", "Bao", "Nguyen", "bao.nguyen@example.com"),
        _user("cdubois", "Camille", "Dubois", "camille.dubois@example.com"),
        _user("dokafor", "David", "Okafor", "david.okafor@example.com", organization_id=2),  # Northlight Post
        _user("esato", "Emi", "Sato", "emi.sato@example.com", active=False),
    ]
    issue = _issue_record
    issues = [
        issue(
            1001,
            "Render node rn-07 drops off the farm overnight",
            "Happens after ~6 h of rendering; logs attached.",
            submitted=now - 3 * day,
            submitted_by="cdubois",
            type_id=5,
            priority_id=3,
            assigned_to="dokafor",
            target=now + day,
            project_id=3,
            substatus_id=3,
        ),
        issue(
            1002,
            "VPN disconnects every 20 minutes",
            "Remote compositors lose the VPN from home.",
            submitted=now - 2 * day,
            submitted_by="bnguyen",
            type_id=3,
            priority_id=3,
            assigned_to="bnguyen",
            closed=now - 5 * hour,
            closed_by="bnguyen",
        ),
        issue(
            1003,
            "Replace &lt;broken&gt; Wacom tablet pen",
            "Pen tip worn &amp; side button stuck.",
            submitted=now - 6 * hour,
            submitted_by="cdubois",
            type_id=1,
            priority_id=2,
            assigned_to="amartin",
        ),
        issue(
            1004,
            "Access to the Finance share for the new producer",
            "Read-only is enough.",
            submitted=now - 2 * hour,
            submitted_by="amartin",
            type_id=4,
            priority_id=2,
        ),
        issue(
            1005,
            "Nuke license server not responding",
            "<p>All seats show <b>no license</b>.</p>",
            submitted=now - 26 * hour,
            submitted_by="dokafor",
            organization_id=2,
            type_id=2,
            priority_id=4,
            assigned_to="bnguyen",
            closed=now - 20 * hour,
            closed_by="bnguyen",
            rich=True,
        ),
        issue(
            1006,
            "Storage quota warning on the /projects volume",
            "92% used, grows 1%/day.",
            submitted=now - 8 * day,
            submitted_by="bnguyen",
            type_id=1,
            priority_id=3,
            assigned_to="dokafor",
            target=now - 2 * day,
        ),
        issue(
            1007,
            "New starter laptop: Jordan Lee",
            "MacBook Pro, Adobe CC, VPN profile.",
            submitted=now - 10 * day,
            submitted_by="amartin",
            type_id=1,
            priority_id=2,
            assigned_to="amartin",
            target=now + 3 * day,
            project_id=1,
        ),
        issue(
            1008,
            "Printer on the 2nd floor jams on A3",
            "Tray 2 only.",
            submitted=now - 14 * day,
            submitted_by="cdubois",
            type_id=1,
            priority_id=1,
            assigned_to="amartin",
            closed=now - 12 * day,
            closed_by="amartin",
        ),
        issue(
            1009,
            "Slack alerts for failed backups",
            "Post to #it-alerts when a nightly backup fails.",
            submitted=now - 30 * hour,
            submitted_by="bnguyen",
            type_id=2,
            priority_id=2,
            assigned_to="bnguyen",
            target=now + 5 * day,
        ),
        issue(
            1010,
            "Colour calibration for the grading suite",
            "Probe booked with the vendor.",
            submitted=now - 15 * day,
            submitted_by="dokafor",
            organization_id=2,
            type_id=1,
            priority_id=2,
            assigned_to="dokafor",
            target=now + 7 * day,
            project_id=4,
            substatus_id=2,
        ),
        issue(
            1011,
            "Email signature template update",
            "New logo &amp; address.",
            submitted=now - 4 * day,
            submitted_by="amartin",
            type_id=2,
            priority_id=1,
            assigned_to="cdubois",
            closed=now - 2 * day,
            closed_by="cdubois",
        ),
        issue(
            1012,
            "Asset sync script fails on accented names",
            "<p>Fails on <code>Café_Set_v02</code>.</p>",
            submitted=now - hour,
            submitted_by="cdubois",
            type_id=2,
            priority_id=3,
            rich=True,
        ),
    ]
    notes = [
        _note_record(1, 1001, "<p>Swapped the PSU; watching it tonight.</p>", "dokafor", now - 2 * day),
        _note_record(2, 1002, "<p>Pushed a new VPN profile &amp; keep-alive. Closing.</p>", "bnguyen", now - 5 * hour),
        _note_record(3, 1003, "Spare pens are on order.", "amartin", now - 3 * hour, rich=False),
        _note_record(4, 1006, "<p>Archived 2 TB of old dailies.</p>", "dokafor", now - 3 * day, private=True),
    ]
    projects = [
        _project(
            1,
            "Studio network refresh",
            "bnguyen",
            opened=now - 30 * day,
            target=now + 45 * day,
            percent=40,
            hours=(120, 50),
            budget=(18000, 7000),
        ),
        _project(
            2,
            "R&amp;D lab move",
            "amartin",
            opened=now - 90 * day,
            target=now - 5 * day,
            percent=85,
            hours=(80, 96),
            budget=(12000, 13500),
        ),
        _project(
            3,
            "Render farm expansion",
            "dokafor",
            opened=now - 60 * day,
            target=now + 10 * day,
            percent=20,
            hours=(200, 60),
            budget=(60000, 21000),
        ),
        _project(
            4,
            "Grading suite upgrade",
            "cdubois",
            opened=now - 120 * day,
            target=now - 20 * day,
            percent=100,
            closed=now - 25 * day,
            hours=(60, 58),
            budget=(25000, 24100),
        ),
    ]
    return {
        "users": {u["UserID"]: u for u in users},
        "issues": {i["IssueNumber"]: i for i in issues},
        "notes": {n["NoteID"]: n for n in notes},
        "projects": {p["ProjectID"]: p for p in projects},
        "lookups": {
            "issuetypes": _lookup(
                "issuetypes", ["Hardware &amp; Peripherals", "Software", "Network", "Access Request", "Render Farm"]
            ),
            "priorities": _lookup("priorities", ["Low", "Normal", "High", "Urgent"]),
            "substatuses": _lookup("substatuses", ["Waiting on Customer", "Waiting on Vendor", "In Progress"]),
            "organizations": _lookup("organizations", ["Northlight Studio", "Northlight Post"]),
        },
    }


def create_app(state: IssuetrakState | None = None) -> Starlette:
    """The contract server; its state is at `app.state.issuetrak`."""
    state = state or IssuetrakState()
    api = _Api(state)
    wrap = api.endpoint
    routes = [
        Route("/issues/search", wrap(api.search_issues), methods=["POST"]),
        Route("/issues", wrap(api.create_issue), methods=["POST"]),
        Route("/issues", wrap(api.update_issue), methods=["PUT"]),
        Route("/issues/{include_notes}/{number}", wrap(api.get_issue), methods=["GET"]),
        Route("/notes", wrap(api.create_note), methods=["POST"]),
        Route("/notes/issue/{number}", wrap(api.notes_for_issue), methods=["GET"]),
        Route("/notes/{note_id}", wrap(api.get_note), methods=["GET"]),
        Route("/projects", wrap(api.list_projects), methods=["GET"]),
        Route("/projects/{project_id}", wrap(api.get_project), methods=["GET"]),
        Route("/users/{include_photos}", wrap(api.list_users), methods=["GET"]),
        Route("/users/{user_id}/{include_photo}", wrap(api.get_user), methods=["GET"]),
        *(Route(f"/{path}", wrap(api.lookup(path)), methods=["GET"]) for path in LOOKUPS),
    ]
    app = Starlette(routes=[Mount(state.prefix, routes=routes)])
    app.state.issuetrak = state
    return app


def demo() -> DemoTracker:
    """The console's Issuetrak (bot/console/demo_trackers.py)."""
    state = IssuetrakState()
    return DemoTracker(
        state,
        create_app(state),
        {"ISSUETRAK_URL": f"http://issuetrak.demo{state.prefix}", "ISSUETRAK_API_KEY": SecretStr(state.api_key)},
    )
