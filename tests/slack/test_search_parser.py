"""`/tracker search` and `/tracker mine`: words, `name:value` filters, and the text a results
page's buttons carry, which parses back to the same command."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.command_parser import Help, IssueFilters, MyIssues, SearchIssues, parse


@pytest.mark.parametrize(
    ("text", "words", "filters"),
    [
        ("search printer jam", "printer jam", IssueFilters()),
        ("SEARCH  vpn   status:Open", "vpn", IssueFilters(status="open")),
        ("search status:closed vpn priority:High", "vpn", IssueFilters(status="closed", priority="High")),
        ('search move project:"R&amp;D lab move"', "move", IssueFilters(project="R&D lab move")),
        ("search &lt;broken&gt; project:#7", "<broken>", IssueFilters(project="#7")),
        ("search error:42 code", "error:42 code", IssueFilters()),  # not a filter: words
    ],
)
def test_search_words_and_filters(text: str, words: str, filters: IssueFilters) -> None:
    command = parse(text)
    assert isinstance(command, SearchIssues)
    assert (command.words, command.filters) == (words, filters)


def test_mine_takes_filters_only() -> None:
    assert parse("mine") == MyIssues(IssueFilters(), "mine")
    assert parse("mine priority:urgent status:closed") == MyIssues(
        IssueFilters(status="closed", priority="urgent"), "mine priority:urgent status:closed"
    )
    assert isinstance(parse("mine printers"), Help)


@pytest.mark.parametrize(
    "text",
    ["search", "search status:open", "search x status:later", "search x status:", "search x priority:a priority:b"],
)
def test_what_search_refuses_gets_a_sentence_alone(text: str) -> None:
    command = parse(text)
    assert isinstance(command, Help) and command.reason and not command.everything


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_the_text_a_button_carries_parses_back_to_the_same_command(text: str) -> None:
    for verb in ("search", "mine"):
        command = parse(f"{verb} {text}")
        if isinstance(command, (SearchIssues, MyIssues)):
            assert parse(command.text) == command
