"""Cards and lists: what they show, that tracker text cannot form Slack markup, and that no
input (10k-character names, 500 projects) breaks Slack's limits."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.trackers.models import Asset, AssetPage, Issue, ProjectStatus, TrackerName
from bot.views import ids
from bot.views.cards import as_dicts, asset_card, asset_list, help_blocks, issue_card, project_card, projects_list
from bot.views.mrkdwn import escape, fmt_date, fmt_hours, fmt_money, link, progress_bar, truncate, truncate_mrkdwn
from bot.views.sentence_blocks import said
from tests.views import assert_safe_mrkdwn, assert_within_limits, mrkdwn_texts, walk

TODAY = date(2025, 3, 10)
HOSTILE = "<!channel> & <@U123> <https://evil.example|click> *bold* &amp; > <#C1|x>"
HUGE = "Ünïcødé 漢字 🎉 <!here> & " * 400  # about 10,000 characters


def rendered(blocks: list[Any]) -> list[dict[str, Any]]:
    """The JSON, checked against Slack's limits and the mrkdwn safety rule."""
    payload = as_dicts(blocks)
    assert_within_limits(payload)
    for text in mrkdwn_texts(payload):
        assert_safe_mrkdwn(text)
    return payload


def all_text(payload: list[dict[str, Any]]) -> str:
    return "\n".join(obj["text"] for obj in walk(payload) if isinstance(obj.get("text"), str))


def buttons(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj for obj in walk(payload) if obj.get("type") == "button"]


def project(**changes) -> ProjectStatus:
    base = dict(
        tracker=TrackerName.PROJECTRAK,
        id="10001",
        key="WEB",
        name="Website relaunch",
        status="In progress",
        percent_complete=40,
        target_date=date(2025, 3, 1),
        budget_estimated=12000,
        budget_actual=13500.5,
        hours_estimated=120,
        hours_actual=140,
        health="At risk",
        owner="Dana Whitfield",
        url="https://studio.atlassian.net/browse/WEB",
    )
    return ProjectStatus(**(base | changes))


def asset(n: int = 42, **changes) -> Asset:
    base = dict(
        tracker=TrackerName.AIP,
        id=str(n),
        key=f"LAPTOP-{n:04d}",
        name=f"MacBook Pro 14 #{n}",
        collection="Laptops",
        status="In use",
        attributes={"Serial": "C02XK1", "Owner": "Ana", "RAM": "32 GB"},
        attachments=2,
        created_by="Priya",
        created_at=datetime(2024, 11, 4, 10, 30),
        url=f"https://studio.atlassian.net/plugins/aip/assets/LAPTOP-{n:04d}",
    )
    return Asset(**(base | changes))


# --- text helpers ----------------------------------------------------------------------------


def test_escape_only_touches_the_three_characters() -> None:
    assert escape('<!channel> & <@U1> *b* "q"') == '&lt;!channel&gt; &amp; &lt;@U1&gt; *b* "q"'


def test_truncate_ends_with_an_ellipsis_only_when_it_cuts() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("a" * 20, 10) == "a" * 9 + "…"
    assert len(truncate("x" * 10_000, 150)) == 150
    assert truncate("abc", 0) == ""


def test_truncate_mrkdwn_never_cuts_an_entity_or_a_link() -> None:
    assert truncate_mrkdwn("ab &amp; cd", 6) == "ab…"
    assert truncate_mrkdwn("see <https://x.example|label> now", 12) == "see…"
    cut = truncate_mrkdwn("&lt;" * 1000, 3000)
    assert len(cut) <= 3000 and cut == "&lt;" * 749 + "…"


def test_progress_bar() -> None:
    assert progress_bar(40) == "▓▓▓▓░░░░░░ 40%"
    assert progress_bar(100) == "▓▓▓▓▓▓▓▓▓▓ 100%"
    assert progress_bar(-5) == "░░░░░░░░░░ 0%"
    assert progress_bar(250, width=5) == "▓▓▓▓▓ 100%"
    assert progress_bar(None) == "—"
    assert progress_bar(float("nan")) == "—"


def test_link_allows_only_http_urls_and_escapes_the_label() -> None:
    assert link("https://x.example/a?b=1&c=2", "A <b> & c") == "<https://x.example/a?b=1&amp;c=2|A &lt;b&gt; &amp; c>"
    assert link("https://x.example/a|b>c", "l") == "<https://x.example/abc|l>"
    assert link("javascript:alert(1)", "x") == "x"
    assert link("data:text/html,hi", "x") == "x"
    assert link("/relative/path", "x") == "x"
    assert link(None, "<!channel>") == "&lt;!channel&gt;"


def test_formats() -> None:
    assert fmt_date(date(2025, 3, 1)) == "1 Mar 2025"
    assert fmt_date(datetime(2025, 12, 24, 18)) == "24 Dec 2025"
    assert fmt_date(None) == "—"
    assert fmt_money(12500) == "12,500"
    assert fmt_money(12500.5) == "12,500.50"
    assert fmt_hours(120) == "120 h"
    assert fmt_hours(12.25) == "12.2 h"
    assert fmt_hours(None) == "—"


# --- issue card ------------------------------------------------------------------------------


def test_issue_card_shows_the_issue() -> None:
    issue = Issue(
        number=123,
        subject="Printer on 3rd floor jams",
        status="Open",
        priority="High",
        issue_type="Hardware",
        assignee="Sam Ortiz",
        submitted_by="Alex Kim",
        submitted_date=datetime(2025, 3, 1, 9, 15),
        target_date=datetime(2025, 3, 5),
        url="https://it.example.com/Issue/IssueDetail.asp?IssueNumber=123",
    )
    payload = rendered(issue_card(issue, TODAY))
    assert payload[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Printer on 3rd floor jams", "emoji": True},
    }
    fields = [field["text"] for field in payload[1]["fields"]]
    assert fields == [
        "*Status*\nOpen",
        "*Priority*\nHigh",
        "*Assignee*\nSam Ortiz",
        "*Submitted*\n1 Mar 2025 by Alex Kim",
        "*Target date*\n5 Mar 2025 ⚠ overdue by 5 days",
        "*Type*\nHardware",
    ]
    add_note, watch, button, assign_me, refresh = buttons(payload)
    assert (assign_me["action_id"], refresh["action_id"]) == (ids.CARD_ASSIGN_ME, ids.CARD_REFRESH)
    assert add_note["action_id"] == ids.ISSUE_ADD_NOTE
    assert (watch["action_id"], watch["value"], watch["text"]["text"]) == (ids.WATCH_HERE, "issue:123", "Watch here")
    assert button["url"] == issue.url and button["action_id"] == ids.OPEN_IN_TRACKER
    assert payload[-1]["elements"][0]["text"] == "Issuetrak #123"


def test_issue_card_starts_its_buttons_with_add_note_and_ends_with_open() -> None:
    """Add note, (Watch here,) Open in Issuetrak: the note button carries the issue's number only."""
    first = next(
        b
        for b in rendered(issue_card(Issue(number=1234, subject="s", url="https://it.example.com/x"), TODAY))
        if b["type"] == "actions"
    )
    row = buttons([first])
    assert row[0] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Add note"},
        "action_id": ids.ISSUE_ADD_NOTE,
        "value": "1234",
    }
    assert row[-1]["action_id"] == ids.OPEN_IN_TRACKER


def test_issue_card_closed_or_future_target_is_not_overdue() -> None:
    closed = Issue(number=1, subject="s", status="Closed", target_date=datetime(2025, 1, 1))
    future = Issue(number=2, subject="s", status="Open", target_date=datetime(2025, 3, 10))
    for issue in (closed, future):
        assert "overdue" not in all_text(rendered(issue_card(issue, TODAY)))


def test_issue_card_defaults_and_hostile_text() -> None:
    payload = rendered(issue_card(Issue(number=9, subject="  ", assignee=HOSTILE, status=HOSTILE, url="javascript:x")))
    assert payload[0]["text"]["text"] == "Issue #9"
    assert [b["action_id"] for b in buttons(payload)] == [  # no unsafe link button
        ids.ISSUE_ADD_NOTE,
        ids.WATCH_HERE,
        ids.CARD_ASSIGN_ME,
        ids.CARD_REFRESH,
    ]
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in all_text(payload)


# --- project card ----------------------------------------------------------------------------


def test_project_card_shows_status_progress_money_and_overdue() -> None:
    payload = rendered(project_card(project(), TODAY))
    text = all_text(payload)
    assert payload[0]["text"]["text"] == "Website relaunch"
    assert "Projectrak · WEB" in text
    assert "*Progress*\n▓▓▓▓░░░░░░ 40%" in text
    assert "*Target date*\n1 Mar 2025 ⚠ overdue by 9 days" in text
    assert "*Budget*\n12,000 estimated · 13,500.50 actual" in text
    assert "*Hours*\n120 h estimated · 140 h actual" in text
    assert "*Health*\nAt risk" in text and "*Owner*\nDana Whitfield" in text
    refresh, watch, open_in = buttons(payload)
    assert (refresh["action_id"], refresh["value"]) == (ids.PROJECT_REFRESH, "projectrak:10001")
    assert (watch["action_id"], watch["value"]) == (ids.WATCH_HERE, "project:projectrak:10001")
    assert open_in["action_id"] == ids.OPEN_IN_TRACKER and open_in["text"]["text"] == "Open in Projectrak"
    assert open_in["url"] == "https://studio.atlassian.net/browse/WEB"


def test_project_card_leaves_out_what_is_unknown() -> None:
    kitsu = ProjectStatus(tracker=TrackerName.KITSU, id="a1b2", name="Spring Ad", overdue_tasks=3, is_closed=False)
    payload = rendered(project_card(kitsu, TODAY))
    text = all_text(payload)
    assert "*Overdue tasks*\n3" in text and "*Status*\nOpen" in text
    for absent in ("Budget", "Hours", "Health", "Progress", "Target date", "Open in"):
        assert absent not in text
    assert [b["value"] for b in buttons(payload)] == ["kitsu:a1b2", "project:kitsu:a1b2"]


def test_closed_project_is_never_overdue() -> None:
    payload = rendered(project_card(project(is_closed=True, status="Done", closed_date=date(2025, 3, 2)), TODAY))
    assert "overdue" not in all_text(payload)
    assert "overdue by 1 day" in all_text(rendered(project_card(project(target_date=date(2025, 3, 9)), TODAY)))


# --- assets ----------------------------------------------------------------------------------


def test_asset_card() -> None:
    payload = rendered(asset_card(asset()))
    text = all_text(payload)
    assert payload[0]["text"]["text"] == "MacBook Pro 14 #42"
    for expected in (
        "*Key*\nLAPTOP-0042",
        "*Collection*\nLaptops",
        "*Status*\nIn use",
        "*Serial*\nC02XK1",
        "*RAM*\n32 GB",
    ):
        assert expected in text
    assert "📎 2 attachments · Created by Priya on 4 Nov 2024" in text
    assert buttons(payload)[0]["text"]["text"] == "Open in AIP"


def test_asset_card_shows_eight_attributes_and_counts_the_rest() -> None:
    many = {f"Attribute {i}": f"value {i}" for i in range(20)}
    payload = rendered(asset_card(asset(attributes=many)))
    text = all_text(payload)
    assert "*Attribute 7*\nvalue 7" in text and "Attribute 8" not in text
    assert "…and 12 more attributes" in text


def test_kitsu_asset_card_says_type() -> None:
    kitsu = Asset(tracker=TrackerName.KITSU, id="e1", name="Hero character", collection="Characters")
    assert "*Type*\nCharacters" in all_text(rendered(asset_card(kitsu)))


def test_asset_list_pages_with_a_more_button() -> None:
    page = AssetPage(assets=[asset(n) for n in range(1, 11)], start_at=0, total=34)
    payload = rendered(asset_list(page, "laptop"))
    text = all_text(payload)
    assert "Showing 1–10 of 34 for “laptop”" in text
    assert (
        "• *LAPTOP-0001* <https://studio.atlassian.net/plugins/aip/assets/LAPTOP-0001|MacBook Pro 14 #1> · Laptops · In use"
        in text
    )
    [more] = buttons(payload)
    assert more["action_id"] == ids.ASSET_MORE and json.loads(more["value"]) == {"q": "laptop", "start": 10, "u": {}}


def test_asset_list_last_page_has_no_more_button_and_kitsu_assets_follow() -> None:
    page = AssetPage(assets=[asset(n) for n in range(31, 35)], start_at=30, total=34)
    kitsu = [Asset(tracker=TrackerName.KITSU, id="k1", name="Laptop prop", collection="Props")]
    payload = rendered(asset_list(page, "laptop", kitsu, page_size=10))
    text = all_text(payload)
    assert "Showing 31–34 of 34" in text
    [previous] = buttons(payload)  # Previous only: no More
    assert previous["action_id"] == ids.ASSET_PREVIOUS and previous["text"]["text"] == "Previous"
    assert json.loads(previous["value"]) == {"q": "laptop", "start": 20, "u": {"kitsu": 0}}
    assert "*Kitsu* · 1 asset\n• Laptop prop · Props" in text


def test_asset_list_pages_kitsu_with_the_paged_search_and_past_its_end() -> None:
    kitsu = [
        Asset(tracker=TrackerName.KITSU, id=f"k{n}", name=f"Laptop prop {n}", collection="Props") for n in range(12)
    ]
    first = rendered(
        asset_list(AssetPage(assets=[asset(n) for n in range(1, 11)], start_at=0, total=15), "laptop", kitsu)
    )
    assert json.loads(buttons(first)[0]["value"]) == {"q": "laptop", "start": 10, "u": {"kitsu": 5}}
    second = rendered(
        asset_list(
            AssetPage(assets=[asset(n) for n in range(11, 16)], start_at=10, total=15),
            "laptop",
            kitsu,
            {TrackerName.KITSU: 5},
        )
    )
    text = all_text(second)
    assert "Showing 11–15 of 15" in text and "*Kitsu* · 12 assets · from 6\n• Laptop prop 5 · Props" in text
    back, more = buttons(second)  # Previous beside More
    assert json.loads(more["value"]) == {"q": "laptop", "start": 15, "u": {"kitsu": 10}}
    assert back["action_id"] == ids.ASSET_PREVIOUS and json.loads(back["value"]) == {
        "q": "laptop",
        "start": 0,
        "u": {"kitsu": 0},
    }
    last = rendered(asset_list(AssetPage(assets=[]), "laptop", kitsu, {TrackerName.KITSU: 10}))
    assert "Laptop prop 11" in all_text(last) and "No assets match" not in all_text(last)
    assert [b["text"]["text"] for b in buttons(last)] == ["Previous"]


def test_the_first_page_has_no_previous_button() -> None:
    page = AssetPage(assets=[asset(n) for n in range(1, 11)], start_at=0, total=34)
    assert [b["text"]["text"] for b in buttons(rendered(asset_list(page, "laptop")))] == ["More"]


def test_asset_list_empty() -> None:
    assert "No assets match “ghost &lt;x&gt;”." in all_text(rendered(asset_list(AssetPage(assets=[]), "ghost <x>")))


def test_asset_list_shows_fewer_than_the_page_then_pages_from_where_it_stopped() -> None:
    page = AssetPage(assets=[asset(n) for n in range(50)], start_at=0, total=500)
    payload = rendered(asset_list(page, "laptop"))
    shown = all_text(payload).count("• *LAPTOP-")
    assert 0 < shown < 50
    assert f"Showing 1–{shown} of 500" in all_text(payload)
    assert json.loads(buttons(payload)[0]["value"])["start"] == shown


# --- projects list, messages, help -----------------------------------------------------------


def test_projects_list_groups_by_tracker_and_shows_failures() -> None:
    projects = [
        project(),
        ProjectStatus(tracker=TrackerName.ISSUETRAK, id="7", name="Office move", percent_complete=80),
        ProjectStatus(tracker=TrackerName.PROJECTRAK, id="2", name="Brand refresh", url="https://x.example/B"),
    ]
    payload = rendered(projects_list(projects, TODAY, {"Kitsu": "Kitsu is not answering right now."}))
    text = all_text(payload)
    assert text.index("*Issuetrak* · 1 project") < text.index("*Projectrak* · 2 projects")
    assert "• Office move · Open · ▓▓▓▓░ 80%" in text
    assert (
        "• <https://studio.atlassian.net/browse/WEB|Website relaunch> · In progress · ▓▓░░░ 40% · ⚠ overdue by 9 days"
        in text
    )
    assert payload[-1]["type"] == "context"
    assert payload[-1]["elements"][0]["text"] == "Kitsu: Kitsu is not answering right now."


def test_projects_list_summarises_many() -> None:
    projects = [ProjectStatus(tracker=TrackerName.KITSU, id=str(n), name=f"Show {n}") for n in range(500)]
    text = all_text(rendered(projects_list(projects, TODAY)))
    assert "*Kitsu* · 500 projects" in text and "…and 490 more" in text


def test_projects_list_empty() -> None:
    assert "No projects to show." in all_text(rendered(projects_list([], TODAY)))


def test_message_is_escaped() -> None:
    assert rendered(said(HOSTILE, as_written=True))[0]["text"]["text"].startswith("&lt;!channel&gt; &amp;")
    assert rendered(said("", as_written=True))[0]["text"]["text"]


def test_help_blocks() -> None:
    text = all_text(rendered(help_blocks([("/tracker issue 123", "Show an Issuetrak issue")])))
    assert "`/tracker issue 123`  Show an Issuetrak issue" in text


# --- limits with huge and hostile input ------------------------------------------------------


def test_every_card_survives_huge_input() -> None:
    huge_project = project(
        id="9" * 3000, key=HUGE, name=HUGE, status=HUGE, health=HUGE, owner=HUGE, url="https://x.example/" + "a" * 5000
    )
    huge_asset = asset(
        key=HUGE,
        name=HUGE,
        collection=HUGE,
        status=HUGE,
        created_by=HUGE,
        attributes={f"{HUGE}{i}": HUGE for i in range(500)},
        project=HUGE,
        url="https://x.example/" + HUGE,
    )
    huge_issue = Issue(
        number=1, subject=HUGE, status=HUGE, priority=HUGE, assignee=HUGE, submitted_by=HUGE, issue_type=HUGE
    )
    many_projects = [project(tracker=tracker, id=str(n), name=HUGE) for n in range(125) for tracker in TrackerName]
    views = [
        issue_card(huge_issue, TODAY),
        project_card(huge_project, TODAY),
        asset_card(huge_asset),
        asset_list(AssetPage(assets=[huge_asset] * 500, total=10**6), HUGE, [huge_asset] * 500),
        projects_list(many_projects, TODAY, {HUGE: HUGE} | {f"{i}": HUGE for i in range(30)}),
        said(HUGE * 5, as_written=True),
        help_blocks([(HUGE, HUGE)] * 100),
    ]
    for blocks in views:
        rendered(blocks)
    assert [b["action_id"] for b in buttons(as_dicts(views[1]))] == []  # neither value nor url would fit


text_or_none = st.none() | st.text(max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=4000),
    status=text_or_none,
    owner=text_or_none,
    url=text_or_none,
    percent=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    money=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    attributes=st.dictionaries(st.text(max_size=50), st.text(max_size=300), max_size=30),
)
@example(name=" ", status=None, owner=None, url=None, percent=None, money=None, attributes={})  # blank text
def test_cards_never_break_whatever_the_trackers_return(name, status, owner, url, percent, money, attributes) -> None:
    p = ProjectStatus(
        tracker=TrackerName.PROJECTRAK,
        id="1",
        name=name,
        status=status,
        owner=owner,
        url=url,
        percent_complete=percent,
        budget_estimated=money,
        hours_actual=money,
        target_date=date(2025, 1, 1),
    )
    a = Asset(tracker=TrackerName.AIP, id="1", key=status, name=name, status=owner, attributes=attributes, url=url)
    i = Issue(number=1, subject=name, status=status, assignee=owner, url=url)
    for blocks in (
        project_card(p, TODAY),
        projects_list([p] * 30, TODAY, {"AIP": name}),
        asset_card(a),
        asset_list(AssetPage(assets=[a] * 20, total=100), name, [a]),
        issue_card(i, TODAY),
        said(name, as_written=True),
    ):
        rendered(blocks)
