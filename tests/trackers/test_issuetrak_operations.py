"""Issuetrak client operations against the contract server, over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.trackers.errors import InvalidInput, NotFound, Unavailable
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.models import Lookup, TrackerName
from tests.fixtures.issuetrak import IssuetrakServer


def sent_json(server: IssuetrakServer, relative: str) -> dict[str, Any]:
    return json.loads(server.requests_to(relative)[-1][2])


async def test_get_issue_maps_names_dates_and_decodes_html(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    issue = await issuetrak_client.get_issue(1003)
    assert issue.subject == "Replace <broken> Wacom tablet pen"
    assert issue.description == "Pen tip worn & side button stuck."
    assert (issue.status, issue.priority, issue.issue_type) == ("Open", "Normal", "Hardware & Peripherals")
    assert (issue.assignee, issue.submitted_by) == ("Alice Martin", "Camille Dubois")  # names, not user IDs
    assert issue.submitted_date == issuetrak_server.state.created - timedelta(hours=6)
    assert not issue.is_closed and issue.notes == []
    assert issue.url == issuetrak_server.url.removesuffix("/api/v1") + "/Issue_View.asp?ID=1003"


async def test_get_issue_with_notes_turns_rich_text_into_plain_text(issuetrak_client: IssuetrakClient) -> None:
    issue = await issuetrak_client.get_issue(1002, include_notes=True)
    assert issue.is_closed and issue.closed_date is not None
    assert [(n.id, n.created_by, n.text) for n in issue.notes] == [
        (2, "bnguyen", "Pushed a new VPN profile & keep-alive. Closing.")
    ]
    rich = await issuetrak_client.get_issue(1005)
    assert rich.description == "All seats show no license."


async def test_missing_issue_is_not_found(issuetrak_client: IssuetrakClient) -> None:
    with pytest.raises(NotFound) as caught:
        await issuetrak_client.get_issue(999)
    assert str(caught.value) == "Issue 999 does not exist in Issuetrak."
    with pytest.raises(NotFound, match="Issue 998 does not exist"):
        await issuetrak_client.notes_for_issue(998)


async def test_notes_for_issue(issuetrak_client: IssuetrakClient) -> None:
    notes = await issuetrak_client.notes_for_issue(1006)
    assert [(n.issue_number, n.is_private, n.text) for n in notes] == [(1006, True, "Archived 2 TB of old dailies.")]


async def test_add_note_sends_a_rich_quiet_note(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    note_id = await issuetrak_client.add_note(1001, "<p>Fish &amp; <b>chips</b></p>", "amartin", private=True)
    assert note_id == 5
    dto = sent_json(issuetrak_server, "notes")
    assert dto["IsRichText"] is True and dto["ShouldSuppressEmailForCreateOperation"] is True
    assert (dto["IssueNumber"], dto["CreatedBy"], dto["IsPrivate"]) == (1001, "amartin", True)
    notes = await issuetrak_client.notes_for_issue(1001)
    assert notes[-1].id == 5 and notes[-1].text == "Fish & chips"


@pytest.mark.parametrize(
    ("issue", "user", "reason"), [(1001, "esato", "not an active user"), (4242, "amartin", "4242")]
)
async def test_add_note_refusals_are_friendly(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient, issue: int, user: str, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        await issuetrak_client.add_note(issue, "<p>hi</p>", user)
    assert str(caught.value).startswith("Issuetrak did not accept the request: ")
    assert len(issuetrak_server.state.notes) == 4


async def test_create_issue_defaults_the_organization_and_encodes_the_subject(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    number = await issuetrak_client.create_issue(
        subject="A3 < A4 & toner",
        description="<p>From Slack</p>",
        issue_type_id=1,
        priority_id=2,
        submitted_by="bnguyen",
    )
    assert number == 1013
    dto = sent_json(issuetrak_server, "issues")
    assert dto["OrganizationID"] == 1 and dto["Subject"] == "A3 &lt; A4 &amp; toner"
    assert (dto["SubmittedBy"], dto["EnteredBy"]) == ("bnguyen", "bnguyen")
    assert dto["ShouldSuppressEmailForCreateOperation"] is True
    issue = await issuetrak_client.get_issue(number)
    assert (issue.subject, issue.description, issue.status) == ("A3 < A4 & toner", "From Slack", "Open")


async def test_create_issue_with_an_unknown_type_is_refused(issuetrak_client: IssuetrakClient) -> None:
    with pytest.raises(InvalidInput, match="IssueTypeID"):
        await issuetrak_client.create_issue(
            subject="x", description="y", issue_type_id=99, priority_id=1, submitted_by="amartin", organization_id=2
        )


async def numbers(client: IssuetrakClient, *filters: tuple[Any, ...]) -> set[int]:
    page = await client.search_issues(filters=list(filters))
    assert page.total == len(page.issues)
    return {issue.number for issue in page.issues}


async def test_search_filters(issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient) -> None:
    now = issuetrak_server.state.created
    yesterday = now - timedelta(hours=24)
    client = issuetrak_client
    assert await numbers(client, ("ClosedDate", "GreaterThan", yesterday)) == {1002, 1005}
    assert await numbers(client, ("SubmittedDate", "GreaterThan", yesterday)) == {1003, 1004, 1012}
    assert await numbers(client, ("Status", "Equal", "open"), ("TargetDate", "LessThan", now)) == {1006}
    assert await numbers(client, ("AssignedTo", "Equal", "dokafor"), ("Status", "Equal", "Open")) == {1001, 1006, 1010}
    assert await numbers(client, ("Subject", "Contains", "vpn")) == {1002}
    assert await numbers(client, ("ProjectID", "Equal", 3)) == {1001}
    assert await numbers(client, ("IssueNumber", "LessThan", 1003), ("Status", "NotEqual", "Closed")) == {1001}
    assert await numbers(client, ("ClosedDate", "Equal", None)) == {1001, 1003, 1004, 1006, 1007, 1009, 1010, 1012}
    search = sent_json(issuetrak_server, "issues/search")
    assert search["QuerySetDefinitions"][0]["QuerySetExpressions"][0]["QueryExpressionOperation"] == "Equal"
    assert search["QueryOrderingDefinitions"] == [{"FieldName": "IssueNumber", "QueryOrderingDirection": "Desc"}]


async def test_search_orders_and_pages(issuetrak_client: IssuetrakClient) -> None:
    page = await issuetrak_client.search_issues(page_index=1, page_size=4, order_by="SubmittedDate", descending=False)
    assert (page.total, page.page_index, page.page_size, page.has_more) == (12, 1, 4, True)
    dates = [issue.submitted_date for issue in page.issues]
    assert dates == sorted(d for d in dates if d is not None) and len(dates) == 4


async def test_search_all_pages_through_everything(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    issues = await issuetrak_client.search_all(page_size=5)
    assert [issue.number for issue in issues] == list(range(1012, 1000, -1))
    pages = [json.loads(body)["PageIndex"] for _, _, body in issuetrak_server.requests_to("issues/search")]
    assert pages == [0, 1, 2]
    assert len(issuetrak_server.requests_to("priorities")) == 1  # names come from the cached lookups


async def test_kept_searches_are_emptied_by_the_servers_own_writes(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    """The contract server's kept searches (`state.searches`, a benchmark's) never answer with
    matches a write through its API has changed: a new issue, an issue closed."""
    issuetrak_server.state.searches = {}
    client, open_ = issuetrak_client, ("Status", "Equal", "Open")
    before = await numbers(client, open_)
    assert issuetrak_server.state.searches
    number = await client.create_issue(
        subject="Kept", description="x", issue_type_id=1, priority_id=2, submitted_by="bnguyen"
    )
    assert await numbers(client, open_) == before | {number}
    await client.update_issue({"IssueNumber": 1001, "Status": "Closed"})
    assert await numbers(client, open_) == before - {1001} | {number}


async def test_search_with_an_unknown_operation_is_refused(issuetrak_client: IssuetrakClient) -> None:
    with pytest.raises(InvalidInput, match="QueryExpressionOperation"):
        await issuetrak_client.search_issues(filters=[("Status", "Like", "Open")])  # type: ignore[list-item]


async def test_projects_map_to_status(issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient) -> None:
    today = issuetrak_server.state.created.date()
    projects = {p.id: p for p in await issuetrak_client.list_projects()}
    assert sorted(projects) == ["1", "2", "3", "4"]
    overdue, behind, closed, healthy = projects["2"], projects["3"], projects["4"], projects["1"]
    assert overdue.name == "R&D lab move" and overdue.is_overdue(today) and not overdue.is_closed
    assert (behind.percent_complete, behind.open_date, behind.target_date) == (
        20,
        today - timedelta(days=60),
        today + timedelta(days=10),
    )
    assert closed.is_closed and closed.status == "Closed" and not closed.is_overdue(today)
    assert closed.closed_date == today - timedelta(days=25)
    assert not healthy.is_overdue(today) and healthy.owner == "Bao Nguyen"
    assert (healthy.budget_estimated, healthy.budget_actual, healthy.hours_estimated, healthy.hours_actual) == (
        18000,
        7000,
        120,
        50,
    )
    assert healthy.tracker is TrackerName.ISSUETRAK and healthy.key == "1"
    assert healthy.url == issuetrak_server.url.removesuffix("/api/v1") + "/Project_View.asp?ID=1"
    assert await issuetrak_client.get_project(2) == overdue


async def test_missing_project_is_not_found(issuetrak_client: IssuetrakClient) -> None:
    with pytest.raises(NotFound) as caught:
        await issuetrak_client.get_project(999)
    assert str(caught.value) == "Project 999 does not exist in Issuetrak."


async def test_ping_counts_projects_without_the_cache(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    assert await issuetrak_client.ping() == "4 projects"
    assert await issuetrak_client.ping() == "4 projects"
    assert len(issuetrak_server.requests_to("projects")) == 2


async def test_users_and_email_lookup(issuetrak_client: IssuetrakClient) -> None:
    users = await issuetrak_client.list_users()
    assert len(users) == 5
    alice = await issuetrak_client.find_user_by_email("  ALICE@Example.com ")
    assert alice is not None and (alice.id, alice.name, alice.active) == ("amartin", "Alice Martin", True)
    assert await issuetrak_client.find_user_by_email("nobody@example.com") is None
    emi = await issuetrak_client.get_user("esato")
    assert (emi.name, emi.email, emi.active) == ("Emi Sato", "emi.sato@example.com", False)
    with pytest.raises(NotFound, match=r"User ghost does not exist in Issuetrak\."):
        await issuetrak_client.get_user("ghost")


async def test_user_names_are_html_decoded(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    issuetrak_server.state.users["amartin"]["UserName"] = "Alice &quot;Ali&quot; Martin"
    alice = await issuetrak_client.get_user("amartin")
    assert alice.name == 'Alice "Ali" Martin'


async def test_reference_data_is_cached(issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient) -> None:
    first, second = await asyncio.gather(issuetrak_client.list_users(), issuetrak_client.list_users())
    third = await issuetrak_client.list_users()
    assert first == second == third
    assert len(issuetrak_server.requests_to("users/false")) == 1


async def test_lookups(issuetrak_client: IssuetrakClient) -> None:
    assert (await issuetrak_client.issue_types())[0] == Lookup(id=1, name="Hardware & Peripherals")
    assert [p.name for p in await issuetrak_client.priorities()] == ["Low", "Normal", "High", "Urgent"]
    assert [s.id for s in await issuetrak_client.substatuses()] == [1, 2, 3]
    assert (await issuetrak_client.organizations())[1] == Lookup(id=2, name="Northlight Post")


async def test_an_unexpected_shape_is_a_friendly_error(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    issuetrak_server.state.projects[9] = {"Title": "no id"}
    with pytest.raises(Unavailable, match="Issuetrak is not answering right now"):
        await issuetrak_client.list_projects()
