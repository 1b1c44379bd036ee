"""Slack message text to the HTML of an Issuetrak note: formatting, links, mentions, and the
safety properties (no markup from user text, only http(s) links, nothing lost) on any input."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.slack.notes_html import (
    editable_text,
    mentioned_ids,
    mrkdwn_to_html,
    mrkdwn_to_text,
    note_footer_html,
    safe_url,
)

ALLOWED_TAGS = {"strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li", "br", "a", "p"}
VOID_TAGS = {"br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}


class _Checker(HTMLParser):
    """Parses our output the way a browser would and records what it finds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on {tag}")
            if name == "href" and not re.match(r"https?://", value or "", re.IGNORECASE):
                self.problems.append(f"href {value}")
        if tag not in VOID_TAGS:
            self.stack.append(tag)
        self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced {tag}")
        self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(output: str) -> str:
    """Asserts `output` is safe, well-formed HTML with only our tags; returns its text."""
    assert "<script" not in output.lower()
    checker = _Checker()
    checker.feed(output)
    checker.close()
    assert checker.problems == [] and checker.stack == [], (checker.problems, checker.stack, output)
    return "".join(checker.text)


def html_of(text: str, **kwargs) -> str:
    output = mrkdwn_to_html(text, **kwargs)
    check(output)
    return output


# --- examples --------------------------------------------------------------------------------


def test_inline_formatting() -> None:
    assert (
        html_of("*bold* _italic_ ~gone~ `x = 1`")
        == "<strong>bold</strong> <em>italic</em> <s>gone</s> <code>x = 1</code>"
    )


def test_nested_formatting() -> None:
    assert html_of("*bold _and italic ~and struck~_*") == "<strong>bold <em>and italic <s>and struck</s></em></strong>"


def test_unbalanced_and_in_word_markers_stay_literal() -> None:
    assert html_of("*not closed and _neither") == "*not closed and _neither"
    assert html_of("snake_case_name and 2*3*4 and a`b") == "snake_case_name and 2*3*4 and a`b"
    assert html_of("* spaced *") == "* spaced *"


def test_code_keeps_markers_and_markup_as_text() -> None:
    assert html_of("`*not bold* &lt;b&gt;`") == "<code>*not bold* &lt;b&gt;</code>"
    assert html_of("run:\n```if a &lt; b:\n    *x* = 1```\ndone") == "run:<pre>if a &lt; b:\n    *x* = 1</pre>done"


def test_user_text_is_escaped_after_slack_entities_are_undone() -> None:
    text = '&lt;script&gt;alert("x")&lt;/script&gt; it\'s &amp; &amp;lt; &quot;'
    assert html_of(text) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; it&#x27;s &amp; &amp;lt; &amp;quot;"


def test_links() -> None:
    assert html_of('see <https://wiki.example/a?b=1&amp;c="2|the wiki>') == (
        'see <a href="https://wiki.example/a?b=1&amp;c=&quot;2" rel="noopener noreferrer">the wiki</a>'
    )
    assert (
        html_of("<http://plain.example>")
        == '<a href="http://plain.example" rel="noopener noreferrer">http://plain.example</a>'
    )


def test_other_schemes_stay_text() -> None:
    assert html_of("<javascript:alert(1)|click me>") == "click me"
    assert html_of("<javascript:alert(1)>") == "javascript:alert(1)"
    assert (
        html_of("<data:text/html,&lt;b&gt;|x> <mailto:ana@studio.example|ana@studio.example>") == "x ana@studio.example"
    )


def test_mentions_channels_and_specials() -> None:
    names = {"U1": "Ana Ruiz", "U2": "<b>Bob</b>"}
    text = "<@U1> <@U2> <@U3> <@U4|dana> <#C1|it-help> <#C2> <!here> <!channel> <!subteam^S1|@design> <!date^1392734382^{date}|Feb 18>"
    assert html_of(text, resolve_user=names.get, resolve_channel={"C2": "general"}.get) == (
        "@Ana Ruiz @&lt;b&gt;Bob&lt;/b&gt; @user @dana #it-help #general @here @channel @design Feb 18"
    )


def test_formatting_around_tokens() -> None:
    assert html_of("*ask <@U1> now*", resolve_user={"U1": "Ana"}.get) == "<strong>ask @Ana now</strong>"
    assert (
        html_of("_<https://x.example|docs>_")
        == '<em><a href="https://x.example" rel="noopener noreferrer">docs</a></em>'
    )


def test_quotes_lists_and_lines() -> None:
    text = "Hi\n&gt; quoted *line*\n&gt; second\nthen\n• one\n- two\n1. first\n2. second\n\nbye"
    assert html_of(text) == (
        "Hi<blockquote>quoted <strong>line</strong><br>second</blockquote>then"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol><br>bye"
    )
    assert html_of("3. three\n4. four") == '<ol start="3"><li>three</li><li>four</li></ol>'


def test_emoji_and_cjk_text() -> None:
    assert (
        html_of("🎉 *完成了* _日本語_ ~한국어~ :tada:")
        == "🎉 <strong>完成了</strong> <em>日本語</em> <s>한국어</s> :tada:"
    )


def test_forty_thousand_characters_quickly() -> None:
    for text in ("*a _b ~c `d " * 4000, "x" * 40_000, "&gt; *q*\n• *l*\n" * 3000, "*_~`" * 10_000):
        started = time.perf_counter()
        output = html_of(text)
        assert time.perf_counter() - started < 2
        assert len(output) >= len(text) // 2


def test_plain_text_version() -> None:
    assert mrkdwn_to_text("*Printer* on <#C1|it> &amp; <https://x.example|log>\n• one") == "Printer on #it & log\n• one"


def test_typed_text_from_a_modal() -> None:
    raw = "see <https://x.example/?a=1&amp;b=2|docs> &amp; ask <@U1|bob>\n&gt; if 1 &lt; 2"
    typed = editable_text(raw)
    assert typed == "see <https://x.example/?a=1&amp;b=2|docs> & ask <@U1|bob>\n> if 1 < 2"
    assert html_of(typed, slack_escaped=False) == html_of(raw)
    assert html_of("<b>bold?</b> &amp; <javascript:x|y>", slack_escaped=False) == "&lt;b&gt;bold?&lt;/b&gt; &amp;amp; y"


def test_mentioned_ids() -> None:
    assert mentioned_ids("<@U1> <@U2|bob> <#C1|x> <!here> <@U1>") == ({"U1", "U2"}, {"C1"})


def test_safe_url() -> None:
    assert safe_url("https://x.example/a b") == "https://x.example/ab"
    assert safe_url("HTTPS://X.example") == "HTTPS://X.example"
    for bad in (
        "javascript:alert(1)",
        "java\nscript:alert(1)",
        " javascript:x",
        "//x.example",
        "data:x",
        "",
        None,
        "http://",
    ):
        assert safe_url(bad) is None


def test_footer() -> None:
    footer = note_footer_html(
        person="Ana <Ruiz>",
        person_id="U0ANA",
        channel="#it-help",
        permalink='https://studio.slack.com/archives/C1/p1?x="y',
    )
    assert footer == (
        "<p>Posted from Slack by Ana &lt;Ruiz&gt; (U0ANA) in #it-help · "
        '<a href="https://studio.slack.com/archives/C1/p1?x=&quot;y" rel="noopener noreferrer">view message</a></p>'
    )
    assert (
        note_footer_html(person="Ana", person_id="U0ANA", channel=None, permalink="javascript:alert(1)")
        == "<p>Posted from Slack by Ana (U0ANA)</p>"
    )


# --- properties ------------------------------------------------------------------------------

SLACKISH = st.sampled_from(
    [
        "*",
        "_",
        "~",
        "`",
        "```",
        "\n",
        " ",
        "&gt; ",
        "• ",
        "- ",
        "1. ",
        "&amp;",
        "&lt;",
        "&gt;",
        "<",
        ">",
        "|",
        "<@U1>",
        "<@U2|ana>",
        "<#C1|it>",
        "<!here>",
        "<!subteam^S1|@team>",
        "<https://x.example|l>",
        "<javascript:alert(1)|x>",
        "<data:text/html,x>",
        '<https://x.example/" onmouseover="alert(1)>',
        "<script>",
        "onload=",
        '"',
        "'",
        "javascript:",
    ]
)
slack_text = st.lists(SLACKISH | st.text(max_size=8), max_size=60).map("".join)
names = st.none() | st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(text=slack_text | st.text(), user=names, channel=names, escaped=st.booleans())
def test_any_input_gives_safe_well_formed_html(text: str, user: str | None, channel: str | None, escaped: bool) -> None:
    output = mrkdwn_to_html(text, resolve_user=lambda _: user, resolve_channel=lambda _: channel, slack_escaped=escaped)
    check(output)
    mrkdwn_to_text(text)


WORDY = st.lists(
    st.sampled_from(["*", "_", "~", "`", "```", "\n", " ", "&gt; ", "• ", "- ", "1. ", "&amp;", "&lt;", "&", ";", "."])
    | st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)
    | st.sampled_from(["🎉", "完成", "naïve"]),
    max_size=60,
).map("".join)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


@settings(max_examples=300, deadline=None)
@given(text=WORDY)
@example(text="```*```1. ")  # a code block ends a line: what follows may open a list
def test_every_word_survives(text: str) -> None:
    """What the person wrote is all there: every word of the message, in order, in the note's
    text (list numbers become the list's numbering, so they are not required)."""
    typed = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    expected = _words(re.sub(r"(?m)(^|```)\s*[0-9]{1,9}\. ", r"\1", typed))
    found = iter(_words(check(mrkdwn_to_html(text))))  # check() gives the text a browser shows
    assert all(word in found for word in expected), (text, expected)


@settings(max_examples=200, deadline=None)
@given(
    person=st.text(), channel=st.none() | st.text(), permalink=st.none() | st.text() | st.just("https://s.slack.com/p1")
)
@example(person="&gt", channel="&amp", permalink=None)  # entity-like names are shown as typed
def test_footer_is_always_safe(person: str, channel: str | None, permalink: str | None) -> None:
    text = check(note_footer_html(person=person, person_id="U0ANA", channel=channel, permalink=permalink))
    assert " ".join(person.split()) in " ".join(text.split())  # check() gives the text a browser shows
