"""Kitsu comments against a REAL Zou (scripts/zou-test-server.sh, or any other Zou), on the tasks
of the tests' own productions (`zou_world`): Zou keeps `person_id` only for a manager's comment,
the comment moves the task's status, and the outbox delivers a comment once even when an
earlier attempt landed without its answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.runtime import Runtime
from bot.services import kitsu_comments, writes
from bot.settings import load_settings
from bot.slack.directory import SlackPerson
from bot.store import Store
from bot.store.models import CommentPayload, OutboxKind, Requester
from bot.trackers.kitsu import KitsuClient
from bot.trackers.registry import build_trackers
from tests.fixtures.kitsu import KITSU_TEST_OPTIONS
from tests.fixtures.zou import Zou, ZouWorld

pytestmark = pytest.mark.zou


def _admin(zou: Zou, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(
        method, f"{zou.url}/{path}", headers={"Authorization": f"Bearer {zou.admin_token}"}, timeout=10, **kwargs
    )
    assert response.status_code in (200, 201), response.text[:300]
    return response.json()


def _hero_modeling(zou: Zou, world: ZouWorld) -> dict[str, Any]:
    """The Modeling task of the world's Hero (in its feature production)."""
    project = next(p for p in zou.rows("data/projects") if p["name"] == world.feature)
    hero = next(a for a in zou.rows("data/assets", project_id=project["id"]) if a["name"] == world.assets["Hero"])
    return next(t for t in zou.rows("data/tasks", project_id=project["id"]) if t["entity_id"] == hero["id"])


def _status(zou: Zou, short_name: str) -> str:
    return str(next(s["id"] for s in zou.rows("data/task-status") if s["short_name"] == short_name))


def _artist(zou: Zou, world: ZouWorld) -> str:
    return str(next(p["id"] for p in zou.rows("data/persons") if p["email"] == world.artist_email))


@pytest.fixture
async def client(zou: Zou) -> AsyncIterator[KitsuClient]:
    client = KitsuClient(zou.url, email=zou.email, password=zou.password, options=KITSU_TEST_OPTIONS)
    yield client
    await client.aclose()


@pytest.fixture
def artist_account(zou: Zou, zou_world: ZouWorld) -> Any:
    """An account of the Artist role ("user") that can log in: what a bot without manager rights is."""
    email = f"plain-{zou_world.tag}-{uuid.uuid4().hex[:4]}@example.com"
    person = _admin(zou, "POST", "data/persons", json={"first_name": "Plain", "last_name": "Artist", "email": email})
    password = f"pw-{uuid.uuid4().hex}"
    _admin(
        zou,
        "POST",
        f"actions/persons/{person['id']}/change-password",
        json={"password": password, "password_2": password},
    )
    yield person, email, password
    httpx.delete(
        f"{zou.url}/data/persons/{person['id']}",
        params={"force": "true"},
        headers={"Authorization": f"Bearer {zou.admin_token}"},
        timeout=10,
    )


async def test_a_managers_comment_is_the_persons_and_moves_the_status(
    zou: Zou, zou_world: ZouWorld, client: KitsuClient
) -> None:
    task, wfa, artist = _hero_modeling(zou, zou_world), _status(zou, "wfa"), _artist(zou, zou_world)
    assert await client.can_comment_as_others()  # the test's login is a Studio Manager (admin)
    assert (await client.person_by_email(zou_world.artist_email.upper())).id == artist  # type: ignore[union-attr]
    text = f"Ready for review ({uuid.uuid4().hex[:6]})"
    comment = await client.comment(task["id"], wfa, text, artist)
    assert (comment.person_id, comment.task_status_id, comment.task_id) == (artist, wfa, task["id"])
    on_task = await client.comments_on(task["id"])
    assert any(c.id == comment.id and c.person_id == artist and c.text == text for c in on_task)
    assert zou.rows(f"data/tasks/{task['id']}")["task_status_id"] == wfa
    place = await client.task_place(task["id"])
    assert (place.project, place.entity, place.task_type) == (zou_world.feature, zou_world.assets["Hero"], "Modeling")
    assert artist in place.team


async def test_zou_drops_person_id_for_anyone_but_a_manager(zou: Zou, zou_world: ZouWorld, artist_account: Any) -> None:
    """The fact the bot's refusal rests on: an artist's comment naming someone else is the artist's."""
    person, email, password = artist_account
    project = next(p for p in zou.rows("data/projects") if p["name"] == zou_world.feature)
    _admin(zou, "POST", f"data/projects/{project['id']}/team", json={"person_id": person["id"]})
    task, wip = _hero_modeling(zou, zou_world), _status(zou, "wip")
    _admin(zou, "PUT", f"actions/persons/{person['id']}/assign", json={"task_ids": [task["id"]]})
    plain = KitsuClient(zou.url, email=email, password=password, options=KITSU_TEST_OPTIONS)
    try:
        assert not await plain.can_comment_as_others()
        comment = await plain.comment(task["id"], wip, "as someone else?", _artist(zou, zou_world))
        assert comment.person_id == person["id"]  # Zou made the caller the author
    finally:
        await plain.aclose()


async def test_the_outbox_delivers_a_comment_once_after_an_attempt_whose_answer_was_lost(
    zou: Zou, zou_world: ZouWorld, tmp_path: Path
) -> None:
    settings = load_settings(
        _env_file=None, KITSU_URL=zou.url, KITSU_TOKEN=zou.bot_token, DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}"
    )
    rt = Runtime(
        settings=settings,
        trackers=build_trackers(settings, options=KITSU_TEST_OPTIONS),
        store=Store(settings.DATABASE_URL),
    )
    try:
        task, retake, artist = _hero_modeling(zou, zou_world), _status(zou, "retake"), _artist(zou, zou_world)
        person = SlackPerson("U0ARTIST", zou_world.artist_name, zou_world.artist_email, "UTC")
        form = kitsu_comments.Chosen(
            production=task["project_id"],
            entity=task["entity_id"],
            task=task["id"],
            status=retake,
            text="Retake please",
        )
        checked = await kitsu_comments.check(rt, form)
        assert isinstance(checked, kitsu_comments.Checked)
        requester = Requester(team_id="T0", user_id=person.id, channel_id="C0")

        async def slack_knows(team: str, user: str) -> SlackPerson:  # who the artist is when it is sent
            return person

        # The first delivery: the comment lands, as the artist, with its status.
        key = f"kitsu_comment:test:{uuid.uuid4().hex}"
        outcome = await kitsu_comments.submit(
            rt, key=key, requester=requester, person=person, people=slack_knows, chosen=checked, text="Retake please"
        )
        assert outcome.result is writes.Result.DELIVERED, outcome.sentence
        tagged = [c for c in zou.rows(f"data/tasks/{task['id']}/comments") if writes.reference(key) in c["text"]]
        assert [(c["person_id"], c["task_status_id"]) for c in tagged] == [(artist, retake)]
        again = await kitsu_comments.submit(
            rt, key=key, requester=requester, person=person, people=slack_knows, chosen=checked, text="Retake please"
        )
        assert again.result is writes.Result.ALREADY

        # A second entry whose first attempt reached Zou but whose answer never came back: its
        # next delivery finds the comment by its tag and sends nothing.
        lost = f"kitsu_comment:test:{uuid.uuid4().hex}"
        payload = CommentPayload(
            html=f"Lost answer\n\n_from Slack · {writes.reference(lost)}_",
            task=task["id"],
            status=retake,
        )
        item, _ = await rt.store.enqueue(lost, OutboxKind.KITSU_COMMENT, payload, requester, rt.clock())
        await rt.trackers.require_kitsu().comment(task["id"], retake, payload.html, artist)  # the lost attempt
        claimed = await rt.store.claim(item.id, rt.clock(), writes.TIMING.lease_seconds)
        assert claimed is not None

        async def as_slack_knows_them(team: str, user: str) -> SlackPerson:
            return person  # who the write's person is when it goes out

        delivered = await writes.deliver(rt, claimed, as_slack_knows_them)
        assert delivered is not None and delivered.result is writes.Result.DELIVERED
        found = [c for c in zou.rows(f"data/tasks/{task['id']}/comments") if writes.reference(lost) in c["text"]]
        assert len(found) == 1, "the second delivery of the same entry added nothing"
    finally:
        await rt.aclose()
        await rt.store.aclose()
