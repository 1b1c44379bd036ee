"""A Kitsu comment from Slack against the REAL Zou (the bot account's token, a Production
Manager): the form's choices come from Zou, and the comment lands once, as the person, with its
status."""

from __future__ import annotations

import pytest

from bot.demo.slack import SlackState
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.zou import Zou, ZouWorld
from tests.slack.harness import Chat
from tests.slack.test_kitsu_comments import _choices, _form, _values
from tests.slack.test_steps import completed, run_step

pytestmark = pytest.mark.zou


@pytest.fixture
def tracker_settings(zou: Zou, issuetrak_server: IssuetrakServer) -> dict[str, str]:
    return zou.bot_settings(issuetrak_server)


def test_a_comment_from_slack_lands_once_as_the_person_with_its_status(
    chat: Chat, zou: Zou, zou_world: ZouWorld, slack_state: SlackState
) -> None:
    slack_state.add_user("U0ARTIST", zou_world.artist_name, zou_world.artist_email)
    chat.user = "U0ARTIST"
    view = _form(chat.shortcut(ids.SHORTCUT_KITSU_COMMENT, "Sculpt pass done", ts="1700000000.000900"))
    productions = _choices(chat, view, "production", {}, zou_world.tag)
    assert set(productions) == {zou_world.feature, zou_world.short}  # open, the artist on the team
    feature = productions[zou_world.feature]
    entities = _choices(chat, view, "entity", {"production": feature}, "hero")
    hero = entities[zou_world.assets["Hero"]]
    tasks = _choices(chat, view, "task", {"production": feature, "entity": hero})
    wfa = next(s["id"] for s in zou.rows("data/task-status") if s["short_name"] == "wfa")
    statuses = _choices(chat, view, "status", {"production": feature})
    assert wfa in statuses.values()
    chosen = {"production": feature, "entity": hero, "task": tasks["Modeling"], "status": wfa}

    submitted = chat.submit(view, _values(chosen, "Sculpt pass done"))
    assert "Commented on Kitsu task" in submitted.text
    chat.submit(view, _values(chosen, "Sculpt pass done"))  # again: nothing more
    artist = next(p["id"] for p in zou.rows("data/persons") if p.get("email") == zou_world.artist_email)
    mine = [c for c in zou.rows(f"data/tasks/{tasks['Modeling']}/comments") if "Sculpt pass done" in c["text"]]
    assert [(c["person_id"], c["task_status_id"]) for c in mine] == [(artist, wfa)]
    assert zou.rows(f"data/tasks/{tasks['Modeling']}")["task_status_id"] == wfa


def test_the_workflow_step_comments_once_as_the_person_with_its_status(
    chat: Chat, zou: Zou, zou_world: ZouWorld, slack_state: SlackState
) -> None:
    slack_state.add_user("U0ARTIST", zou_world.artist_name, zou_world.artist_email)
    wfa = next(s for s in zou.rows("data/task-status") if s["short_name"] == "wfa")
    inputs = {
        "task": f"{zou_world.feature} / {zou_world.assets['Hero']} / Modeling",
        "status": wfa["name"].upper(),
        "text": "Topology cleaned (step)",
    }
    outputs = completed(run_step(chat, "add_kitsu_comment", inputs, person="U0ARTIST", execution_id="Fx0ZOU"))
    again = completed(run_step(chat, "add_kitsu_comment", inputs, person="U0ARTIST", execution_id="Fx0ZOU"))
    assert again == outputs
    task = outputs["task_url"].rsplit("/", 1)[-1]
    artist = next(p["id"] for p in zou.rows("data/persons") if p.get("email") == zou_world.artist_email)
    mine = [c for c in zou.rows(f"data/tasks/{task}/comments") if "Topology cleaned (step)" in c["text"]]
    assert [(c["id"], c["person_id"], c["task_status_id"]) for c in mine] == [
        (outputs["comment_id"], artist, wfa["id"])
    ]
