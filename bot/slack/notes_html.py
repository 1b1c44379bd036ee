"""Slack message text to the safe HTML an Issuetrak rich-text note carries (`IsRichText`
notes: user text escaped, Slack formatting as tags, only http(s) links), and to plain text.

Slack sends text with `&`, `<` and `>` escaped as entities and its own markup in angle brackets:
links `<https://x|label>`, mentions `<@U123>`, channels `<#C1|name>`, specials `<!here>`. The
steps: cut out the angle-bracket tokens, undo Slack's three entities in the text between them,
then every character of user text goes through `html.escape`; only then does Slack formatting
become tags (`*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```pre``` ````, `> ` quotes,
`• `/`- `/`1. ` lists). Links survive only with an http(s) URL; anything else stays text.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlsplit

from bot import messages

Resolver = Callable[[str], "str | None"]

_TOKEN = re.compile(r"<([^<>]*)>")
# In text a person typed into a modal nothing is escaped, so only what looks like Slack's own
# markup (a mention, a special, or `<scheme:…>` with an optional label) counts as a token.
_TYPED_TOKEN = re.compile(r"<((?:[@#!]|[A-Za-z][A-Za-z0-9+.-]*:)[^<>|\s]*(?:\|[^<>]*)?)>")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_SLACK_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_FENCE = re.compile(r"```(.+?)```", re.DOTALL)
# Lines that open a quote or a list item. Slack has escaped the person's ">" in a message;
# text typed into a modal has it as is.
_SLACK_BLOCK_LINES = {
    "quote": re.compile(r"&gt; (.*)"),
    "ul": re.compile(r"\s*[•◦▪-] (.*)"),
    "ol": re.compile(r"\s*([0-9]{1,9})\. (.*)"),
}
_TYPED_BLOCK_LINES = _SLACK_BLOCK_LINES | {"quote": re.compile(r"> (.*)")}
_MARKERS = {"*": "strong", "_": "em", "~": "s"}
_TOKEN_SHADOW = "\ufffc"  # stands for a token when matching markers: not a space, not a word
_MAX_NESTING = 20
# Characters a URL may not carry in a link: Slack's `<url|label>` delimiters, and anything a
# browser would strip or stop at (whitespace, controls).
_URL_UNSAFE = re.compile(r"[|<>\s\x00-\x1f\x7f]")


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL, with characters that could end or split a
    Slack link removed; None otherwise (javascript:, data:, relative paths, ...)."""
    if not url:
        return None
    cleaned = _URL_UNSAFE.sub("", url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return cleaned


def _unescape_slack(text: str) -> str:
    """Undo Slack's escaping of `&`, `<`, `>` (and nothing else: a typed `&quot;` stays)."""
    return _SLACK_ENTITY.sub(lambda m: _SLACK_ENTITIES[m.group(1)], text)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class _Token:
    """An angle-bracket token made readable: what it shows, and its URL when it is a safe link."""

    text: str
    href: str | None = None


def _resolve_token(body: str, resolve_user: Resolver, resolve_channel: Resolver) -> _Token:
    target, _, label = body.partition("|")
    label = _unescape_slack(label)
    if target.startswith("@"):
        return _Token("@" + (resolve_user(target[1:]) or label or "user").lstrip("@"))
    if target.startswith("#"):
        return _Token("#" + (resolve_channel(target[1:]) or label or "channel").lstrip("#"))
    if target.startswith("!"):  # <!here>, <!channel>, <!subteam^ID|@team>, <!date^…|fallback>
        kind = target[1:].split("^", 1)[0]
        return _Token(label or "@" + ("group" if kind == "subteam" else kind))
    url = _unescape_slack(target)
    return _Token(label or url, safe_url(url))


Atom = str | _Token  # one character of user text, or a token


class _Renderer:
    """Turns parsed pieces into HTML; `_TextRenderer` turns the same pieces into plain text."""

    def text(self, text: str) -> str:
        return _esc(text)

    def token(self, token: _Token) -> str:
        if token.href is None:
            return _esc(token.text)
        return f'<a href="{_esc(token.href)}" rel="noopener noreferrer">{_esc(token.text)}</a>'

    def styled(self, tag: str, inner: str) -> str:
        return f"<{tag}>{inner}</{tag}>"

    def code(self, text: str) -> str:
        return f"<code>{_esc(text)}</code>"

    def pre(self, text: str) -> str:
        return f"<pre>{_esc(text)}</pre>"

    def quote(self, lines: list[str]) -> str:
        return f"<blockquote>{'<br>'.join(lines)}</blockquote>"

    def listing(self, numbers: list[str] | None, items: list[str]) -> str:
        if numbers is None:
            return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
        start = "" if numbers[0] == "1" else f' start="{_esc(numbers[0])}"'
        return f"<ol{start}>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"

    def join(self, pieces: list[tuple[bool, str]]) -> str:
        """Pieces are (is a plain line, rendered); plain lines next to each other get a <br>."""
        out: list[str] = []
        previous_line = False
        for is_line, rendered in pieces:
            if is_line and previous_line:
                out.append("<br>")
            out.append(rendered)
            previous_line = is_line
        return "".join(out)


class _TextRenderer(_Renderer):
    def text(self, text: str) -> str:
        return text

    def token(self, token: _Token) -> str:
        return token.text

    def styled(self, tag: str, inner: str) -> str:
        return inner

    def code(self, text: str) -> str:
        return text

    def pre(self, text: str) -> str:
        return text

    def quote(self, lines: list[str]) -> str:
        return "\n".join(lines)

    def listing(self, numbers: list[str] | None, items: list[str]) -> str:
        marks = [f"{n}." for n in numbers] if numbers is not None else ["•"] * len(items)
        return "\n".join(f"{mark} {item}" for mark, item in zip(marks, items, strict=True))

    def join(self, pieces: list[tuple[bool, str]]) -> str:
        return "\n".join(rendered for _, rendered in pieces)


def _is_word(char: str) -> bool:
    """Markers touching a letter or digit are literal (`snake_case`, `2*3*4`), as in Slack."""
    return char.isalnum()


class _Inline:
    """One line's inline formatting. Markers are matched on a shadow string (one character per
    atom) so tokens take part in matching without their text being looked at. Closing
    positions are precomputed and found by bisection: linear-ish even on a 40k-character line."""

    def __init__(self, atoms: list[Atom], renderer: _Renderer) -> None:
        self.atoms = atoms
        self.renderer = renderer
        self.shadow = "".join(a if isinstance(a, str) else _TOKEN_SHADOW for a in atoms)
        n = len(self.shadow)
        self.closers = {
            marker: [i for i in range(1, n) if self.shadow[i] == marker and self._can_close(i)] for marker in _MARKERS
        }
        self.ticks = [i for i in range(n) if self.shadow[i] == "`"]

    def _can_open(self, i: int) -> bool:
        previous = self.shadow[i - 1] if i else " "
        following = self.shadow[i + 1] if i + 1 < len(self.shadow) else " "
        return not following.isspace() and not _is_word(previous) and previous != self.shadow[i]

    def _can_close(self, i: int) -> bool:
        following = self.shadow[i + 1] if i + 1 < len(self.shadow) else " "
        return not self.shadow[i - 1].isspace() and not _is_word(following)

    @staticmethod
    def _first_after(positions: list[int], start: int) -> int | None:
        k = bisect_left(positions, start)
        return positions[k] if k < len(positions) else None

    def _plain(self, start: int, end: int) -> str:
        return "".join(a if isinstance(a, str) else a.text for a in self.atoms[start:end])

    def _literal(self, start: int, end: int) -> str:
        out: list[str] = []
        for is_char, run in groupby(self.atoms[start:end], key=lambda a: isinstance(a, str)):
            if is_char:
                out.append(self.renderer.text("".join(run)))  # type: ignore[arg-type]
            else:
                out.extend(self.renderer.token(token) for token in run)  # type: ignore[arg-type]
        return "".join(out)

    def render(self, start: int = 0, end: int | None = None, depth: int = 0) -> str:
        end = len(self.atoms) if end is None else end
        out: list[str] = []
        literal_from = i = start
        while i < end:
            char = self.shadow[i]
            close: int | None = None
            if char == "`":
                close = self._first_after(self.ticks, i + 2)
            elif char in _MARKERS and depth < _MAX_NESTING and self._can_open(i):
                close = self._first_after(self.closers[char], i + 2)
            if close is None or close >= end:
                i += 1
                continue
            out.append(self._literal(literal_from, i))
            if char == "`":
                out.append(self.renderer.code(self._plain(i + 1, close)))
            else:
                out.append(self.renderer.styled(_MARKERS[char], self.render(i + 1, close, depth + 1)))
            literal_from = i = close + 1
        out.append(self._literal(literal_from, end))
        return "".join(out)


@dataclass
class _Converter:
    renderer: _Renderer
    resolve_user: Resolver
    resolve_channel: Resolver
    slack_escaped: bool = True

    def atoms(self, raw: str) -> list[Atom]:
        token = _TOKEN if self.slack_escaped else _TYPED_TOKEN
        unescape = _unescape_slack if self.slack_escaped else str
        out: list[Atom] = []
        position = 0
        for match in token.finditer(raw):
            out.extend(unescape(raw[position : match.start()]))
            out.append(_resolve_token(match.group(1), self.resolve_user, self.resolve_channel))
            position = match.end()
        out.extend(unescape(raw[position:]))
        return out

    def inline(self, raw: str) -> str:
        return _Inline(self.atoms(raw), self.renderer).render()

    def plain(self, raw: str) -> str:
        return "".join(a if isinstance(a, str) else a.text for a in self.atoms(raw))

    def lines(self, raw: str) -> list[tuple[bool, str]]:
        """One piece per ordinary line; runs of quote lines, and of list items, one piece each."""
        patterns = _SLACK_BLOCK_LINES if self.slack_escaped else _TYPED_BLOCK_LINES

        def kind_of(line: str) -> str:
            return next((kind for kind, pattern in patterns.items() if pattern.fullmatch(line)), "line")

        pieces: list[tuple[bool, str]] = []
        for kind, group in groupby(raw.split("\n"), key=kind_of):
            if kind == "line":
                pieces += [(True, self.inline(line)) for line in group]
                continue
            matches = [m for line in group if (m := patterns[kind].fullmatch(line))]
            items = [self.inline(m.group(m.lastindex or 0)) for m in matches]
            if kind == "quote":
                pieces.append((False, self.renderer.quote(items)))
            else:
                numbers = [m.group(1) for m in matches] if kind == "ol" else None
                pieces.append((False, self.renderer.listing(numbers, items)))
        return pieces

    def convert(self, text: str) -> str:
        text = text.replace("\r\n", "\n")
        pieces: list[tuple[bool, str]] = []
        position = 0
        for fence in _FENCE.finditer(text):
            before = text[position : fence.start()].removesuffix("\n")
            if before:
                pieces += self.lines(before)
            pieces.append((False, self.renderer.pre(self.plain(fence.group(1)))))
            position = fence.end() + (1 if text.startswith("\n", fence.end()) else 0)
        rest = text[position:]
        if rest or not pieces:
            pieces += self.lines(rest)
        return self.renderer.join(pieces)


def _nobody(_: str) -> str | None:
    return None


def mrkdwn_to_html(
    text: str,
    *,
    resolve_user: Resolver = _nobody,
    resolve_channel: Resolver = _nobody,
    slack_escaped: bool = True,
) -> str:
    """Safe HTML for a Slack message's `text`. `resolve_user`/`resolve_channel` map an ID to a
    name (None when unknown: the name Slack put in the token is used, else "@user"/"#channel").
    `slack_escaped=False` is for text typed into a modal (see `editable_text`): nothing in it
    is an entity, and only Slack-looking `<…>` markup counts as a token."""
    return _Converter(_Renderer(), resolve_user, resolve_channel, slack_escaped).convert(text)


def editable_text(text: str) -> str:
    """A Slack message's text as a person should see it in a modal's input: Slack's entities
    undone (`&` not `&amp;`), its `<…>` tokens kept so links and mentions survive editing.
    Convert what comes back with `mrkdwn_to_html(..., slack_escaped=False)`."""
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out += [_unescape_slack(text[position : match.start()]), match.group()]
        position = match.end()
    out.append(_unescape_slack(text[position:]))
    return "".join(out)


def mrkdwn_to_text(text: str, *, resolve_user: Resolver = _nobody, resolve_channel: Resolver = _nobody) -> str:
    """The same message as plain text: formatting markers dropped, tokens made readable."""
    return _Converter(_TextRenderer(), resolve_user, resolve_channel).convert(text)


def mentioned_ids(text: str) -> tuple[set[str], set[str]]:
    """The user IDs and channel IDs a message mentions, to look their names up beforehand."""
    users: set[str] = set()
    channels: set[str] = set()
    for match in _TOKEN.finditer(text):
        target = match.group(1).partition("|")[0]
        if target.startswith("@"):
            users.add(target[1:])
        elif target.startswith("#"):
            channels.add(target[1:])
    return users, channels


def note_footer_html(*, person: str, person_id: str, channel: str | None, permalink: str | None) -> str:
    """ "Posted from Slack by <person> (<Slack user ID>) in #<channel> · view message", everything
    escaped. The ID is there because anyone can change their display name to anything."""
    footer = messages.NOTE_FOOTER.format(person=_esc(person), person_id=_esc(person_id))
    if channel:
        footer += messages.NOTE_FOOTER_CHANNEL.format(channel=_esc(channel.lstrip("#")))
    href = safe_url(permalink)
    if href is not None:
        footer += f' · <a href="{_esc(href)}" rel="noopener noreferrer">{_esc(messages.NOTE_FOOTER_LINK)}</a>'
    return f"<p>{footer}</p>"
