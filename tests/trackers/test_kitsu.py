"""KitsuClient against the demo Zou on loopback: auth (login, refresh, re-login, 422, lockout,
bot tokens) and every read operation."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, timedelta
from typing import Any

import jwt
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.demo.kitsu import DEMO_EMAIL, DEMO_PASSWORD, KitsuState, create_app
from bot.demo.loopback import serve_in_thread
from bot.trackers.errors import AuthenticationRefused, InvalidInput, NotConfigured, NotFound, Unavailable
from bot.trackers.http_client import HttpOptions
from bot.trackers.kitsu import KitsuClient
from bot.trackers.tokens import Token, jwt_expiry
from tests.fixtures.kitsu import KITSU_TEST_OPTIONS, KitsuServer

MOONRISE = "d14eeb36-8910-5e73-a684-b2987353c460"  # the demo's stable ids
TIDEPOOL = "f438f9c5-2f75-5946-902d-9fc8f629e37d"


def _client(server: KitsuServer, **credentials: object) -> KitsuClient:
    if not credentials:
        credentials = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    return KitsuClient(server.url, options=KITSU_TEST_OPTIONS, **credentials)  # type: ignore[arg-type]


def _paths(state: KitsuState) -> list[str]:
    return [line.split(" ", 1)[1].split("?")[0] for line in state.received]


def _later(seconds: float):
    return lambda: time.time() + seconds


def _forged(claims: dict[str, object]) -> str:
    return jwt.encode(claims, "not-the-server-key-but-long-enough-for-hs256", algorithm="HS256")


# ---------------------------------------------------------------------- auth


async def test_logs_in_once_and_keeps_both_tokens(kitsu_server: KitsuServer, kitsu_client: KitsuClient) -> None:
    assert await kitsu_client.ping() == "2 open productions"
    await kitsu_client.persons()
    await kitsu_client.ping()
    assert kitsu_server.state.logins == 1
    token = kitsu_client.tokens.peek() if kitsu_client.tokens else None
    assert token is not None and token.refresh_value
    assert token.expires_at == jwt_expiry(token.value)
    assert token.refresh_expires_at == jwt_expiry(token.refresh_value)
    assert token.refresh_expires_at is not None and token.expires_at is not None
    assert token.refresh_expires_at > token.expires_at


async def test_expired_access_token_is_refreshed_once_without_login(
    kitsu_server: KitsuServer, kitsu_client: KitsuClient
) -> None:
    state = kitsu_server.state
    state.access_seconds, state.refresh_seconds = 600, 3600
    await kitsu_client.ping()
    state.clock = _later(700)  # the server now sees the access token as expired, the refresh one not
    state.received.clear()
    results = await asyncio.gather(*(kitsu_client.ping() for _ in range(20)))
    assert set(results) == {"2 open productions"}
    assert (state.logins, state.refreshes) == (1, 1)
    assert "/auth/refresh-token" in _paths(state) and "/auth/login" not in _paths(state)
    await kitsu_client.ping()
    assert state.refreshes == 1  # the new access token is kept


async def test_expired_refresh_token_means_a_new_login(kitsu_server: KitsuServer, kitsu_client: KitsuClient) -> None:
    state = kitsu_server.state
    state.access_seconds, state.refresh_seconds = 600, 3600
    await kitsu_client.ping()
    state.clock = _later(4000)  # both tokens expired on the server's clock
    state.received.clear()
    assert await kitsu_client.ping() == "2 open productions"
    assert _paths(state) == ["/data/projects/open", "/auth/refresh-token", "/auth/login", "/data/projects/open"]
    assert (state.logins, state.refreshes) == (2, 0)


def _demo_person(state: KitsuState) -> dict[str, Any]:
    person = state.person_by_email(DEMO_EMAIL)
    assert person is not None
    return person


async def test_refresh_token_known_expired_is_not_sent(kitsu_server: KitsuServer) -> None:
    state = kitsu_server.state
    person = _demo_person(state)["id"]
    _access, refresh = state.issue(person)
    expired = jwt.encode({"type": "access", "sub": person, "exp": time.time() - 10}, state.secret, algorithm="HS256")
    session = Token(expired, time.time() - 10, refresh, time.time() - 1)
    client = _client(kitsu_server, email=DEMO_EMAIL, password=DEMO_PASSWORD, session=session)
    try:
        assert await client.ping() == "2 open productions"
    finally:
        await client.aclose()
    assert _paths(state) == ["/data/projects/open", "/auth/login", "/data/projects/open"]  # 401, then no refresh
    assert state.logins == 1


async def test_resumed_session_is_used_without_login(kitsu_server: KitsuServer) -> None:
    state = kitsu_server.state
    access, refresh = state.issue(_demo_person(state)["id"])
    session = Token(access, jwt_expiry(access), refresh, jwt_expiry(refresh))
    client = _client(kitsu_server, email=DEMO_EMAIL, password=DEMO_PASSWORD, session=session)
    try:
        await client.ping()
    finally:
        await client.aclose()
    assert state.logins == 0 and _paths(state) == ["/data/projects/open"]


async def test_two_hundred_cold_calls_make_one_login(kitsu_server: KitsuServer) -> None:
    client = KitsuClient(
        kitsu_server.url, email=DEMO_EMAIL, password=DEMO_PASSWORD, options=HttpOptions(max_in_flight=50)
    )
    try:
        results = await asyncio.gather(*(client.ping() for _ in range(200)))
    finally:
        await client.aclose()
    assert len(results) == 200
    assert kitsu_server.state.logins == 1
    assert _paths(kitsu_server.state).count("/data/projects/open") == 200


async def test_forged_access_token_in_a_session_means_one_new_login(kitsu_server: KitsuServer) -> None:
    state = kitsu_server.state
    session = Token(_forged({"type": "access", "sub": "x", "exp": time.time() + 3600}), time.time() + 3600)
    client = _client(kitsu_server, email=DEMO_EMAIL, password=DEMO_PASSWORD, session=session)
    try:
        assert await client.ping() == "2 open productions"
    finally:
        await client.aclose()
    assert _paths(state) == ["/data/projects/open", "/auth/login", "/data/projects/open"]
    assert state.logins == 1


async def test_bot_token_needs_no_login(kitsu_server: KitsuServer, kitsu_bot_client: KitsuClient) -> None:
    assert await kitsu_bot_client.ping() == "2 open productions"
    assert kitsu_server.state.logins == 0


@pytest.mark.parametrize("token", ["bogus", "aaa.bbb.ccc", "forged"])
async def test_malformed_or_forged_bot_token_is_refused_with_a_sentence(kitsu_server: KitsuServer, token: str) -> None:
    if token == "forged":
        token = _forged({"type": "access", "identity_type": "bot", "sub": "x", "jti": "y"})
    client = _client(kitsu_server, token=token)
    try:
        with pytest.raises(AuthenticationRefused) as refused:
            await client.open_projects()
    finally:
        await client.aclose()
    assert "KITSU_TOKEN" in str(refused.value) and token not in str(refused.value)
    assert len(kitsu_server.state.received) == 1  # a static token is never replayed


async def test_revoked_bot_token_is_refused(kitsu_server: KitsuServer, kitsu_bot_client: KitsuClient) -> None:
    await kitsu_bot_client.ping()
    kitsu_server.state.revoke_bot_token()
    with pytest.raises(AuthenticationRefused, match="KITSU_TOKEN"):
        await kitsu_bot_client.ping()


async def test_wrong_password_is_refused_once_and_never_logged(
    kitsu_server: KitsuServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(kitsu_server, email=DEMO_EMAIL, password="hunter2-wrong")
    try:
        for _ in range(2):
            with pytest.raises(AuthenticationRefused, match="KITSU_EMAIL and KITSU_PASSWORD"):
                await client.ping()
    finally:
        await client.aclose()
    assert kitsu_server.state.failed_logins == 1  # no second try within the lockout window
    assert "hunter2-wrong" not in caplog.text


async def test_lockout_after_five_failures_says_so(kitsu_server: KitsuServer) -> None:
    for _ in range(5):
        wrong = _client(kitsu_server, email=DEMO_EMAIL, password="nope")
        with pytest.raises(AuthenticationRefused):
            await wrong.ping()
        await wrong.aclose()
    right = _client(kitsu_server)
    try:
        with pytest.raises(AuthenticationRefused) as refused:
            await right.ping()
    finally:
        await right.aclose()
    assert "locked" in str(refused.value) and "a minute" in str(refused.value)
    assert DEMO_PASSWORD not in str(refused.value)


async def test_login_failure_on_the_server_side_is_unavailable(
    kitsu_server: KitsuServer, kitsu_client: KitsuClient
) -> None:
    kitsu_server.state.faults.fail_next.append(503)
    with pytest.raises(Unavailable):
        await kitsu_client.ping()
    assert await kitsu_client.ping() == "2 open productions"


async def test_a_read_is_retried_after_a_5xx(kitsu_server: KitsuServer, kitsu_client: KitsuClient) -> None:
    await kitsu_client.ping()
    kitsu_server.state.faults.fail_next.append(502)
    assert await kitsu_client.ping() == "2 open productions"


async def test_unreachable_server_is_unavailable(kitsu_server: KitsuServer) -> None:
    client = KitsuClient("http://127.0.0.1:9", email=DEMO_EMAIL, password=DEMO_PASSWORD, options=KITSU_TEST_OPTIONS)
    try:
        with pytest.raises(Unavailable):
            await client.ping()
    finally:
        await client.aclose()


async def test_url_without_the_api_suffix_says_so(kitsu_server: KitsuServer) -> None:
    client = KitsuClient(f"{kitsu_server.url}/kitsu", email=DEMO_EMAIL, password=DEMO_PASSWORD)
    try:
        with pytest.raises(NotConfigured, match="/api"):
            await client.ping()
    finally:
        await client.aclose()


def test_no_credentials_is_not_configured() -> None:
    with pytest.raises(NotConfigured):
        KitsuClient("http://127.0.0.1:9", email=DEMO_EMAIL)


# ---------------------------------------------------------------------- productions


async def test_open_projects(kitsu_client: KitsuClient, kitsu_server: KitsuServer) -> None:
    projects = {p.name: p for p in await kitsu_client.open_projects()}
    assert set(projects) == {"Moonrise", "Tidepool"}
    moonrise = projects["Moonrise"]
    today = kitsu_server.state.today
    assert (moonrise.id, moonrise.key, moonrise.status, moonrise.is_closed) == (MOONRISE, "MNR", "Open", False)
    assert (moonrise.open_date, moonrise.target_date) == (today - timedelta(days=120), today + timedelta(days=200))
    assert moonrise.url == f"{kitsu_server.url}/productions/{MOONRISE}"


async def test_get_project_by_name_counts_overdue_open_tasks(kitsu_client: KitsuClient) -> None:
    moonrise = await kitsu_client.get_project("  moonRISE ")
    assert (moonrise.id, moonrise.overdue_tasks) == (MOONRISE, 3)  # done tasks past due do not count
    tidepool = await kitsu_client.get_project(TIDEPOOL)
    assert (tidepool.name, tidepool.overdue_tasks) == ("Tidepool", 2)
    closed = await kitsu_client.get_project("paper lanterns")
    assert (closed.status, closed.is_closed, closed.overdue_tasks) == ("Closed", True, 1)


@pytest.mark.parametrize("wanted", ["Sunset", "00000000-0000-4000-8000-000000000000"])
async def test_get_project_not_found(kitsu_client: KitsuClient, wanted: str) -> None:
    with pytest.raises(NotFound, match=wanted):
        await kitsu_client.get_project(wanted)


async def test_find_projects(kitsu_client: KitsuClient) -> None:
    assert [p.name for p in await kitsu_client.find_projects("LANTERN")] == ["Paper Lanterns"]
    found = await kitsu_client.find_projects("E")  # all three: the open ones first
    assert [p.name for p in found] == ["Moonrise", "Tidepool", "Paper Lanterns"]
    assert await kitsu_client.find_projects("moon pool") == []


# ---------------------------------------------------------------------- assets


async def test_asset_types_are_cached(kitsu_client: KitsuClient, kitsu_server: KitsuServer) -> None:
    assert sorted((await kitsu_client.asset_types()).values()) == ["Character", "Environment", "Prop", "Vehicle"]
    await kitsu_client.asset_types()
    assert _paths(kitsu_server.state).count("/data/asset-types") == 1


async def test_find_assets(kitsu_client: KitsuClient, kitsu_server: KitsuServer) -> None:
    [rover] = await kitsu_client.find_assets("lunar ROVER")
    assert (rover.name, rover.collection, rover.project) == ("Lunar Rover", "Vehicle", "Moonrise")
    assert rover.status == "running"
    assert rover.url == f"{kitsu_server.url}/productions/{MOONRISE}/assets/{rover.id}"
    assert rover.created_by == "Dana Okafor"
    assert rover.attributes == {"Description": "Six-wheeled rover with a cargo bed."}
    names = [a.name for a in await kitsu_client.find_assets("o")]
    assert "Moth Swarm" not in names  # canceled
    assert names == sorted(names, key=str.casefold) and len(names) == 6
    tidepool = await kitsu_client.find_assets("o", project_id=TIDEPOOL)
    assert {a.name for a in tidepool} == {"Old Lighthouse", "Rowboat"}
    assert await kitsu_client.find_assets("100%") == []  # a wildcard in the words is literal
    assert any(line.startswith("GET /data/assets?name=%25100%5C%25%25") for line in kitsu_server.state.received)


async def test_find_assets_needs_words(kitsu_client: KitsuClient) -> None:
    with pytest.raises(InvalidInput):
        await kitsu_client.find_assets("   ")


# ---------------------------------------------------------------------- tasks and people


async def test_open_tasks_of_open_productions(kitsu_client: KitsuClient, kitsu_server: KitsuServer) -> None:
    tasks = await kitsu_client.open_tasks()
    assert len(tasks) == 16  # 20 tasks, less 3 done and 1 in the closed production
    assert {t.status for t in tasks} <= {"Todo", "Work In Progress", "Waiting For Approval", "Retake"}
    assert {t.project for t in tasks} == {"Moonrise", "Tidepool"}
    dues = [t.due_date for t in tasks]
    assert dues[-1] is None and dues[:-1] == sorted(d for d in dues[:-1] if d is not None)
    rover = tasks[0]
    today = kitsu_server.state.today
    assert (rover.name, rover.entity, rover.task_type, rover.status) == (
        "Lunar Rover / Modeling",
        "Lunar Rover",
        "Modeling",
        "Retake",
    )
    assert rover.due_date == today - timedelta(days=6)
    assert rover.assignees == ["Alice Moreau", "Bruno Silva"]
    assert rover.url == f"{kitsu_server.url}/productions/{MOONRISE}/assets/tasks/{rover.id}"


async def test_open_tasks_due_before_and_per_project(kitsu_client: KitsuClient, kitsu_server: KitsuServer) -> None:
    today: date = kitsu_server.state.today
    overdue = await kitsu_client.open_tasks(due_before=today)
    assert [t.name for t in overdue] == [
        "Lunar Rover / Modeling",
        "Rowboat / Modeling",
        "Luna / Modeling",
        "Pip the Crab / Modeling",
        "Captain Orrin / Modeling",
    ]
    tidepool = await kitsu_client.open_tasks(project_id=TIDEPOOL, due_before=today + timedelta(days=2))
    assert [t.name for t in tidepool] == ["Rowboat / Modeling", "Pip the Crab / Modeling", "Fishing Net / Modeling"]
    assert all(t.project == "Tidepool" for t in tidepool)


async def test_persons_leave_bots_out(kitsu_client: KitsuClient) -> None:
    people = {p.name: p.email for p in await kitsu_client.persons()}
    assert len(people) == 5 and "Alice Moreau" in people
    assert "Trackerbot" not in people
    assert set(people.values()) == {None}  # Zou shows emails to admins only; the demo logs in as a manager


async def test_a_person_is_found_by_email_though_a_manager_sees_no_emails(kitsu_client: KitsuClient) -> None:
    alice = await kitsu_client.person_by_email("Alice@Example.com")
    assert alice is not None and alice.name == "Alice Moreau"
    assert await kitsu_client.person_by_email("trackerbot@example.com") is None  # a bot account is nobody
    assert await kitsu_client.person_by_email("nobody@example.com") is None
    assert await kitsu_client.person_by_email("") is None


async def test_links_drop_the_api_prefix() -> None:
    state = KitsuState()
    app = Starlette(routes=[Mount("/api", app=create_app(state))])
    with serve_in_thread(app) as root:
        client = KitsuClient(f"{root}/api/", email=DEMO_EMAIL, password=DEMO_PASSWORD, options=KITSU_TEST_OPTIONS)
        try:
            [project] = [p for p in await client.open_projects() if p.id == MOONRISE]
        finally:
            await client.aclose()
    assert project.url == f"{root}/productions/{MOONRISE}"
