"""Parsing `/tracker` text into a command. Forgiving (case, extra spaces, `#123`, a pasted
Issuetrak URL) and total: anything it does not understand becomes `Help` with a reason.

Control characters become spaces and invisible ones (zero-width, bidirectional overrides) go,
everywhere. Words are squeezed, except a note's text, which keeps its lines and Slack's markup
(links, mentions) for the note's HTML; its length is the write's business (`MAX_NOTE_CHARACTERS`
in bot/services/writes.py), every other argument is at most `MAX_ARGUMENT` characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from urllib.parse import parse_qs, urlparse

from bot import messages, times
from bot.store.records import WatchKind
from bot.trackers.models import IssueField

MAX_ARGUMENT = 3000  # longer arguments are refused, not truncated silently


@dataclass(frozen=True)
class Help:
    reason: str | None = None  # why the text was not understood (None: help was asked for)
    everything: bool = True  # the whole help under the reason; False when the reason says all that is needed


@dataclass(frozen=True)
class ShowIssue:
    number: int


@dataclass(frozen=True)
class AddNote:
    number: int
    text: str


@dataclass(frozen=True)
class ShowProject:
    ref: str


@dataclass(frozen=True)
class ListProjects:
    pass


@dataclass(frozen=True)
class FindAsset:
    query: str


@dataclass(frozen=True)
class DigestNow:
    scope: str | None = None


@dataclass(frozen=True)
class DigestDaily:
    at: time
    zone: str | None  # None: the person's Slack time zone
    scope: str | None = None


@dataclass(frozen=True)
class DigestOff:
    pass


@dataclass(frozen=True)
class DigestList:
    pass


@dataclass(frozen=True)
class LinkUser:
    issuetrak_user: str
    person: str | None = None  # a Slack user ID: an admin linking someone else


@dataclass(frozen=True)
class Unlink:
    person: str | None = None  # None: the caller themselves


@dataclass(frozen=True)
class Watch:
    kind: WatchKind
    ref: str  # an issue number (digits), or a project's ID, key or name


@dataclass(frozen=True)
class Unwatch:
    kind: WatchKind
    ref: str


@dataclass(frozen=True)
class Watching:
    pass


@dataclass(frozen=True)
class ChangeIssue:
    """`assign|next 123 @person|me`, `substatus|priority 123 <name>`."""

    number: int
    field: IssueField
    choice: str  # a person's Slack user ID, "me", or a priority's or substatus's name
    person: str | None = None  # the Slack user ID mentioned (None: the caller themselves)


Command = (
    Help
    | ChangeIssue
    | ShowIssue
    | AddNote
    | ShowProject
    | ListProjects
    | FindAsset
    | DigestNow
    | DigestDaily
    | DigestOff
    | DigestList
    | LinkUser
    | Unlink
    | Watch
    | Unwatch
    | Watching
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab and newline
# Invisible characters that could disguise a word: zero-width, byte order mark, bidirectional
# overrides and isolates.
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII only: `\d` would take any script's digits
_NUMBER = re.compile(r"#?([0-9]{1,9})")
_LONG_NUMBER = re.compile(r"#?[0-9]{10,}")  # a number, but longer than any issue's
_USER_ID = re.compile(r"[\w.@\-]{1,100}")
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,30})(?:\|[^<>]{0,100})?>")  # <@U123> or <@U123|name>


def _visible(text: str) -> str:
    """The text with control characters as spaces and invisible ones gone (line breaks kept,
    `\r\n` as `\n`)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _CONTROL.sub(" ", text))


def clean(text: str) -> str:
    """Drop control characters, unwrap Slack's `<url|label>` to the url, squeeze spaces."""
    text = re.sub(r"<(https?://[^|>]+)(?:\|[^>]*)?>", r"\1", _visible(text))
    return " ".join(text.split())


def unescaped(text: str) -> str:
    """`text` with Slack's three escapes undone once (`&amp;` last, so `&amp;lt;` stays `&lt;`).
    Slack escapes `&`, `<` and `>` in command text; a note keeps them (its HTML conversion reads
    Slack's escaping itself)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def issue_number(token: str) -> int | None:
    """`123`, `#123`, or an Issuetrak issue URL (`...Issue_View.asp?ID=123`, `.../issues/123`)."""
    token = token.strip()
    if match := _NUMBER.fullmatch(token):
        return int(match.group(1))
    if token.lower().startswith(("http://", "https://")):
        try:
            url = urlparse(token)
        except ValueError:  # e.g. an unclosed "[" where an IPv6 host would be
            return None
        for key, values in parse_qs(url.query).items():
            if key.lower() in ("id", "issueid", "issuenumber") and values and _DIGITS.fullmatch(values[0]):
                return int(values[0])
        if match := re.search(r"/issues?/(?:\w+/)?([0-9]{1,9})/?$", url.path, re.IGNORECASE):
            return int(match.group(1))
    return None


def parse(text: object) -> Command:
    raw = _visible(text if isinstance(text, str) else "")
    words = raw.split(None, 1)
    if words and words[0].lower() == "note":
        return _note(words[1] if len(words) > 1 else "")
    text = clean(raw)
    if len(text) > MAX_ARGUMENT:
        return Help(messages.COMMAND_TOO_LONG.format(length=len(text), limit=MAX_ARGUMENT))
    if not text:
        return Help()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    parser = _PARSERS.get(verb)
    if parser is None:
        if (number := issue_number(verb)) is not None and not rest:
            return ShowIssue(number)  # `/tracker #123` reads as an issue
        if _LONG_NUMBER.fullmatch(verb) and not rest:
            return _too_long(verb)
        return Help(None if verb in ("help", "?") else messages.COMMAND_UNKNOWN.format(verb=verb[:40]))
    return parser(rest)


def _too_long(number: str) -> Help:
    return Help(messages.ISSUE_NUMBER_TOO_LONG.format(number=number.lstrip("#")[:40]), everything=False)


def _issue(rest: str) -> Command:
    first, _, extra = rest.partition(" ")
    number = issue_number(first)
    if number is not None and extra:
        return Help(messages.ISSUE_EXTRA_WORDS.format(extra=extra[:40]), everything=False)
    if number is not None:
        return ShowIssue(number)
    if _LONG_NUMBER.fullmatch(first):
        return _too_long(first)
    return Help(messages.ISSUE_USAGE)


def _note(rest: str) -> Command:
    """`note <issue> <text>`: `rest` is as typed (lines and Slack markup kept)."""
    first, text = [*rest.split(None, 1), "", ""][:2]
    number = issue_number(clean(first))
    if number is None:
        return _too_long(clean(first)) if _LONG_NUMBER.fullmatch(clean(first)) else Help(messages.NOTE_USAGE)
    if not text.strip():
        return Help(messages.NOTE_TEXT_MISSING.format(number=number))
    return AddNote(number, text.strip())


def _project(rest: str) -> Command:
    if not rest:
        return Help(messages.PROJECT_USAGE)
    return ShowProject(unescaped(rest).lstrip("#"))


def _projects(rest: str) -> Command:
    return ListProjects()


def _asset(rest: str) -> Command:
    if not rest:
        return Help(messages.ASSET_USAGE)
    return FindAsset(unescaped(rest))


def _digest(rest: str) -> Command:
    action, _, args = rest.partition(" ")
    action = action.lower()
    args = args.strip()
    if action == "now":
        return DigestNow(unescaped(args) or None)
    if action == "off":
        return DigestOff()
    if action == "list":
        return DigestList()
    if action == "daily":
        return _daily(args)
    return Help(messages.DIGEST_USAGE)


def _daily(args: str) -> Command:
    words = args.split()
    usage = Help(messages.DIGEST_TIME_USAGE)
    if not words:
        return usage
    zone = None
    scope_words = words[1:]
    try:
        at = times.time_of_day(words[0])
        if scope_words and times.is_zone_word(scope_words[0]):
            zone = times.time_zone(scope_words.pop(0))
    except times.NotAClock:
        return usage
    except ValueError as refused:
        return Help(str(refused))
    return DigestDaily(at, zone, unescaped(" ".join(scope_words)) or None)


def _link(rest: str) -> Command:
    person = _MENTION.match(rest)
    user = rest[person.end() :].strip() if person else rest
    if not _USER_ID.fullmatch(user):
        return Help(messages.LINK_USAGE)
    return LinkUser(user, person.group(1) if person else None)


def _unlink(rest: str) -> Command:
    if not rest:
        return Unlink()
    if person := _MENTION.fullmatch(rest):
        return Unlink(person.group(1))
    return Help(messages.UNLINK_USAGE)


def _watched(rest: str, usage: str) -> tuple[WatchKind, str] | Help:
    """`issue 123` or `project <ref>`, as `watch` and `unwatch` take them."""
    kind, _, ref = rest.partition(" ")
    kind, ref = kind.lower(), ref.strip()
    if kind == "issue" and ref:
        parsed = _issue(ref)
        if isinstance(parsed, ShowIssue):
            return WatchKind.ISSUE, str(parsed.number)
        too_long = isinstance(parsed, Help) and not parsed.everything  # its own sentence says all
        return parsed if too_long and isinstance(parsed, Help) else Help(usage)
    if kind == "project" and ref:
        return WatchKind.PROJECT, unescaped(ref).lstrip("#")
    return Help(usage)


def _watch(rest: str) -> Command:
    found = _watched(rest, messages.WATCH_USAGE)
    return found if isinstance(found, Help) else Watch(*found)


def _unwatch(rest: str) -> Command:
    found = _watched(rest, messages.UNWATCH_USAGE)
    return found if isinstance(found, Help) else Unwatch(*found)


def _watching(rest: str) -> Command:
    return Help(messages.WATCHING_EXTRA, everything=False) if rest else Watching()


def _changed(field: IssueField, usage: str) -> Callable[[str], Command]:
    """The parser of one change command: an issue, then a person (`@person` or `me`) or a name."""

    def parse_change(rest: str) -> Command:
        first, _, choice = rest.partition(" ")
        number, choice = issue_number(first), choice.strip()
        if number is None:
            return _too_long(first) if _LONG_NUMBER.fullmatch(first) else Help(usage, everything=False)
        if field in (IssueField.ASSIGNEE, IssueField.NEXT_ACTION):
            if choice.lower() == "me":
                return ChangeIssue(number, field, "me")
            if person := _MENTION.fullmatch(choice):
                return ChangeIssue(number, field, person.group(1), person.group(1))
            return Help(usage, everything=False)
        if not choice:
            return Help(usage, everything=False)
        return ChangeIssue(number, field, unescaped(choice))

    return parse_change


_PARSERS = {
    "issue": _issue,
    "project": _project,
    "projects": _projects,
    "asset": _asset,
    "assets": _asset,
    "digest": _digest,
    "link": _link,
    "unlink": _unlink,
    "watch": _watch,
    "unwatch": _unwatch,
    "watching": _watching,
    "assign": _changed(IssueField.ASSIGNEE, messages.ASSIGN_USAGE),
    "next": _changed(IssueField.NEXT_ACTION, messages.NEXT_USAGE),
    "priority": _changed(IssueField.PRIORITY, messages.PRIORITY_USAGE),
    "substatus": _changed(IssueField.SUBSTATUS, messages.SUBSTATUS_USAGE),
}
