"""The App Home tab, through Slack's Events API (a signed `event_callback`)."""

from __future__ import annotations

import json

from tests.slack.harness import Chat


def _home_opened(chat: Chat, user: str, **headers: str):
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T0TRACKER",
            "api_app_id": "A0TRACKER",
            "type": "event_callback",
            "event_id": "Ev1",
            "event_time": 1700000000,
            "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"},
        }
    )
    return chat._exchange(body, "application/json", headers=headers)


def test_home_shows_who_you_write_as_and_what_is_set_up(chat: Chat) -> None:
    chat.send("/tracker digest daily 08:30 Europe/Paris")
    reply = _home_opened(chat, "U0ALICE")
    assert reply.status == 200
    [published] = reply.of("views.publish")
    assert published["user_id"] == "U0ALICE"
    view = json.dumps(published["view"])
    assert published["view"]["type"] == "home"
    assert "written in Issuetrak as *amartin*" in view
    assert "every day at 08:30 (Europe/Paris)" in view
    assert "/tracker issue 123" in view


def test_home_tells_an_unlinked_person_how_to_link(chat: Chat) -> None:
    view = json.dumps(_home_opened(chat, "U0NOBODY").of("views.publish")[0]["view"])
    assert "nora@elsewhere.example matches no Issuetrak user" in view
    assert "/tracker link" in view


def test_a_slack_retry_of_the_event_publishes_the_same_home(chat: Chat) -> None:
    first = _home_opened(chat, "U0ALICE").of("views.publish")
    again = _home_opened(chat, "U0ALICE", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert again.status == 200
    assert again.of("views.publish")[0]["view"] == first[0]["view"]
