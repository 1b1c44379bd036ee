"""Slack-shaped request bodies, as Slack sends them: slash commands, message shortcuts, modal
submissions and button clicks, and what Slack makes of typed text. One builder for both callers:
the console (`python -m bot shell`) dispatches these into the same Bolt app production runs, and
the tests' `Chat` (tests/slack/harness.py) signs them and posts them to it over HTTP. Nothing here
decides what the bot answers; production code never imports it (bot.demo is a stand-in)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

API_APP_ID = "A0TRACKER"
VERIFICATION_TOKEN = "legacy"  # Slack's deprecated verification token; Bolt does not check it
TEAM_DOMAIN = "trackerbot-demo"
_triggers = itertools.count(1)


@dataclass(frozen=True)
class Who:
    """Who types, where, and where Slack would take `response_url` answers."""

    team: str
    user: str
    user_name: str
    channel: str
    channel_name: str
    response_url: str


def _trigger() -> str:
    return f"{next(_triggers)}.{int(time.time())}.console"


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _team(who: Who) -> dict[str, Any]:
    return {"id": who.team, "domain": TEAM_DOMAIN}


def _user(who: Who) -> dict[str, Any]:
    return {"id": who.user, "username": who.user_name, "name": who.user_name, "team_id": who.team}


def slash_command(who: Who, command: str, text: str, *, trigger_id: str | None = None) -> dict[str, Any]:
    """A slash command's fields (Slack posts them form-encoded)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": who.team,
        "team_domain": TEAM_DOMAIN,
        "channel_id": who.channel,
        "channel_name": who.channel_name,
        "user_id": who.user,
        "user_name": who.user_name,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": who.response_url,
        "trigger_id": trigger_id or _trigger(),
    }


def message_shortcut(
    who: Who, callback_id: str, message: Mapping[str, Any], *, trigger_id: str | None = None
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _now_ts(),
        "team": _team(who),
        "user": _user(who),
        "channel": {"id": who.channel, "name": who.channel_name},
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger(),
        "response_url": who.response_url,
        "message_ts": message["ts"],
        "message": dict(message),
    }


def view_submission(
    who: Who, view: Mapping[str, Any], values: Mapping[str, Any], *, trigger_id: str | None = None
) -> dict[str, Any]:
    """`view` (as the app opened it) submitted with `values`: {block_id: {action_id: state}}."""
    submitted = {
        **view,
        "id": view.get("id") or "V0CONSOLE",
        "team_id": who.team,
        "app_id": API_APP_ID,
        "state": {"values": dict(values)},
        "hash": view.get("hash") or "console",
    }
    return {
        "type": "view_submission",
        "token": VERIFICATION_TOKEN,
        "team": _team(who),
        "user": _user(who),
        "api_app_id": API_APP_ID,
        "trigger_id": trigger_id or _trigger(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
    }


def block_suggestion(
    who: Who, view: Mapping[str, Any], values: Mapping[str, Any], block_id: str, action_id: str, typed: str
) -> dict[str, Any]:
    """What Slack posts to the options URL while a person types `typed` in an external select of
    `view` (as the app opened it), the form's other inputs standing at `values`."""
    return {
        "type": "block_suggestion",
        "token": VERIFICATION_TOKEN,
        "api_app_id": API_APP_ID,
        "team": _team(who),
        "user": _user(who),
        "container": {"type": "view", "view_id": view.get("id") or "V0CONSOLE"},
        "view": {**view, "id": view.get("id") or "V0CONSOLE", "state": {"values": dict(values)}},
        "block_id": block_id,
        "action_id": action_id,
        "value": typed,
        "action_ts": _now_ts(),
    }


def block_action(
    who: Who,
    button: Mapping[str, Any],
    message: Mapping[str, Any] | None = None,
    *,
    ephemeral: bool = False,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A click on `button` (an element of `message`'s blocks; its block id in `_block_id` or
    `block_id`). Without `message` (an ephemeral one, which Slack does not send back), the
    container names only the channel."""
    action = {key: value for key, value in button.items() if not key.startswith("_")}
    action.update(
        type=button.get("type", "button"),
        action_id=button.get("action_id", ""),
        block_id=button.get("_block_id", button.get("block_id", "")),
        text=button.get("text") or {"type": "plain_text", "text": ""},
        action_ts=_now_ts(),
    )
    container: dict[str, Any] = {"type": "message", "channel_id": who.channel, "is_ephemeral": ephemeral}
    shown: dict[str, Any] = {}
    if message is not None:
        container["message_ts"] = message["ts"]
        shown["message"] = dict(message)
    return {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "api_app_id": API_APP_ID,
        "user": _user(who),
        "team": _team(who),
        "is_enterprise_install": False,
        "container": container,
        "channel": {"id": who.channel, "name": who.channel_name},
        **shown,
        "trigger_id": trigger_id or _trigger(),
        "response_url": who.response_url,
        "actions": [action],
    }


def home_action(
    who: Who, element: Mapping[str, Any], view: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """A click or a pick on `element` of the Home tab `view` (as the app published it, with its
    `id`), with what the tab's inputs show now (`values`: {block_id: {action_id: state}}), as
    Slack sends it: the view and its state, no channel and no response_url."""
    action = {key: value for key, value in element.items() if not key.startswith("_")}
    action.update(
        type=element.get("type", "button"),
        action_id=element.get("action_id", ""),
        block_id=element.get("_block_id", element.get("block_id", "")),
        action_ts=_now_ts(),
    )
    return {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "api_app_id": API_APP_ID,
        "user": _user(who),
        "team": _team(who),
        "is_enterprise_install": False,
        "container": {"type": "view", "view_id": view.get("id", "VHOME")},
        "view": {**view, "type": "home", "state": {"values": dict(values)}},
        "trigger_id": _trigger(),
        "actions": [action],
    }


def link_shared(who: Who, message_ts: str, urls: Sequence[str], *, composer: bool = False) -> dict[str, Any]:
    """The Events API's `link_shared` for `urls` in the message posted at `message_ts` or, with
    `composer`, still being typed (Slack then names the channel "COMPOSER" and gives an
    `unfurl_id` for the draft)."""
    draft = f"{who.user}-{message_ts}"
    event = {
        "type": "link_shared",
        "user": who.user,
        "channel": "COMPOSER" if composer else who.channel,
        "message_ts": draft if composer else message_ts,
        "unfurl_id": f"C-{draft}" if composer else f"{who.channel}.{message_ts}.unfurl",
        "source": "composer" if composer else "conversations_history",
        "is_bot_user_member": True,
        "links": [{"domain": urlsplit(url).hostname or "", "url": url} for url in urls],
        "event_ts": _now_ts(),
    }
    return event_callback(who, event)


def function_executed(
    who: Who,
    callback_id: str,
    inputs: Mapping[str, Any],
    *,
    parameters: Sequence[Mapping[str, Any]],
    execution_id: str | None = None,
    bot_access_token: str | None = None,
) -> dict[str, Any]:
    """The Events API's `function_executed`: a workflow ran the app's step `callback_id` with
    `inputs` (a user context input is `{"id": <user>, "secret": …}`); `parameters` are the step's
    declared input parameters (each with `name` and `type`)."""
    execution = execution_id or f"Fx{next(_triggers):010d}"
    event = {
        "type": "function_executed",
        "function": {
            "id": f"Fn{callback_id[:8].upper()}",
            "callback_id": callback_id,
            "title": callback_id,
            "type": "app",
            "input_parameters": [dict(p) for p in parameters],
            "output_parameters": [],
            "app_id": API_APP_ID,
            "date_created": 1700000000,
            "date_updated": 1700000000,
            "date_deleted": 0,
        },
        "inputs": dict(inputs),
        "function_execution_id": execution,
        "workflow_execution_id": f"Wx{execution[2:]}",
        "event_ts": _now_ts(),
    }
    if bot_access_token is not None:
        event["bot_access_token"] = bot_access_token
    return event_callback(who, event)


def user_context(user: str) -> dict[str, str]:
    """What Slack puts in a `slack#/types/user_context` input: the person who ran the workflow."""
    return {"id": user, "secret": f"secret-of-{user}"}


def event_callback(who: Who, event: Mapping[str, Any]) -> dict[str, Any]:
    """An Events API delivery of `event` (Slack posts it as JSON)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": who.team,
        "api_app_id": API_APP_ID,
        "type": "event_callback",
        "event_id": f"Ev{next(_triggers):08d}",
        "event_time": int(time.time()),
        "event": dict(event),
    }


# --- modal answers ---------------------------------------------------------------------------

TEXT_ELEMENTS = frozenset({"plain_text_input", "number_input", "email_text_input", "url_text_input"})
ONE_CHOICE = frozenset({"static_select", "external_select", "radio_buttons"})


def element_state(element: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    """What `view.state.values[block][action]` holds for `answer`: a string for text inputs and
    date pickers, an option (or None) for selects and radio buttons, a list of options for
    checkboxes and multi-selects."""
    kind = str(element.get("type"))
    if kind in ONE_CHOICE:
        return {"type": kind, "selected_option": answer}
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": list(answer or [])}
    if kind == "datepicker":
        return {"type": kind, "selected_date": answer or None}
    return {"type": kind, "value": answer or None}


# --- what Slack makes of typed text ----------------------------------------------------------

_URL = re.compile(r"(https?://[^\s<>]+)", re.IGNORECASE)  # `HTTP://` too: Slack links any case
_MENTION = re.compile(r"@([A-Za-z0-9][\w.-]*)")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def links_in(typed: str) -> list[str]:
    """The http(s) links in typed text, as Slack finds them (a sentence's closing punctuation left out)."""
    return [link.rstrip(".,;:!?)'\"") for link in _URL.findall(typed)]


def slack_text(typed: str, people: Mapping[str, str]) -> str:
    """`typed` as Slack delivers it to apps: `&`, `<` and `>` escaped, links wrapped as
    `<https://…>`, and `@name` or `@Full Name` of a known person (`people`: lower-case name -> user ID)
    as `<@U…>`."""
    parts = _URL.split(typed)
    shown: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            shown.append(f"<{_escape(part)}>")
            continue
        shown.append(_mentions(_escape(part), people))
    return "".join(shown)


def _mentions(text: str, people: Mapping[str, str]) -> str:
    """`@Full Name` (the longest known name first, so `@Bob Smith` is Bob Smith, not Bob), then `@name`."""
    names = sorted((name for name in people if name), key=len, reverse=True)
    if names:
        full = re.compile(r"@(" + "|".join(re.escape(name) for name in names) + r")(?![\w.-])", re.IGNORECASE)
        text = full.sub(lambda m: f"<@{people[' '.join(m[1].lower().split())]}>", text)
    return _MENTION.sub(lambda m: f"<@{people[m[1].lower()]}>" if m[1].lower() in people else m[0], text)
