"""A page of search or mine results stays within Block Kit's limits whatever Issuetrak holds."""

from __future__ import annotations

import json

from bot.trackers.models import Issue, IssuePage
from bot.views import ids
from bot.views.cards import as_dicts
from bot.views.issue_results import my_issues, search_results
from bot.views.limits import BUTTON_VALUE_LIMIT, SECTION_LIMIT


def _page(index: int, total: int, subject: str = "Printer jams") -> IssuePage:
    issues = [
        Issue(number=n, subject=subject, status="Open", assignee="A" * 5000, url=f"https://it.example.com/{n}")
        for n in range(10)
    ]
    return IssuePage(issues=issues, page_index=index, page_size=10, total=total)


def test_huge_tracker_text_is_cut_and_every_block_fits() -> None:
    blocks = as_dicts(search_results(_page(1, 35, "x" * 20_000 + "<b>&"), "printer", "search printer"))
    assert len(blocks) <= 50
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 10 and all(len(b["text"]["text"]) <= SECTION_LIMIT for b in sections)
    assert "<b>" not in json.dumps(blocks)  # tracker text is escaped
    [actions] = [b for b in blocks if b["type"] == "actions"]
    values = {e["text"]["text"]: json.loads(e["value"]) for e in actions["elements"]}
    assert values == {"Previous": {"c": "search printer", "p": 0}, "More": {"c": "search printer", "p": 2}}
    assert all(e["action_id"] == ids.ISSUES_PAGE for e in actions["elements"])
    assert "Showing 11–20 of 35" in json.dumps(blocks, ensure_ascii=False)


def test_a_command_too_long_for_a_button_gets_no_button_rather_than_a_cut_one() -> None:
    long_command = "search " + "w" * BUTTON_VALUE_LIMIT
    blocks = as_dicts(search_results(_page(0, 35), "w", long_command))
    assert not [b for b in blocks if b["type"] == "actions"]


def test_mine_says_its_counts_and_an_empty_page_says_so() -> None:
    shown = json.dumps(as_dicts(my_issues(_page(0, 10), 7, 4, "mine")), ensure_ascii=False)
    assert "Your issues, 1–10 of 10: 7 assigned to you, 4 with the next action for you" in shown
    empty = IssuePage(issues=[], page_index=0, page_size=10, total=0)
    assert "You have no open issues" in json.dumps(as_dicts(my_issues(empty, 0, 0, "mine")))
    assert "matching “status:closed”" in json.dumps(
        as_dicts(my_issues(empty, 0, 0, "mine status:closed")), ensure_ascii=False
    )
