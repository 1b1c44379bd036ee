"""`/tracker search` and `/tracker mine`, through signed requests into the real app, against the
Issuetrak contract server, which evaluates every search condition it is sent and pages: a filter
the bot forgot to send shows as a wrong answer, and each page is counted as one request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import messages
from bot.demo.slack import SlackState
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat, Reply

SEARCH = "issues/search"


def _numbers(reply: Reply) -> list[int]:
    """The issue numbers a results page lists, in order."""
    blocks = reply.of("response_url")[-1]["blocks"]
    found = []
    for block in blocks:
        if block["type"] == "section":
            label = block["text"]["text"].split("|#", 1)[1]
            found.append(int(label.split(">", 1)[0]))
    return found


def _searches(server: IssuetrakServer) -> list[dict[str, Any]]:
    return [json.loads(body) for _, _, body in server.requests_to(SEARCH)]


def _conditions(query: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        (e["FieldName"], e["QueryExpressionOperation"], e["FieldFilterValue1"])
        for s in query["QuerySetDefinitions"]
        for e in s["QuerySetExpressions"]
    ]


def _page_button(reply: Reply, label: str) -> dict[str, Any]:
    return next(b for b in reply.buttons() if b["action_id"] == ids.ISSUES_PAGE and b["text"]["text"] == label)


def _add_issues(server: IssuetrakServer, count: int, subject: str, **fields: Any) -> list[int]:
    """`count` more issues, each submitted an hour after the one before (the last is the newest)."""
    template = server.state.issues[1003]
    start = max(server.state.issues) + 1
    now = datetime.now(UTC)
    for n in range(count):
        submitted = (now + timedelta(hours=n + 1)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
        server.state.issues[start + n] = {
            **template,
            "IssueNumber": start + n,
            "Subject": f"{subject} {n}",
            "SubmittedDate": submitted,
            **fields,
        }
    return list(range(start, start + count))


def test_search_finds_words_in_subject_or_description_newest_first_in_one_request(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    chat.send("/tracker issue 1001")  # names and the project list are cached, as in a running bot
    before = len(issuetrak_server.state.received)
    reply = chat.send("/tracker search vpn")
    assert _numbers(reply) == [1002, 1007]  # "VPN disconnects…", then "…VPN profile." submitted before it
    assert len(issuetrak_server.state.received) - before == 1, "one page is one round trip"

    reply = chat.send("/tracker search Tablet WORN")  # "tablet" in the subject, "worn" in the description
    assert _numbers(reply) == [1003]
    query = _searches(issuetrak_server)[-1]
    assert query["QueryOrderingDefinitions"] == [{"FieldName": "SubmittedDate", "QueryOrderingDirection": "Desc"}]
    assert query["PageSize"] == 10 and query["PageIndex"] == 0
    assert ("Description", "Contains", "WORN") in _conditions(query)

    newest = chat.send("/tracker search the")  # several matches: the newest submitted first
    submitted = [issuetrak_server.state.issues[n]["SubmittedDate"] for n in _numbers(newest)]
    assert len(submitted) > 2 and submitted == sorted(submitted, reverse=True)


def test_search_looks_for_text_as_issuetrak_stores_it(chat: Chat) -> None:
    reply = chat.send("/tracker search <broken>")  # stored "Replace &lt;broken&gt; Wacom tablet pen"
    assert _numbers(reply) == [1003]
    assert "Replace &lt;broken&gt; Wacom tablet pen" in reply.of("response_url")[-1]["blocks"][1]["text"]["text"]


def test_more_and_previous_page_through_every_match_one_request_each(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    added = _add_issues(issuetrak_server, 25, "Flickering monitor")
    first = chat.send("/tracker search flickering monitor")
    assert _numbers(first) == added[::-1][:10]
    assert "1–10 of 25" in first.text
    assert [b["text"]["text"] for b in first.buttons()] == ["More"]

    before = len(issuetrak_server.state.received)
    second = chat.click(_page_button(first, "More"))
    assert len(issuetrak_server.state.received) - before == 1
    assert _numbers(second) == added[::-1][10:20]
    third = chat.click(_page_button(second, "More"))
    assert _numbers(third) == added[::-1][20:]
    assert "21–25 of 25" in third.text
    assert [b["text"]["text"] for b in third.buttons()] == ["Previous"]
    back = chat.click(_page_button(third, "Previous"))
    assert _numbers(back) == added[::-1][10:20]
    assert [_searches(issuetrak_server)[-1]["PageIndex"]] == [1]


@pytest.mark.parametrize(
    ("filters", "expected", "sent"),
    [
        ("status:closed", [1002], ("Status", "Equal", "Closed")),
        ("status:OPEN", [1003, 1004, 1007], ("Status", "Equal", "Open")),
        ("priority:high", [1002], ("PriorityID", "Equal", "3")),
        ("priority:urgent", [], ("PriorityID", "Equal", "4")),
        ('project:"studio network refresh"', [1007], ("ProjectID", "Equal", "1")),
        ("project:1", [1007], ("ProjectID", "Equal", "1")),
    ],
)
def test_filters_are_sent_to_issuetrak_and_honoured(
    chat: Chat, issuetrak_server: IssuetrakServer, filters: str, expected: list[int], sent: tuple[str, str, str]
) -> None:
    """Words that many issues hold ("e" is in nearly every one), narrowed by the filter alone."""
    everything = {1002, 1003, 1004, 1007}
    for number in everything:
        issuetrak_server.state.issues[number]["Description"] += " zebra"
    reply = chat.send(f"/tracker search zebra {filters}")
    assert set(_numbers_or_none(reply)) == set(expected), reply.text
    assert sent in _conditions(_searches(issuetrak_server)[-1])
    if not expected:
        assert "No Issuetrak issue matches “zebra”" in reply.text


def test_a_filter_that_names_nothing_gets_a_sentence_and_no_search(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    reply = chat.send("/tracker search printer priority:whenever")
    assert "Issuetrak has no priority “whenever”; its priorities are Low, Normal, High, Urgent." in reply.text
    reply = chat.send("/tracker search printer project:nowhere")
    assert "No Issuetrak project matches “nowhere”." in reply.text
    assert not issuetrak_server.requests_to(SEARCH)
    for typed, sentence in (
        ("/tracker search", "Tell me what to look for"),
        ("/tracker search status:pending", "not `status:pending`"),
        ("/tracker search x status:open status:closed", "each once"),
        ("/tracker mine printers", "takes only filters"),
    ):
        assert sentence in chat.send(typed).text, typed


def test_search_is_under_the_read_rule_at_every_page(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    _add_issues(issuetrak_server, 12, "Flickering monitor")
    first = chat.send("/tracker search flickering")
    more = _page_button(first, "More")
    chat.user = "U0NOBODY"  # no Issuetrak user: may not read issues
    refused = chat.send("/tracker search flickering")
    assert "Reading Issuetrak issues needs" in refused.text or "matches no active Issuetrak user" in refused.text
    assert not _numbers_or_none(refused)
    assert not _numbers_or_none(chat.click(more)), "a replayed button reads nothing either"
    assert len(issuetrak_server.requests_to(SEARCH)) == 1

    chat.runtime.settings.OPEN_READS = True
    assert len(_numbers(chat.click(more))) == 2
    slack_state.add_user("U0GUEST", "Gus Guest", "alice@example.com").is_restricted = True
    chat.user = "U0GUEST"  # a guest reads nothing, OPEN_READS or not, even with a matching email
    assert messages.GUEST_REFUSED in chat.click(more).text
    assert messages.GUEST_REFUSED in chat.send("/tracker mine").text


def _numbers_or_none(reply: Reply) -> list[int]:
    try:
        return _numbers(reply)
    except IndexError:
        return []


def test_a_forged_page_button_is_out_of_date(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    for value in ("", "{}", '{"c":"issue 1001","p":1}', '{"c":"search x","p":-1}', "[1]", '{"c":"search x","p":"a"}'):
        reply = chat.click(
            {"action_id": ids.ISSUES_PAGE, "value": value, "text": {"type": "plain_text", "text": "More"}}
        )
        assert messages.MODAL_EXPIRED in reply.text, value
    far = chat.click({"action_id": ids.ISSUES_PAGE, "value": '{"c":"search the","p":99999999}'})
    assert "No Issuetrak issue matches" in far.text
    assert not issuetrak_server.state.refusals


def test_mine_lists_open_issues_assigned_to_me_or_next_action_to_me_with_counts(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    issues = issuetrak_server.state.issues
    issues[1004]["NextActionTo"] = "amartin"  # Alice has the next action, not the assignment
    issues[1003]["NextActionTo"] = "cdubois"  # assigned to Alice, the next action with Camille
    reply = chat.send("/tracker mine")  # Alice: amartin by her email
    assert set(_numbers(reply)) == {1003, 1004, 1007}  # 1008 is hers but closed
    assert "1–3 of 3: 2 assigned to you, 2 with the next action for you" in reply.text
    conditions = _conditions(_searches(issuetrak_server)[-3])
    assert ("Status", "Equal", "Open") in conditions and ("AssignedTo", "Equal", "amartin") in conditions

    closed = chat.send("/tracker mine status:closed")
    assert _numbers(closed) == [1008]
    assert "1 assigned to you, 1 with the next action for you" in closed.text
    none = chat.send("/tracker mine priority:urgent")
    assert "You have no issues matching “priority:urgent”" in none.text


def test_mine_needs_an_issuetrak_user_even_when_reads_are_open(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.runtime.settings.OPEN_READS = True
    chat.user = "U0NOBODY"
    reply = chat.send("/tracker mine")
    assert "matches no active Issuetrak user" in reply.text or "Issuetrak user" in reply.text
    assert not issuetrak_server.requests_to(SEARCH)


def test_search_when_issuetrak_is_down_says_so(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.send("/tracker issue 1001")  # Alice's identity and the names are known
    issuetrak_server.state.faults.fail_next.extend([503] * 10)
    reply = chat.send("/tracker search vpn")
    assert "Issuetrak is not answering right now" in reply.text
