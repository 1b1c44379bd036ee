"""A tracker with no settings is off: commands that need it say so, and nothing else breaks."""

from __future__ import annotations

import pytest

from tests.slack.harness import Chat


@pytest.fixture
def tracker_settings() -> dict[str, str]:
    return {}


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/tracker projects", "No tracker is set up yet"),
        ("/tracker project WEB", "No tracker is set up yet"),
        ("/tracker issue 12", "Issuetrak is not set up for this workspace yet."),
        ("/tracker note 12 hello", "Issuetrak is not set up for this workspace yet."),
        ("/tracker asset laptop", "AIP or Kitsu is not set up for this workspace yet."),
        ("/tracker link jdoe", "Issuetrak is not set up for this workspace yet."),
    ],
)
def test_commands_say_the_tracker_is_not_set_up(chat: Chat, command: str, answer: str) -> None:
    reply = chat.send(command)
    assert answer in reply.text
    assert "went wrong" not in reply.text


def test_help_still_works(chat: Chat) -> None:
    assert "/tracker issue 123" in chat.send("/tracker help").text


def test_digest_now_with_no_tracker_posts_nothing_and_tells_the_person_alone(chat: Chat) -> None:
    reply = chat.send("/tracker digest now")
    assert "No tracker is set up yet" in reply.text
    assert not reply.of("chat.postMessage"), "an empty digest is not posted to the channel"
    assert all(answer.get("response_type", "ephemeral") == "ephemeral" for answer in reply.of("response_url"))
