"""Issuetrak signing: an independent test vector, and the contract server's refusals over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.trackers.errors import AuthenticationRefused, Unavailable
from bot.trackers.issuetrak import (
    AUTHORIZATION_HEADER,
    REQUEST_ID_HEADER,
    TIMESTAMP_HEADER,
    IssuetrakClient,
    IssuetrakSignature,
    format_datetime,
    parse_datetime,
    signature,
)
from tests.fixtures.issuetrak import FAST_RETRIES, IssuetrakServer

KEY = "dUd4ZzQ3dDNvM1lrYzFoY1lHYmh3anRjQkJHb1dBWWdWTHdOd25kZm9GQQ="  # the sample key in Issuetrak's "API Samples Overview" (docs/trackers.md)
FIXED_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
FIXED_TIME = datetime(2025, 3, 1, 9, 15, 2, 123456, tzinfo=UTC)


def expected_signature(message: str) -> str:
    digest = hmac.new(KEY.encode("utf-8"), message.encode("utf-8"), hashlib.sha512).digest()
    return base64.b64encode(digest).decode()


async def signed(request: httpx.Request, auth: httpx.Auth) -> httpx.Request:
    return await auth.async_auth_flow(request).__anext__()


def fixed_auth(key: str = KEY, *, at: datetime = FIXED_TIME) -> IssuetrakSignature:
    return IssuetrakSignature(key, request_id=lambda: FIXED_ID, clock=lambda: at)


async def test_post_signature_matches_an_independent_computation() -> None:
    body = '{"NoteText": "café ✓"}'.encode()
    request = httpx.Request("POST", "http://it.example.com/NestedSite1/Helpdesk/API/v1/notes", content=body)
    sent = await signed(request, fixed_auth())
    message = (
        "POST\n0f8fad5b-d9cb-469f-a165-70867728950e\n2025-03-01T09:15:02.1234560Z\n"
        '/nestedsite1/helpdesk/api/v1/notes\n\n{"NoteText": "café ✓"}'
    )
    assert sent.headers[AUTHORIZATION_HEADER] == expected_signature(message)
    assert sent.headers[REQUEST_ID_HEADER] == FIXED_ID
    assert sent.headers[TIMESTAMP_HEADER] == "2025-03-01T09:15:02.1234560Z"
    assert sent.content == body


async def test_get_signature_ends_with_empty_query_and_body() -> None:
    request = httpx.Request("GET", "https://it.example.com/api/v1/issues/true/1234?ignored=1")
    sent = await signed(request, fixed_auth())
    message = f"GET\n{FIXED_ID}\n2025-03-01T09:15:02.1234560Z\n/api/v1/issues/true/1234\n\n"
    assert sent.headers[AUTHORIZATION_HEADER] == expected_signature(message)
    assert sent.headers[AUTHORIZATION_HEADER] == signature(
        KEY, "get", FIXED_ID, "2025-03-01T09:15:02.1234560Z", "/API/v1/issues/true/1234", ""
    )


async def test_default_id_and_timestamp_follow_the_vendor_formats() -> None:
    auth = IssuetrakSignature(KEY)
    first = await signed(httpx.Request("GET", "http://h/api/v1/projects"), auth)
    second = await signed(httpx.Request("GET", "http://h/api/v1/projects"), auth)
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(uuid4, first.headers[REQUEST_ID_HEADER])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", first.headers[TIMESTAMP_HEADER])
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]


async def test_wrong_key_is_refused(issuetrak_server: IssuetrakServer) -> None:
    client = IssuetrakClient(issuetrak_server.url, "d3Jvbmcta2V5", options=FAST_RETRIES)
    try:
        with pytest.raises(AuthenticationRefused) as caught:
            await client.ping()
    finally:
        await client.aclose()
    assert issuetrak_server.state.refusals == ["signature mismatch"]
    assert "d3Jvbmcta2V5" not in str(caught.value)


async def test_missing_headers_are_refused_with_a_message(issuetrak_server: IssuetrakServer) -> None:
    async with httpx.AsyncClient() as raw:
        response = await raw.get(f"{issuetrak_server.url}/projects")
    assert response.status_code == 401
    assert response.json() == {"Message": "Authorization has been denied for this request."}
    assert issuetrak_server.state.refusals == ["missing authorization header"]


async def test_tampered_body_is_refused(issuetrak_server: IssuetrakServer) -> None:
    url = f"{issuetrak_server.url}/notes"
    note = {"IssueNumber": 1001, "NoteText": "ok", "CreatedBy": "amartin", "IsRichText": False}
    headers = IssuetrakSignature(issuetrak_server.state.api_key).headers("POST", url, json.dumps(note).encode())
    tampered = json.dumps({**note, "NoteText": "not what was signed"}).encode()
    async with httpx.AsyncClient() as raw:
        response = await raw.post(url, content=tampered, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 401
    assert issuetrak_server.state.refusals == ["signature mismatch"]
    assert len(issuetrak_server.state.notes) == 4


async def test_replayed_request_id_is_refused(issuetrak_server: IssuetrakServer) -> None:
    auth = IssuetrakSignature(issuetrak_server.state.api_key, request_id=lambda: FIXED_ID)
    async with httpx.AsyncClient(auth=auth) as raw:
        first = await raw.get(f"{issuetrak_server.url}/projects")
        replay = await raw.get(f"{issuetrak_server.url}/projects")
    assert (first.status_code, replay.status_code) == (200, 401)
    assert issuetrak_server.state.refusals == ["replayed request id"]


@pytest.mark.parametrize(("offset", "status"), [(-400, 401), (400, 401), (30, 200), (-60, 200)])
async def test_timestamps_outside_the_skew_are_refused(
    issuetrak_server: IssuetrakServer, offset: int, status: int
) -> None:
    moment = datetime.now(UTC) + timedelta(seconds=offset)
    auth = IssuetrakSignature(issuetrak_server.state.api_key, clock=lambda: moment)
    async with httpx.AsyncClient(auth=auth) as raw:
        response = await raw.get(f"{issuetrak_server.url}/projects/1")
    assert response.status_code == status
    assert issuetrak_server.state.refusals == ([] if status == 200 else ["timestamp outside the allowed clock skew"])


async def test_six_digit_timestamp_is_refused_even_when_signed(issuetrak_server: IssuetrakServer) -> None:
    url = f"{issuetrak_server.url}/projects"
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    path = httpx.URL(url).path
    headers = {
        REQUEST_ID_HEADER: FIXED_ID,
        TIMESTAMP_HEADER: timestamp,
        AUTHORIZATION_HEADER: signature(issuetrak_server.state.api_key, "GET", FIXED_ID, timestamp, path, ""),
    }
    async with httpx.AsyncClient() as raw:
        response = await raw.get(url, headers=headers)
    assert response.status_code == 401
    assert issuetrak_server.state.refusals == ["timestamp not in the 7-digit UTC format"]


async def test_non_ascii_body_is_signed_byte_for_byte(issuetrak_server: IssuetrakServer) -> None:
    note = {"IssueNumber": 1003, "NoteText": "café ✓", "CreatedBy": "cdubois", "IsRichText": False}
    raw_body = json.dumps(note, ensure_ascii=False).encode("utf-8")
    assert not raw_body.isascii()
    async with httpx.AsyncClient(auth=IssuetrakSignature(issuetrak_server.state.api_key)) as raw:
        response = await raw.post(
            f"{issuetrak_server.url}/notes", content=raw_body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200
    assert issuetrak_server.state.notes[response.json()]["NoteText"] == "café ✓"
    assert issuetrak_server.state.received[-1][2] == raw_body


async def test_client_note_with_non_ascii_text_round_trips(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    note_id = await issuetrak_client.add_note(1003, "<p>café ✓</p>", "cdubois")
    assert issuetrak_server.state.refusals == []
    assert issuetrak_server.state.notes[note_id]["NoteText"] == "<p>café ✓</p>"
    notes = await issuetrak_client.notes_for_issue(1003)
    assert notes[-1].text == "café ✓"


async def test_retry_after_503_signs_again_with_a_new_request_id(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    await issuetrak_client.get_project(1)  # the names (users, lookups) are cached from here on
    issuetrak_server.state.received.clear()
    issuetrak_server.state.seen_request_ids.clear()
    issuetrak_server.state.faults.fail_next.append(503)
    project = await issuetrak_client.get_project(3)
    assert project.name == "Render farm expansion"
    assert [entry[1] for entry in issuetrak_server.state.received] == [issuetrak_server.path("projects/3")] * 2
    first, second = issuetrak_server.state.seen_request_ids
    assert first != second
    assert issuetrak_server.state.refusals == []


async def test_a_post_is_sent_once_even_on_503(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    issuetrak_server.state.faults.fail_next.append(503)
    with pytest.raises(Unavailable):
        await issuetrak_client.add_note(1001, "<p>once</p>", "amartin")
    assert len(issuetrak_server.requests_to("notes")) == 1
    assert len(issuetrak_server.state.notes) == 4


@pytest.mark.parametrize(("project", "status"), [("abc", 422), ("-3", 400), ("77", 404)])
async def test_project_ids_get_the_vendor_status_codes(
    issuetrak_server: IssuetrakServer, project: str, status: int
) -> None:
    async with httpx.AsyncClient(auth=IssuetrakSignature(issuetrak_server.state.api_key)) as raw:
        response = await raw.get(f"{issuetrak_server.url}/projects/{project}")
    assert response.status_code == status
    assert response.json()["Message"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-02-27T11:30:10.0000000", datetime(2014, 2, 27, 11, 30, 10, tzinfo=UTC)),
        ("2014-09-10T17:28:08.3227351Z", datetime(2014, 9, 10, 17, 28, 8, 322735, tzinfo=UTC)),
        ("2014-12-23T13:30:00", datetime(2014, 12, 23, 13, 30, tzinfo=UTC)),
        ("2014-12-23T13:30:00.5+02:00", datetime(2014, 12, 23, 11, 30, 0, 500000, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_read_robustly(text: str | None, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


@given(st.datetimes(min_value=datetime(1900, 1, 1), timezones=st.just(UTC)))
def test_dates_round_trip_through_the_wire_format(moment: datetime) -> None:
    text = format_datetime(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}", text)
    assert parse_datetime(text) == moment
