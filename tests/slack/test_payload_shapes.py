"""Signed payloads that break Slack's schema: what only the holder of the signing secret could
send. Bolt reads some fields before any listener runs (the first action, the view's callback id,
the event's type, the team and user) and answers 500 when they are missing or of the wrong type;
trackerbot answers 400 instead, and nothing reaches a tracker."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat

FORM = "application/x-www-form-urlencoded"
Path = tuple[str | int, ...]
ODD_VALUES: tuple[object, ...] = (None, 0, 1.5, True, "", "x", [], [None], [{}], {}, {"id": 5})


def _templates(chat: Chat, issuetrak_server: IssuetrakServer) -> dict[str, tuple[dict[str, Any], str]]:
    """One well-formed payload of each kind the app handles, and how it is posted."""
    who = chat.who("shape")
    link = issuetrak_server.url.removesuffix("/api/v1") + "/Issue_View.asp?ID=1001"
    message = {"type": "message", "text": "hello", "ts": "1700000000.000100", "user": chat.user}
    button = {"type": "button", "action_id": ids.PROJECT_REFRESH, "value": "issuetrak:7", "block_id": "b"}
    view = {
        "type": "modal",
        "callback_id": ids.NOTE_MODAL,
        "private_metadata": "",
        "blocks": [],
    }
    event = {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": slack_payloads.API_APP_ID,
        "event": {"type": "app_home_opened", "user": chat.user, "channel": "D0HOME", "tab": "home"},
        "event_id": "Ev01",
        "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
    }
    return {
        "shortcut": (slack_payloads.message_shortcut(who, ids.SHORTCUT_ADD_NOTE, message), FORM),
        "button": (slack_payloads.block_action(who, button), FORM),
        "submission": (slack_payloads.view_submission(who, view, {}), FORM),
        "event": (event, "application/json"),
        "pasted link": (slack_payloads.link_shared(who, "1700000000.000300", [link]), "application/json"),
    }


def _paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON document, parents before their children."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _broken(payload: dict[str, Any], path: Path, value: Any, delete: bool) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return changed


def _post(chat: Chat, payload: dict[str, Any], content_type: str) -> int:
    body = json.dumps(payload) if content_type != FORM else urlencode({"payload": json.dumps(payload)})
    return chat.post(body, content_type).status_code


BROKEN_BY_HAND = {
    "a click with no actions": ("button", ("actions",), []),
    "a click whose action is a number": ("button", ("actions",), [5]),
    "a click with no action id": ("button", ("actions", 0, "action_id"), None),
    "a submission whose view has no callback id": ("submission", ("view", "callback_id"), None),
    "a submission whose view is a list": ("submission", ("view",), [1]),
    "a shortcut whose callback id is a list": ("shortcut", ("callback_id",), [1]),
    "an event that is a string": ("event", ("event",), "app_home_opened"),
    "an event with no type": ("event", ("event", "type"), None),
    "a team that is a number": ("button", ("team",), 5),
    "a user that is a list": ("shortcut", ("user",), ["U1"]),
    "a channel that is a number": ("button", ("channel",), 7),
}


@pytest.mark.parametrize("name", sorted(BROKEN_BY_HAND))
def test_a_signed_payload_missing_what_bolt_reads_first_gets_400(
    chat: Chat, issuetrak_server: IssuetrakServer, name: str
) -> None:
    kind, path, value = BROKEN_BY_HAND[name]
    payload, content_type = _templates(chat, issuetrak_server)[kind]
    assert _post(chat, _broken(payload, path, value, delete=value is None), content_type) == 400
    chat.settle()
    assert not issuetrak_server.state.received


def test_the_well_formed_templates_are_answered(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """The payloads broken below are accepted as they are (so a 400 says something about the break)."""
    for kind, (payload, content_type) in _templates(chat, issuetrak_server).items():
        assert _post(chat, payload, content_type) == 200, kind
    chat.settle()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_signed_payload_of_a_known_kind_gets_a_500(
    chat: Chat, issuetrak_server: IssuetrakServer, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """Any one field deleted or replaced by a value of another type, in any kind of payload: 400,
    or an answer without any listener failing."""
    caplog.clear()
    kind = data.draw(st.sampled_from(["shortcut", "button", "submission", "event", "pasted link"]))
    payload, content_type = _templates(chat, issuetrak_server)[kind]
    path = data.draw(st.sampled_from(list(_paths(payload))))
    delete = data.draw(st.booleans())
    value = None if delete else data.draw(st.sampled_from(ODD_VALUES))
    status = _post(chat, _broken(payload, path, value, delete), content_type)
    assert status in (200, 400, 404), (kind, path, value, status)
    chat.settle()
    assert not [r for r in issuetrak_server.state.received if r[0] == "POST"]
    failed = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert not failed, (kind, path, value, failed)
