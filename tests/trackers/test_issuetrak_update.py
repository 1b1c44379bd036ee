"""Seed 001's "Update an Issue" flow, client and contract server: the read DTO stripped to the
UpdateIssueDTO, PUT whole; the server refuses what the sample removes and keeps what a PUT does
not name; a held PUT waits while the issue is edited."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from bot.trackers.errors import InvalidInput
from bot.trackers.issuetrak import NOT_ON_UPDATE, NOT_ON_UPDATE_UDF, IssuetrakClient, update_dto
from tests.fixtures.issuetrak import IssuetrakServer

SAMPLE_READ = {  # the shape of seed 001's GET issues/false/1 answer
    "IssueNumber": 1,
    "Subject": "Printer",
    "Metadata": [{"Key": "APIVersion", "Value": "v1"}],
    "ExtensionData": [],
    "Notes": None,
    "SubmittedDate": "2024-01-01T00:00:00.0000000",
    "SLAComplianceStatus": None,
    "Slaid": None,
    "CauseID": None,
    "DepartmentID": None,
    "IssueSubType4ID": None,
    "PriorityID": 2,
    "UserDefinedFields": [
        {"UserDefinedFieldID": 4, "Value": "x", "DisplayName": "Doc", "Metadata": [], "ExtensionData": []}
    ],
}


def test_update_dto_removes_exactly_what_the_sample_removes() -> None:
    dto = update_dto(copy.deepcopy(SAMPLE_READ), {"CauseID", "DepartmentID", "IssueSubType4ID"})
    assert dto == {
        "IssueNumber": 1,
        "Subject": "Printer",
        "PriorityID": 2,
        "UserDefinedFields": [{"UserDefinedFieldID": 4, "Value": "x"}],
    }
    assert update_dto(copy.deepcopy(SAMPLE_READ), ())["CauseID"] is None  # a site with nothing disabled keeps it


async def test_read_for_update_then_put_changes_one_field_and_keeps_the_rest(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    before = copy.deepcopy(issuetrak_server.state.issues[1001])
    dto = await issuetrak_client.read_for_update(1001)
    assert not set(NOT_ON_UPDATE) & dto.keys() and "CauseID" not in dto
    dto["PriorityID"] = 4
    await issuetrak_client.update_issue(dto)
    after = issuetrak_server.state.issues[1001]
    assert after["PriorityID"] == 4
    assert {k: v for k, v in after.items() if k != "PriorityID"} == {
        k: v for k, v in before.items() if k != "PriorityID"
    }
    (put,) = [json.loads(body) for method, _path, body in issuetrak_server.state.received if method == "PUT"]
    assert put == dto


@pytest.mark.parametrize("extra", [*NOT_ON_UPDATE, "CauseID", "DepartmentID", "IssueSubType4ID", "Nonsense"])
async def test_the_server_refuses_a_put_carrying_a_removed_field(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient, extra: str
) -> None:
    dto = await issuetrak_client.read_for_update(1003)
    before = copy.deepcopy(issuetrak_server.state.issues[1003])
    with pytest.raises(InvalidInput):
        await issuetrak_client.update_issue({**dto, "PriorityID": 4, extra: None})
    assert issuetrak_server.state.issues[1003] == before


@pytest.mark.parametrize("part", NOT_ON_UPDATE_UDF)
async def test_the_server_refuses_a_user_defined_field_with_its_read_only_parts(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient, part: str
) -> None:
    dto = await issuetrak_client.read_for_update(1003)
    with pytest.raises(InvalidInput):
        await issuetrak_client.update_issue({**dto, "UserDefinedFields": [{"UserDefinedFieldID": 1, part: None}]})


@pytest.mark.parametrize(
    "change",
    [
        {"AssignedTo": "nobody"},
        {"AssignedTo": "esato"},  # inactive
        {"PriorityID": 99},
        {"SubStatusID": 42},
        {"TargetDate": "soon"},
        {"Subject": "  "},
        {"IssueNumber": 999},
    ],
)
async def test_the_server_refuses_values_the_site_does_not_know(
    issuetrak_client: IssuetrakClient, change: dict[str, Any]
) -> None:
    dto = await issuetrak_client.read_for_update(1004)
    with pytest.raises(InvalidInput):
        await issuetrak_client.update_issue({**dto, **change})


async def test_a_held_put_waits_while_the_issue_is_edited(
    issuetrak_server: IssuetrakServer, issuetrak_client: IssuetrakClient
) -> None:
    """What the hold is for: the PUT of a DTO read before an edit lands after it (the whole-DTO
    update has no version, docs/trackers.md)."""
    state = issuetrak_server.state
    dto = await issuetrak_client.read_for_update(1009)
    held = state.faults.hold("PUT")
    put = asyncio.create_task(issuetrak_client.update_issue({**dto, "PriorityID": 4}))
    assert await asyncio.to_thread(held.arrived.wait, 10)
    assert state.issues[1009]["PriorityID"] == 2  # not applied while held
    state.issues[1009]["Subject"] = "edited in Issuetrak"
    held.release()
    await put
    assert (state.issues[1009]["PriorityID"], state.issues[1009]["Subject"]) == (4, "Slack alerts for failed backups")
