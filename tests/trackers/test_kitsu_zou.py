"""KitsuClient against a REAL Zou (started by scripts/zou-test-server.sh, or any other Zou): the
tests compare with productions, assets, tasks and a person of their own (`zou_world`), uniquely named.

Reads ZOU_TEST_URL (default http://127.0.0.1:5000) and the files the script writes in
ZOU_STATE_DIR (default /tmp/zou-run): credentials.env, bot_token, secret_key. ZOU_TEST_EMAIL,
ZOU_TEST_PASSWORD, ZOU_TEST_BOT_TOKEN and ZOU_TEST_SECRET_KEY override them. Without a Zou the
tests skip, unless TRACKERBOT_REQUIRE_ZOU=1 (CI), where they fail.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import jwt
import pytest

from bot.trackers.errors import AuthenticationRefused
from bot.trackers.kitsu import KitsuClient
from bot.trackers.tokens import Token, jwt_expiry
from tests.fixtures.kitsu import KITSU_TEST_OPTIONS
from tests.fixtures.zou import Zou, ZouWorld

pytestmark = pytest.mark.zou


class Calls:
    """Every request a client sent, as "METHOD path STATUS" (an httpx event hook)."""

    def __init__(self, client: KitsuClient) -> None:
        self.seen: list[str] = []
        client.http.client.event_hooks["response"].append(self._record)

    async def _record(self, response: httpx.Response) -> None:
        self.seen.append(f"{response.request.method} {response.request.url.path} {response.status_code}")


@pytest.fixture
async def client(zou: Zou) -> AsyncIterator[KitsuClient]:
    client = KitsuClient(zou.url, email=zou.email, password=zou.password, options=KITSU_TEST_OPTIONS)
    yield client
    await client.aclose()


def _expired_access(zou: Zou, person_id: str) -> str:
    past = int(time.time()) - 3600
    return zou.sign(
        {
            "fresh": False,
            "iat": past - 60,
            "nbf": past - 60,
            "jti": str(uuid.uuid4()),
            "type": "access",
            "sub": person_id,
            "exp": past,
            "identity_type": "person",
        }
    )


async def test_login_and_open_projects(zou: Zou, zou_world: ZouWorld, client: KitsuClient) -> None:
    projects = {p.name: p for p in await client.open_projects()}
    assert {zou_world.feature, zou_world.short} <= set(projects)
    assert zou_world.archive not in projects  # closed by the test's set-up
    feature = projects[zou_world.feature]
    assert (feature.status, feature.is_closed) == ("Open", False)
    assert feature.open_date is not None and feature.target_date is not None
    assert feature.url == f"{zou.url}/productions/{feature.id}"
    token = client.tokens.peek() if client.tokens else None
    assert token is not None and token.refresh_value and token.expires_at
    refresh_expiry = jwt_expiry(token.refresh_value)
    assert refresh_expiry is not None
    assert token.refresh_expires_at == refresh_expiry > token.expires_at > time.time()


async def test_bot_token(zou: Zou, zou_world: ZouWorld) -> None:
    bot = KitsuClient(zou.url, token=zou.bot_token, options=KITSU_TEST_OPTIONS)
    try:
        assert (await bot.ping()).endswith("open productions")
        assert {zou_world.feature, zou_world.short} <= {p.name for p in await bot.open_projects()}
    finally:
        await bot.aclose()


async def test_get_project_counts_overdue_tasks(zou: Zou, zou_world: ZouWorld, client: KitsuClient) -> None:
    feature = await client.get_project(zou_world.feature.swapcase())  # names match whatever their case
    done = {s["id"] for s in zou.rows("data/task-status") if s["is_done"]}
    today = date.today().isoformat()
    expected = sum(
        1
        for t in zou.rows("data/tasks", project_id=feature.id)
        if t["task_status_id"] not in done and t["due_date"] and t["due_date"][:10] < today
    )
    assert feature.overdue_tasks == expected >= 1
    archive = await client.get_project(zou_world.archive)
    assert (archive.status, archive.is_closed) == ("Closed", True)
    assert (await client.get_project(feature.id)).name == zou_world.feature


async def test_find_assets(zou: Zou, zou_world: ZouWorld, client: KitsuClient) -> None:
    names = zou_world.assets
    [hero] = await client.find_assets(names["Hero"].lower())
    assert (hero.name, hero.collection, hero.project) == (names["Hero"], "Character", zou_world.feature)
    assert (
        hero.url
        == f"{zou.url}/productions/{zou.rows('data/assets', name=names['Hero'])[0]['project_id']}/assets/{hero.id}"
    )
    assert await client.find_assets(f"he_o {zou_world.tag}") == []  # Zou's ILIKE: the underscore stays literal
    found = {a.name for a in await client.find_assets(zou_world.tag)}
    assert found >= {names["Hero"], names["Sword"], names["Robot"], names["Teapot"]}


async def test_open_tasks(zou_world: ZouWorld, client: KitsuClient) -> None:
    names = zou_world.assets
    tasks = await client.open_tasks()
    by_name = {t.name: t for t in tasks}
    assert f"{names['Sword']} / Modeling" not in by_name  # done
    assert not any(t.project == zou_world.archive for t in tasks)  # closed production
    hero = by_name[f"{names['Hero']} / Modeling"]
    assert (hero.project, hero.status, hero.assignees) == (
        zou_world.feature,
        "Work In Progress",
        [zou_world.artist_name],
    )
    assert hero.url and hero.url.endswith(f"/assets/tasks/{hero.id}")
    overdue = await client.open_tasks(due_before=date.today())
    assert {f"{names['Hero']} / Modeling", f"{names['Robot']} / Modeling"} <= {t.name for t in overdue}
    assert all(t.due_date and t.due_date < date.today() for t in overdue)


async def test_persons(zou_world: ZouWorld, client: KitsuClient) -> None:
    people = {p.email: p for p in await client.persons()}
    assert people[zou_world.artist_email].name == zou_world.artist_name
    assert zou_world.bot_email not in people


@pytest.mark.parametrize("forgery", ["Not enough segments", "Signature verification failed"])
async def test_forged_bot_token_is_a_friendly_refusal(zou: Zou, forgery: str) -> None:
    token = (
        "bogus"
        if forgery == "Not enough segments"
        else jwt.encode(
            {"type": "access", "identity_type": "bot", "sub": str(uuid.uuid4()), "jti": str(uuid.uuid4())},
            "some-other-key-of-thirty-two-bytes-or-more",
            algorithm="HS256",
        )
    )
    direct = httpx.get(  # noqa: ASYNC210 - one direct look at Zou before the client under test runs
        f"{zou.url}/data/projects/open",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert (direct.status_code, direct.json()) == (422, {"msg": forgery})
    bot = KitsuClient(zou.url, token=token, options=KITSU_TEST_OPTIONS)
    try:
        with pytest.raises(AuthenticationRefused, match="KITSU_TOKEN"):
            await bot.open_projects()
    finally:
        await bot.aclose()


async def test_expired_access_token_is_refreshed(zou: Zou) -> None:
    login = zou.login()
    refresh = login["refresh_token"]
    expired = _expired_access(zou, login["user"]["id"])
    session = Token(expired, jwt_expiry(expired), refresh, jwt_expiry(refresh))
    client = KitsuClient(zou.url, email=zou.email, password=zou.password, session=session, options=KITSU_TEST_OPTIONS)
    calls = Calls(client)
    try:
        assert (await client.ping()).endswith("open productions")
        await client.ping()
    finally:
        await client.aclose()
    assert calls.seen == [
        "GET /data/projects/open 401",
        "GET /auth/refresh-token 200",
        "GET /data/projects/open 200",
        "GET /data/projects/open 200",
    ]


async def test_expired_refresh_token_means_a_new_login(zou: Zou) -> None:
    person = zou.login()["user"]["id"]
    expired_refresh = zou.sign(
        {
            "fresh": False,
            "iat": int(time.time()) - 7200,
            "jti": str(uuid.uuid4()),
            "type": "refresh",
            "sub": person,
            "exp": int(time.time()) - 3600,
            "identity_type": "person",
        }
    )
    # The refresh token's expiry is unknown to the client here, so Zou itself has to refuse it.
    session = Token(_expired_access(zou, person), None, expired_refresh, None)
    client = KitsuClient(zou.url, email=zou.email, password=zou.password, session=session, options=KITSU_TEST_OPTIONS)
    calls = Calls(client)
    try:
        assert (await client.ping()).endswith("open productions")
    finally:
        await client.aclose()
    assert calls.seen == [
        "GET /data/projects/open 401",
        "GET /auth/refresh-token 401",
        "POST /auth/login 200",
        "GET /data/projects/open 200",
    ]


async def test_forged_access_token_in_a_session_means_one_new_login(zou: Zou) -> None:
    forged = jwt.encode({"type": "access", "sub": "x", "exp": time.time() + 3600}, "k" * 32, algorithm="HS256")
    client = KitsuClient(
        zou.url, email=zou.email, password=zou.password, session=Token(forged), options=KITSU_TEST_OPTIONS
    )
    calls = Calls(client)
    try:
        await client.ping()
    finally:
        await client.aclose()
    assert calls.seen == ["GET /data/projects/open 422", "POST /auth/login 200", "GET /data/projects/open 200"]


async def test_wrong_login_is_refused(zou: Zou) -> None:
    # An unknown email: Zou answers 400 like a wrong password, and no real account nears its lockout.
    client = KitsuClient(zou.url, email="nobody@example.com", password="not-it-123", options=KITSU_TEST_OPTIONS)
    try:
        with pytest.raises(AuthenticationRefused, match="KITSU_EMAIL and KITSU_PASSWORD"):
            await client.ping()
    finally:
        await client.aclose()
