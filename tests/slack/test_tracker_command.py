"""`/tracker`, as a conversation: what a person types, what trackerbot answers."""

from __future__ import annotations

import json
import time

from bot import messages
from tests.slack.harness import Chat


def test_empty_text_answers_with_help_in_the_acknowledgement(chat: Chat) -> None:
    reply = chat.send("/tracker")
    assert reply.status == 200
    assert "/tracker issue 123" in reply.text
    assert "/tracker digest daily" in reply.text
    assert reply.ack.get("response_type", "ephemeral") == "ephemeral"
    assert not [c for c in reply.calls if c.method != "auth.test"], "help needs no follow-up message"


def test_unknown_subcommand_says_so_in_one_line_pointing_at_help(chat: Chat) -> None:
    reply = chat.send("/tracker frobnicate 12")
    assert reply.ack["text"] == "I don't know `frobnicate`; `/tracker help` lists what I do."
    assert len(reply.ack["blocks"]) == 1  # one line, not the whole help again
    assert "/tracker project 1 ·" not in reply.text


def test_a_typo_gets_did_you_mean_with_that_commands_usage(chat: Chat) -> None:
    reply = chat.send("/tracker isue 1001")
    assert reply.ack["text"].startswith("I don't know `isue`: did you mean `/tracker issue 1001`?")
    assert "for example `/tracker issue 123`" in reply.ack["text"]
    assert len(reply.ack["blocks"]) == 1 and "/tracker project 1 ·" not in reply.text


def test_a_mistyped_issue_number_gets_its_sentence_alone(chat: Chat) -> None:
    for typed, sentence in (
        ("/tracker issue 1001 extra", "I don't know what to do with `extra`"),
        ("/tracker issue 12345678901", "too long for an issue number"),
    ):
        reply = chat.send(typed)
        assert sentence in reply.text, typed
        assert "/tracker project 1 ·" not in reply.text, typed  # not the whole help again


def test_issue_card_decodes_and_escapes_tracker_text(chat: Chat) -> None:
    reply = chat.send("/tracker issue 1003")
    card = reply.of("response_url")[-1]
    assert card["replace_original"] in (True, "true")
    header = card["blocks"][0]
    assert header["type"] == "header"
    assert header["text"]["text"] == "Replace <broken> Wacom tablet pen"  # plain text: decoded
    assert "&lt;broken&gt;" not in header["text"]["text"]
    assert "Issue_View.asp?ID=1003" in json.dumps(card["blocks"])


def test_issue_number_is_forgiving(chat: Chat) -> None:
    for text in (
        "/tracker ISSUE  #1007",
        "/tracker issue https://it.example.com/helpdesk/Issue_View.asp?ID=1007",
        "/tracker #1007",
    ):
        assert "New starter laptop: Jordan Lee" in chat.send(text).text, text


def test_missing_issue_is_a_friendly_sentence(chat: Chat) -> None:
    reply = chat.send("/tracker issue 999")
    assert "Issue 999 does not exist in Issuetrak." in reply.text
    assert "Traceback" not in reply.text


def test_issue_without_a_number_gets_an_example(chat: Chat) -> None:
    reply = chat.send("/tracker issue soon")
    assert "/tracker issue 123" in reply.text


def test_project_by_issuetrak_id_is_a_status_card(chat: Chat) -> None:
    reply = chat.send("/tracker project 2")
    text = reply.text
    assert "R&amp;D lab move" in text or "R&D lab move" in text
    assert "overdue" in text
    labels = [b["text"]["text"] for b in reply.buttons()]
    assert "Refresh" in labels
    assert any(label.startswith("Open in") for label in labels)


def test_project_by_jira_key_shows_projectrak_fields(chat: Chat) -> None:
    reply = chat.send("/tracker project web")
    assert "Projectrak" in reply.text
    assert "%" in reply.text  # the progress bar


def test_projects_lists_every_tracker(chat: Chat) -> None:
    reply = chat.send("/tracker projects")
    for label in ("Issuetrak", "Projectrak", "Kitsu"):
        assert label in reply.text
    assert "Grading suite upgrade" not in reply.text  # closed projects stay out


def test_refresh_button_redraws_the_card(chat: Chat) -> None:
    card = chat.send("/tracker project 1")
    refresh = next(b for b in card.buttons() if b["action_id"] == "project_refresh")
    again = chat.click(refresh)
    assert again.status == 200
    assert "Studio network refresh" in again.text


def test_a_project_number_in_other_digits_is_searched_as_a_name(chat: Chat) -> None:
    reply = chat.send("/tracker project ²")  # a digit to str.isdigit, not to int()
    assert "I found no project matching “²”" in reply.text
    assert "Something went wrong" not in reply.text


def test_a_forged_refresh_of_an_issuetrak_project_gets_a_sentence(chat: Chat) -> None:
    card = chat.send("/tracker project 1")
    refresh = next(b for b in card.buttons() if b["action_id"] == "project_refresh")
    forged = chat.click({**refresh, "value": "issuetrak:1 OR 2"})
    assert "That project does not exist in Issuetrak." in forged.text
    assert "Something went wrong" not in forged.text


def test_asset_by_key_and_paged_search(chat: Chat) -> None:
    single = chat.send("/tracker asset LAPTOP-0042")
    assert "LAPTOP-0042" in single.text
    listing = chat.send("/tracker asset laptop")
    more = [b for b in listing.buttons() if b["action_id"] == "asset_more"]
    assert more, listing.text
    assert json.loads(more[0]["value"])["start"] == 10
    next_page = chat.click(more[0])
    assert "Showing 11" in next_page.text


def test_more_pages_kitsu_assets_too_until_every_match_was_shown(chat: Chat, kitsu_server) -> None:
    """AIP has 20+ laptops and Kitsu 12 "Laptop prop"s: every Kitsu match is reachable by More."""
    template = next(a for a in kitsu_server.state.data["assets"] if not a["canceled"])
    for n in range(1, 13):
        kitsu_server.state.data["assets"].append({**template, "id": f"laptop-prop-{n}", "name": f"Laptop prop {n:02d}"})
    seen: list[str] = []
    reply = chat.send("/tracker asset laptop")
    for _ in range(10):
        seen += [line for line in reply.text.split("\n") if "Laptop prop" in line]
        more = [b for b in reply.buttons() if b["action_id"] == "asset_more"]
        if not more:
            break
        reply = chat.click(more[0])
    assert len(seen) == 12 and all(f"Laptop prop {n:02d}" in " ".join(seen) for n in range(1, 13)), seen
    assert "*Kitsu* · 12 assets · from 6" in json.dumps(chat.slack.of("response_url"), ensure_ascii=False)


def test_more_with_an_old_or_malformed_value_is_out_of_date(chat: Chat) -> None:
    """The value names each other source's place by its tracker key; an older button's ("k"), or
    anything else, gets the out-of-date sentence, never a stack trace nor a search."""
    more = next(b for b in chat.send("/tracker asset laptop").buttons() if b["action_id"] == "asset_more")
    assert set(json.loads(more["value"])) == {"q", "start", "u"}
    for value in (
        json.dumps({"q": "laptop", "start": 10, "k": 5}),  # before the sources were named by key
        json.dumps({"q": "laptop", "start": 10, "u": {"nope": 5}}),
        json.dumps({"q": "laptop", "start": 10, "u": {"kitsu": "five"}}),
        json.dumps({"q": "laptop", "start": 10, "u": {"kitsu": None}}),
        json.dumps({"q": "laptop", "start": 10, "u": [5]}),
        json.dumps({"q": "laptop", "start": 10, "u": "kitsu"}),
        "[1, 2]",
        "not json",
    ):
        answer = chat.click({**more, "value": value})
        assert messages.MODAL_EXPIRED in answer.text, value
        assert "went wrong" not in answer.text, value


def test_tracker_that_is_down_gets_a_clear_message(chat: Chat, issuetrak_server) -> None:
    issuetrak_server.state.faults.fail_next.extend([503] * 10)
    reply = chat.send("/tracker issue 1001")
    assert "Issuetrak is not answering right now" in reply.text


def test_acknowledges_at_once_while_the_tracker_is_slow(chat: Chat, issuetrak_server) -> None:
    issuetrak_server.state.faults.latency = 3.5
    started = time.monotonic()
    response = chat.post(*_command_form(chat, "issue 1001"))
    acknowledged = time.monotonic() - started
    assert response.status_code == 200
    assert acknowledged < 1.0, f"acknowledged after {acknowledged:.2f} s"
    chat.settle()
    assert "Render node rn-07" in json.dumps(chat.slack.of("response_url"))


def test_requests_not_signed_by_slack_are_refused_before_any_listener(chat: Chat, issuetrak_server) -> None:
    body, content_type = _command_form(chat, "issue 1001")
    assert chat.post(body, content_type, signature="v0=" + "0" * 64).status_code == 401
    assert chat.post(body, content_type, timestamp=int(time.time()) - 600).status_code == 401
    chat.settle()
    assert not issuetrak_server.state.received
    assert not chat.slack.calls


def _command_form(chat: Chat, text: str) -> tuple[str, str]:
    from urllib.parse import urlencode

    return urlencode(
        {
            "team_id": "T0TRACKER",
            "channel_id": chat.channel,
            "user_id": chat.user,
            "command": "/tracker",
            "text": text,
            "trigger_id": chat.trigger(),
            "response_url": f"{chat.response_base}/slow",
        }
    ), "application/x-www-form-urlencoded"


def test_project_by_name_finds_a_kitsu_production(chat: Chat) -> None:
    reply = chat.send("/tracker project moonrise")
    assert reply.of("response_url")[-1]["blocks"][0]["text"]["text"] == "Moonrise"
    assert "Kitsu" in reply.text
    assert "Overdue tasks*\n3" in reply.text


def test_asset_words_find_kitsu_assets(chat: Chat) -> None:
    reply = chat.send("/tracker asset lunar rover")
    assert "Lunar Rover" in reply.text
    assert "Vehicle" in reply.text


def test_projects_shows_projectrak_status_and_leaves_done_projects_out(chat: Chat) -> None:
    reply = chat.send("/tracker projects")
    assert "Website relaunch" in reply.text
    assert "Spring campaign" not in reply.text  # Done in Projectrak
    assert "%" in reply.text.split("Projectrak", 1)[1]  # progress from Projectrak's values


def test_a_project_has_one_number_on_its_card_its_button_the_list_and_as_typed(chat: Chat) -> None:
    """Issuetrak's ID (1), which its page's URL has: the card shows it, its Open button and the `projects`
    list link to it, and typing it (or `#1`) finds the same project. The demo's ProjectNumber (7) is shown
    nowhere and finds nothing."""
    card = chat.send("/tracker project 1")
    assert "Studio network refresh" in card.text and "Issuetrak · 1" in card.text and "Issuetrak · 7" not in card.text
    assert "Project_View.asp?ID=1" in str(card.of("response_url")[-1]["blocks"])  # its Open button
    listed = chat.send("/tracker projects").text
    assert "Studio network refresh" in listed and "Project_View.asp?ID=1" in listed
    assert "Issuetrak · 1" in chat.send("/tracker project #1").text
    assert "Studio network refresh" not in chat.send("/tracker project 7").text


def test_an_aip_asset_card_has_no_open_button_without_aip_asset_url(chat: Chat) -> None:
    card = chat.send("/tracker asset LAPTOP-0042")
    assert "MacBook Pro" in card.text
    assert not [b for b in card.buttons() if b.get("action_id") == "open_in_tracker"]
