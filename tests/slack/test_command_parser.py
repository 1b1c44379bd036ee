"""The `/tracker` parser: what people type becomes a command, and anything at all (missing,
extra, huge, Unicode, control characters, injection-shaped words) becomes a command too, never an
exception; what it does not understand is `Help` with a reason."""

from __future__ import annotations

from dataclasses import fields
from datetime import time
from typing import get_args

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.slack.command_parser import (
    MAX_ARGUMENT,
    AddNote,
    Command,
    DigestDaily,
    DigestList,
    DigestNow,
    DigestOff,
    FindAsset,
    Help,
    LinkUser,
    ListProjects,
    ShowIssue,
    ShowProject,
    Unlink,
    parse,
)

COMMAND_TYPES = get_args(Command)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("issue 123", ShowIssue(123)),
        ("ISSUE   #123", ShowIssue(123)),
        ("#77", ShowIssue(77)),
        ("issue <https://it.example.com/helpdesk/Issue_View.asp?ID=1007&amp;x=1>", ShowIssue(1007)),
        ("issue https://it.example.com/api/v1/issues/false/42", ShowIssue(42)),
        ("note 5 printer fixed", AddNote(5, "printer fixed")),
        ("project 7", ShowProject("7")),
        ("project #WEB", ShowProject("WEB")),
        ("projects", ListProjects()),
        ("asset LAPTOP-0042", FindAsset("LAPTOP-0042")),
        ("assets laptop", FindAsset("laptop")),
        ("digest now", DigestNow()),
        ("digest now web", DigestNow("web")),
        ("digest daily 9h05 Europe/Paris", DigestDaily(time(9, 5), "Europe/Paris")),
        ("digest daily 09:00", DigestDaily(time(9, 0), None)),
        ("digest daily 17:30 UTC render farm", DigestDaily(time(17, 30), "UTC", "render farm")),
        ("digest off", DigestOff()),
        ("digest list", DigestList()),
        ("link jdoe", LinkUser("jdoe")),
        ("link <@U0BAO|bao> bnguyen", LinkUser("bnguyen", "U0BAO")),
        ("link <@U0BAO>  bnguyen", LinkUser("bnguyen", "U0BAO")),
        ("unlink", Unlink()),
        ("UNLINK <@U0BAO|bao>", Unlink("U0BAO")),
        ("unlink <@W0ENTERPRISE>", Unlink("W0ENTERPRISE")),
        ("help", Help()),
        ("", Help()),
    ],
)
def test_what_people_type(text: str, expected: Command) -> None:
    assert parse(text) == expected


def test_a_note_keeps_its_lines_and_slack_markup() -> None:
    typed = "note 1003 *done*\n&gt; quoted <https://wiki.example/x|the wiki> by <@U0ALICE>\r\n• item"
    kept = "*done*\n&gt; quoted <https://wiki.example/x|the wiki> by <@U0ALICE>\n• item"
    assert parse(typed) == AddNote(1003, kept)


def test_control_and_invisible_characters_are_not_part_of_words() -> None:
    assert parse("is\u200bsue\x0012") == ShowIssue(12)  # a zero-width space joins, NUL separates
    assert parse("issue\x00\x07#12") == ShowIssue(12)
    assert parse("iss\x00ue 12") == Help(
        "I don't know `iss`: did you mean `/tracker issue ue 12`? Give an issue number, for example `/tracker issue 123`.",
        everything=False,
    )
    assert parse("note 12 ok\x1b[31m red\u202e") == AddNote(12, "ok [31m red")
    assert parse("\u2066issue 5\u2069") == ShowIssue(5)


@pytest.mark.parametrize(
    "text",
    [
        "issue",
        "issue soon",
        "issue 12 13",
        "issue 1234567890",
        "issue ١٢٣",
        "issue ＃１２",
        "issue -4",
        "issue 12; DROP TABLE issues",
        "issue ../../etc/passwd",
        "issue javascript:alert(1)",
        "note",
        "note 12",
        "note twelve text",
        "note ١٢ text",
        "note 12   \n  ",
        "project",
        "asset",
        "digest",
        "digest sometimes",
        "digest daily",
        "digest daily 25:00",
        "digest daily 9:75",
        "digest daily 09:00 Mars/Olympus",
        "digest daily 09:00 ../../etc/passwd",
        "digest daily noon",
        "link",
        "link two words",
        "link <script>",
        "link ' OR '1'='1",
        "link a/b",
        "link <@U0BAO>",
        "link <@U0BAO> bnguyen extra",
        "link <@U0BAO> <@U0ALICE> x",
        "link bnguyen <@U0BAO>",
        "link <@U0BAO|a> <@U0ALICE>",
        "link <@u0bao> bnguyen",
        "link <!channel> bnguyen",
        "unlink bnguyen",
        "unlink <@U0BAO> <@U0ALICE>",
        "unlink <!here>",
        "unlink @bao",
    ],
)
def test_missing_extra_and_malformed_arguments_get_help_with_a_reason(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Help) and result.reason, result


@pytest.mark.parametrize(
    "verb",
    [
        "issue",
        "project",
        "projects",
        "asset",
        "digest now",
        "digest daily 09:00",
        "link",
        "frob",
    ],
)
def test_forty_thousand_characters_are_refused_with_the_limit(verb: str) -> None:
    result = parse(f"{verb} " + "x" * 40_000)
    assert result == Help(
        f"That is {40_001 + len(verb):,} characters; `/tracker` takes at most {MAX_ARGUMENT:,}.", everything=False
    )


def test_a_huge_note_is_left_to_the_write_to_refuse() -> None:
    """The note's own limit (and sentence) belongs to the write; the parser keeps it whole."""
    result = parse("note 12 " + "é" * 40_000)
    assert isinstance(result, AddNote) and len(result.text) == 40_000


def test_unknown_words_are_quoted_briefly() -> None:
    result = parse("frobnicate" * 100)
    assert isinstance(result, Help) and result.reason and len(result.reason) < 100


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "isue 1001",
            "I don't know `isue`: did you mean `/tracker issue 1001`? "
            "Give an issue number, for example `/tracker issue 123`.",
        ),
        (
            "projcts",
            "I don't know `projcts`: did you mean `/tracker projects`? Type `/tracker projects` to list the projects.",
        ),
        ("frob 12", "I don't know `frob`; `/tracker help` lists what I do."),
        (
            "watch 1001",
            "Did you mean `/tracker watch issue 1001`? "
            "Use `/tracker watch issue 123` or `/tracker watch project <ID, key or name>`.",
        ),
        (
            "unwatch #1001",
            "Did you mean `/tracker unwatch issue 1001`? "
            "Use `/tracker unwatch issue 123` or `/tracker unwatch project <ID, key or name>`.",
        ),
        ("issue -5", "`-5` is not an issue number. Give an issue number, for example `/tracker issue 123`."),
        (
            "link @Bob Smith bsmith",
            "I could not tell who `@Bob Smith bsmith` is: pick the person from the list Slack shows as you type `@`. "
            "Give your Issuetrak user ID, for example `/tracker link jdoe` (admins: `/tracker link @person jdoe`).",
        ),
        (
            "project",
            "Give a project ID, a Jira key or a name, for example `/tracker project 1` or `/tracker project WEB`.",
        ),
        ("note 12", "Write the note after the issue number, for example `/tracker note 12 printer fixed`."),
    ],
)
def test_a_mistake_gets_one_line_with_the_usage_of_the_command_meant(text: str, sentence: str) -> None:
    assert parse(text) == Help(sentence, everything=False)


@pytest.mark.parametrize("text", ["help", "?", "", "HELP"])
def test_only_asking_for_help_gets_the_whole_help(text: str) -> None:
    assert parse(text) == Help(None, everything=True)


# --- properties ------------------------------------------------------------------------------

HOSTILE_WORDS = st.sampled_from(
    [
        "issue",
        "note",
        "project",
        "projects",
        "asset",
        "assets",
        "digest",
        "now",
        "daily",
        "off",
        "list",
        "link",
        "help",
        "#",
        "#12",
        "12",
        "09:00",
        "Europe/Paris",
        "UTC",
        "<@U1>",
        "<!channel>",
        "<https://x.example|x>",
        "<https://x.example/Issue_View.asp?ID=9>",
        "&lt;script&gt;",
        "<script>",
        "'; DROP TABLE outbox; --",
        "{{7*7}}",
        "${jndi:ldap://x}",
        "%00",
        "\x00",
        "\x1b[2J",
        "\u202e",
        "\u200b",
        "\r\n",
        "\n",
        "\t",
        " ",
        "١٢٣",
        "🎉",
        "é",
        "x" * 3001,
    ]
)
HOSTILE_TEXT = st.one_of(
    st.text(),
    st.lists(HOSTILE_WORDS | st.text(max_size=6), max_size=12).map(" ".join),
    st.lists(HOSTILE_WORDS, max_size=12).map("".join),
)
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {chr(c) for c in range(0x7F, 0xA0)}


def _strings(command: Command) -> list[str]:
    return [v for f in fields(command) if isinstance(v := getattr(command, f.name), str)]


@settings(max_examples=400, deadline=None)
@given(text=HOSTILE_TEXT)
@example(text="ISSUE HTTP://[")  # urlparse refuses an unclosed IPv6 bracket
def test_parse_is_total(text: str) -> None:
    """Never an exception, always one of the commands; numbers in range; no control character
    in any argument; every argument but a note's text within the limit."""
    command = parse(text)
    assert isinstance(command, COMMAND_TYPES)
    for value in _strings(command):
        assert not CONTROL & set(value), (text, command)
        assert "\u202e" not in value and "\u200b" not in value
        if not isinstance(command, AddNote):
            assert len(value) <= MAX_ARGUMENT + 200
    if isinstance(command, (ShowIssue, AddNote)):
        assert 0 <= command.number <= 999_999_999
    if isinstance(command, AddNote):
        assert command.text and command.text == command.text.strip()


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(min_value=1, max_value=999_999_999),
    text=st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp", "Cf"]), min_size=1),
)
def test_a_note_is_kept_as_typed(number: int, text: str) -> None:
    """Whatever follows the issue number is the note, every visible character of it."""
    command = parse(f"note #{number} {text}")
    if text.strip():
        assert command == AddNote(number, text.strip())
    else:
        assert isinstance(command, Help)


@settings(max_examples=100, deadline=None)
@given(text=HOSTILE_TEXT)
def test_parse_does_not_care_about_case_or_spacing_of_the_verb(text: str) -> None:
    command = parse(text)
    words = text.split(None, 1)
    if words and words[0].isascii() and words[0].lower() in ("issue", "project", "asset", "link") and len(words) == 2:
        assert type(parse(words[0].upper() + "   " + words[1])) is type(command)


# --- what people type: Slack's escapes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project R&amp;D lab move", ShowProject("R&D lab move")),
        ("asset cable &lt;2m&gt;", FindAsset("cable <2m>")),
        ("digest now R&amp;D", DigestNow("R&D")),
        ("digest daily 09:00 UTC R&amp;D", DigestDaily(time(9, 0), "UTC", "R&D")),
        ("project AT&amp;amp;T", ShowProject("AT&amp;T")),  # undone once, not twice
    ],
)
def test_slacks_escapes_are_undone_once_in_project_words_asset_searches_and_digest_scopes(
    text: str, expected: Command
) -> None:
    assert parse(text) == expected


def test_a_note_keeps_slacks_escapes_for_its_html_conversion() -> None:
    assert parse("note 5 R&amp;D &lt;b&gt;") == AddNote(5, "R&amp;D &lt;b&gt;")


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("issue 1001 extra", "`/tracker issue` takes one issue number; I don't know what to do with `extra`."),
        ("issue 1234567890", "`1234567890` is too long for an issue number; Issuetrak numbers have at most 9 digits."),
        ("#1234567890", "`1234567890` is too long for an issue number; Issuetrak numbers have at most 9 digits."),
        (
            "note 1234567890 fixed",
            "`1234567890` is too long for an issue number; Issuetrak numbers have at most 9 digits.",
        ),
    ],
)
def test_extra_words_and_a_ten_digit_number_get_a_sentence_of_their_own(text: str, sentence: str) -> None:
    assert parse(text) == Help(sentence, everything=False)


@pytest.mark.parametrize(
    "text",
    ['asset "LAPTOP-0042"', "asset 'LAPTOP-0042'", "asset “LAPTOP-0042”", "asset ‘LAPTOP-0042’", "asset LAPTOP-0042"],
)
def test_an_asset_in_quotes_is_the_asset(text: str) -> None:
    assert parse(text) == FindAsset("LAPTOP-0042")


@pytest.mark.parametrize("text", ['asset ""', "asset “ ”", "asset ''"])
def test_quotes_around_nothing_get_the_assets_usage(text: str) -> None:
    result = parse(text)
    assert isinstance(result, Help) and (result.reason or "").startswith("Give an asset key")


def test_a_quote_inside_an_asset_search_stays() -> None:
    assert parse('asset 27" monitor') == FindAsset('27" monitor')
