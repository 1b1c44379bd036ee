"""ProjectrakClient against the Projectrak contract server on loopback."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bot.demo.loopback import serve_in_thread
from bot.demo.projectrak import ProjectrakState, create_app
from bot.trackers.errors import NotFound, Unavailable
from bot.trackers.projectrak import ProjectrakClient
from bot.trackers.tokens import jwt_expiry
from tests.fixtures.projectrak import FAST_RETRIES, ProjectrakServer

SITE = "https://northwind-studio.atlassian.net"


def _set_value(state: ProjectrakState, key: str, field_name: str, value: Any) -> None:
    field_id = next(f.id for f in state.fields if f.name == field_name)
    state.projects[key].values[field_id] = value


async def test_project_values_map_onto_the_status_card(projectrak_client: ProjectrakClient) -> None:
    today = date.today()
    web = await projectrak_client.get_project("WEB")
    assert (web.id, web.key, web.name) == ("10000", "WEB", "Website relaunch")
    assert web.status == "In progress" and not web.is_closed
    assert web.percent_complete == 65
    assert (web.open_date, web.target_date) == (today - timedelta(days=90), today + timedelta(days=30))
    assert (web.budget_estimated, web.budget_actual) == (48000, 29500)
    assert (web.hours_estimated, web.hours_actual) == (900, 560)
    assert (web.health, web.owner) == ("On track", "Alice Martin")  # a select option and a user object
    assert web.url == f"{SITE}/browse/WEB"


async def test_demo_projects_tell_the_expected_stories(projectrak_client: ProjectrakClient) -> None:
    today = date.today()
    mob, ops, data, mkt, legal = await asyncio.gather(
        *(projectrak_client.get_project(key) for key in ("MOB", "OPS", "DATA", "MKT", "LEGAL"))
    )
    assert (mob.open_date, mob.target_date, mob.percent_complete) == (
        today - timedelta(days=60),
        today + timedelta(days=10),
        20,
    )
    assert ops.health == "At risk"
    assert data.is_overdue(today) and not mob.is_overdue(today)
    assert mkt.status == "Done" and mkt.is_closed and not mkt.is_overdue(today)
    assert legal.budget_estimated is None and legal.budget_actual is None  # empty fields stay empty


async def test_projects_resolve_by_key_or_name_in_any_case(projectrak_client: ProjectrakClient) -> None:
    assert (await projectrak_client.get_project(" web ")).key == "WEB"
    assert (await projectrak_client.get_project("mobile APP 2.0")).key == "MOB"


async def test_an_unknown_project_is_not_found(projectrak_client: ProjectrakClient) -> None:
    with pytest.raises(NotFound) as caught:
        await projectrak_client.get_project("NOPE")
    assert str(caught.value) == "Project NOPE does not exist in Projectrak."


@pytest.mark.parametrize(
    ("renames", "field", "value", "attribute", "expected"),
    [
        ({"Progress": "% Complete"}, "% Complete", 0.45, "percent_complete", 45),
        ({"Progress": "Percent complete"}, "Percent complete", "45%", "percent_complete", 45),
        ({}, "Progress", "0.45", "percent_complete", 45),
        ({}, "Progress", 1, "percent_complete", 1),
        ({"Due date": "Target date"}, "Target date", "2027-03-31T00:00:00.000+0000", "target_date", date(2027, 3, 31)),
        ({"Budget": "Estimated budget"}, "Estimated budget", "48,500 €", "budget_estimated", 48500),
        ({"Owner": "Project manager"}, "Project manager", "Grace Kim", "owner", "Grace Kim"),
        ({"Health": "PROJECT HEALTH"}, "PROJECT HEALTH", "Off track", "health", "Off track"),
        ({"Status": "Project status"}, "Project status", "Cancelled", "is_closed", True),
    ],
)
async def test_tenant_field_names_and_value_shapes(
    projectrak_server: ProjectrakServer,
    projectrak_client: ProjectrakClient,
    renames: dict[str, str],
    field: str,
    value: Any,
    attribute: str,
    expected: Any,
) -> None:
    state = projectrak_server.state
    for old, new in renames.items():
        state.rename_field(old, new)
    _set_value(state, "WEB", field, value)
    assert getattr(await projectrak_client.get_project("WEB"), attribute) == expected


async def test_find_projects_matches_every_word_in_key_or_name(projectrak_client: ProjectrakClient) -> None:
    assert [p.key for p in await projectrak_client.find_projects("APP")] == ["MOB"]
    assert [p.key for p in await projectrak_client.find_projects("warehouse data")] == ["DATA"]
    assert [p.key for p in await projectrak_client.find_projects("legal")] == ["LEGAL"]
    assert await projectrak_client.find_projects("submarine") == []


async def test_fields_and_cached_project_list(
    projectrak_server: ProjectrakServer, projectrak_client: ProjectrakClient
) -> None:
    fields = await projectrak_client.list_fields()
    assert [(f.name, f.type) for f in fields[:2]] == [("Status", "STATUS"), ("Progress", "PROGRESS")]
    first, second = await asyncio.gather(projectrak_client.list_projects(), projectrak_client.list_projects())
    assert [p.key for p in first] == ["WEB", "MOB", "OPS", "DATA", "MKT", "LEGAL"] == [p.key for p in second]
    assert len(projectrak_server.state.received("GET", "/projects")) == 1


async def test_ping_counts_projects(projectrak_client: ProjectrakClient) -> None:
    assert await projectrak_client.ping() == "6 projects"


async def test_a_503_on_a_read_is_retried(
    projectrak_server: ProjectrakServer, projectrak_client: ProjectrakClient
) -> None:
    state = projectrak_server.state
    await projectrak_client.list_projects()  # the token is minted
    state.faults.fail_next = [503]
    assert (await projectrak_client.get_project("OPS")).health == "At risk"
    assert [r.status for r in state.received("GET", "/projects/OPS/values")] == [503, 200]


async def test_a_failing_jwt_service_is_unavailable(
    projectrak_server: ProjectrakServer, projectrak_client: ProjectrakClient
) -> None:
    projectrak_server.state.faults.fail_next = [500]
    with pytest.raises(Unavailable):
        await projectrak_client.list_fields()


async def test_the_server_refuses_missing_and_expired_tokens(projectrak_server: ProjectrakServer) -> None:
    state = projectrak_server.state
    state.token_seconds = 0.5
    async with httpx.AsyncClient(base_url=projectrak_server.url) as http:
        assert (await http.get("/fields")).status_code == 401
        minted = await http.post("/api-keys/jwt", json={"name": state.key_id, "password": state.api_key})
        answer = minted.json()
        assert set(answer) == {"jwt", "baseUrl", "clientKey", "accountId", "created", "expired"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", answer["expired"])
        headers = {"Authorization": f"Bearer {answer['jwt']}"}
        assert (await http.get("/fields", headers=headers)).status_code == 200
        await asyncio.sleep(jwt_expiry(answer["jwt"]) - time.time() + 0.05)  # type: ignore[operator]
        assert (await http.get("/fields", headers=headers)).status_code == 401
        assert (await http.post("/api-keys/jwt", json={"name": state.key_id})).status_code == 400


async def test_a_500_project_tenant() -> None:
    state = ProjectrakState(project_count=500)
    with serve_in_thread(create_app(state)) as url:
        client = ProjectrakClient(url, state.key_id, state.api_key, options=FAST_RETRIES)
        try:
            projects = await client.list_projects()
            filler = await client.get_project("p250")
        finally:
            await client.aclose()
    assert len({p.key for p in projects}) == 500
    assert [p.key for p in projects[:6]] == ["WEB", "MOB", "OPS", "DATA", "MKT", "LEGAL"]
    assert filler.name == "Client project 250" and filler.status and filler.target_date
