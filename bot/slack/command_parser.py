"""Parsing `/tracker` text into a command. Forgiving (case, extra spaces, `#123`, a pasted
Issuetrak URL) and total: anything it does not understand becomes `Help` with a reason, one line
(the command probably meant and its usage), never the whole help under it.

Control characters become spaces and invisible ones (zero-width, bidirectional overrides) go,
everywhere. Words are squeezed, except a note's text, which keeps its lines and Slack's markup
(links, mentions) for the note's HTML; its length is the write's business (`MAX_NOTE_CHARACTERS`
in bot/services/writes.py), every other argument is at most `MAX_ARGUMENT` characters."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time
from urllib.parse import parse_qs, urlparse

from bot import messages, times
from bot.store.models import WatchKind
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
class AddWatch:
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
class Subscribe:
    """`subscribe issues|project <ref> [filters] [events:…]`: filters as {name: {"in": [...],
    "out": [...]}}; `events` None when not given (a new subscription's default, an existing one's kept).
    `subscribe production <ref> [task_type:…] [status:…]`: `production` set (a Kitsu production)."""

    project: str | None
    filters: dict[str, dict[str, list[str]]]
    events: tuple[str, ...] | None
    production: str | None = None


@dataclass(frozen=True)
class Subscriptions:
    pass


@dataclass(frozen=True)
class Notify:
    """`notify` (show the settings) or `notify quiet <HH:MM-HH:MM|off>` (`quiet` set)."""

    quiet: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    position: int


@dataclass(frozen=True)
class IssueFilters:
    """`status:open|closed`, `project:<ref>`, `priority:<name>`, as `search` and `mine` take them."""

    status: str | None = None  # "open" or "closed"
    project: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class SearchIssues:
    words: str  # the words every issue found holds, in its subject or its description
    filters: IssueFilters
    text: str  # the command as typed after `/tracker`, for a results page's Previous and More


@dataclass(frozen=True)
class MyIssues:
    filters: IssueFilters
    text: str


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
    | AddWatch
    | Unwatch
    | Watching
    | SearchIssues
    | MyIssues
    | Subscribe
    | Subscriptions
    | Unsubscribe
    | Notify
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
    text = re.sub(r"<(https?://[^|>]+)(?:\|[^>]*)?>", r"\1", _visible(text), flags=re.IGNORECASE)
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
        return _one_line(_note(words[1] if len(words) > 1 else ""))
    text = clean(raw)
    if len(text) > MAX_ARGUMENT:
        return Help(messages.COMMAND_TOO_LONG.format(length=len(text), limit=MAX_ARGUMENT), everything=False)
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
        return Help() if verb in ("help", "?") else _unknown(verb, rest)
    return _one_line(parser(rest))


def _one_line(command: Command) -> Command:
    """A mistake gets its one sentence (the usage of the command meant), never the whole help under it."""
    return replace(command, everything=False) if isinstance(command, Help) and command.reason else command


def _unknown(verb: str, rest: str) -> Help:
    """An unknown word: "did you mean" the closest command, with its usage, when one is close."""
    close = difflib.get_close_matches(verb, [*_PARSERS, "note", "help"], n=1, cutoff=0.6)
    if not close:
        return Help(messages.COMMAND_UNKNOWN.format(verb=verb[:40]), everything=False)
    meant = close[0]
    usage = _USAGES.get(meant, messages.HELP_USAGE)
    shown = f"{meant} {rest[:40]}".strip()
    return Help(messages.COMMAND_DID_YOU_MEAN.format(verb=verb[:40], meant=shown, usage=usage), everything=False)


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
    if first:
        return Help(messages.ISSUE_NOT_A_NUMBER.format(given=first[:40], usage=messages.ISSUE_USAGE))
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


# Opening quote: its closing one (Slack's clients curl typed quotes), the single ones spelled as escapes.
_QUOTES = {'"': '"', "'": "'", "“": "”", "\u2018": "\u2019", "„": "“", "«": "»"}


def _unquoted(text: str) -> str:
    """`text` without one pair of quotes around all of it (`"LAPTOP-0042"`, `“laptop”`)."""
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def _asset(rest: str) -> Command:
    query = _unquoted(unescaped(rest))
    if not query:
        return Help(messages.ASSET_USAGE)
    return FindAsset(query)


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
        if rest.startswith("@"):  # a name typed, not a person picked: Slack sent no mention
            return Help(messages.LINK_MENTION_UNRESOLVED.format(given=rest[:40], usage=messages.LINK_USAGE))
        return Help(messages.LINK_USAGE)
    return LinkUser(user, person.group(1) if person else None)


def _unlink(rest: str) -> Command:
    if not rest:
        return Unlink()
    if person := _MENTION.fullmatch(rest):
        return Unlink(person.group(1))
    return Help(messages.UNLINK_USAGE)


def _watched(rest: str, usage: str, verb: str) -> tuple[WatchKind, str] | Help:
    """`issue 123` or `project <ref>`, as `watch` and `unwatch` (`verb`) take them."""
    kind, _, ref = rest.partition(" ")
    kind, ref = kind.lower(), ref.strip()
    if not ref and (number := issue_number(kind)) is not None:  # `watch 1001`: the issue, surely
        return Help(messages.WATCH_WHICH_KIND.format(verb=verb, number=number, usage=usage))
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
    found = _watched(rest, messages.WATCH_USAGE, "watch")
    return found if isinstance(found, Help) else AddWatch(*found)


def _unwatch(rest: str) -> Command:
    found = _watched(rest, messages.UNWATCH_USAGE, "unwatch")
    return found if isinstance(found, Help) else Unwatch(*found)


def _watching(rest: str) -> Command:
    return Help(messages.WATCHING_EXTRA, everything=False) if rest else Watching()


# --- triage subscriptions: `[-]name:value,value` filters and `events:` ------------------------------
SUBSCRIBE_FILTERS = ("priority", "type", "substatus", "submitter", "assignee")
SUBSCRIBE_EVENTS = ("new", "closed", "assigned", "notes", "status")
KITSU_SUBSCRIBE_FILTERS = ("task_type", "status")  # a Kitsu production's (`subscribe production`)
_SUBSCRIBE_TOKEN = re.compile(r'(-?)([A-Za-z_]+):(?:"([^"]*)"|(\S*))')
_MAILTO = re.compile(r"<mailto:[^|>]*\|([^>]*)>|<mailto:([^>]*)>")  # how Slack sends a typed email


def subscription_terms(
    text: str, *, kitsu: bool = False
) -> tuple[dict[str, dict[str, list[str]]], tuple[str, ...] | None] | Help:
    """Filters and events as `subscribe` (and the Edit modal's fields) take them: names
    case-insensitive, Slack's escapes (and its mailto links) undone, values split at commas.
    `kitsu`: a Kitsu production's filters (KITSU_SUBSCRIBE_FILTERS), and no events to choose."""
    text = _MAILTO.sub(lambda m: m.group(1) or m.group(2), text)
    if leftover := _SUBSCRIBE_TOKEN.sub(" ", text).strip():
        what = messages.KITSU_SUBSCRIBE_WHAT if kitsu else messages.SUBSCRIBE_WHAT
        return Help(what.format(word=unescaped(leftover.split()[0])[:40]), everything=False)
    filters: dict[str, dict[str, list[str]]] = {}
    events: tuple[str, ...] | None = None
    for match in _SUBSCRIBE_TOKEN.finditer(text):
        excluded, name = match.group(1) == "-", match.group(2).lower()
        raw = match.group(3) if match.group(3) is not None else match.group(4)
        values = [unescaped(" ".join(v.split())) for v in raw.split(",") if v.strip()]
        if not values:
            return Help(messages.SUBSCRIBE_USAGE, everything=False)
        if kitsu:
            if name not in KITSU_SUBSCRIBE_FILTERS:
                return Help(messages.KITSU_SUBSCRIBE_BAD_FILTER.format(name=name[:40]), everything=False)
        elif name == "events" and not excluded:
            unknown = next((v for v in values if v.lower() not in SUBSCRIBE_EVENTS), None)
            if unknown is not None:
                return Help(messages.SUBSCRIBE_BAD_EVENT.format(event=unknown[:40]), everything=False)
            events = tuple(dict.fromkeys(v.lower() for v in values))
            continue
        elif name not in SUBSCRIBE_FILTERS:
            return Help(messages.SUBSCRIBE_BAD_FILTER.format(name=name[:40]), everything=False)
        rule = filters.setdefault(name, {"in": [], "out": []})
        rule["out" if excluded else "in"].extend(v for v in values if v not in rule["out" if excluded else "in"])
    return filters, events


def _subscribe(rest: str) -> Command:
    kind, _, tail = rest.partition(" ")
    kind, tail, ref = kind.lower(), tail.strip(), None
    usage = messages.KITSU_SUBSCRIBE_USAGE if kind == "production" else messages.SUBSCRIBE_USAGE
    if kind in ("project", "production"):
        if tail.startswith('"'):
            ref, _, tail = tail[1:].partition('"')
        else:
            ref, _, tail = tail.partition(" ")
        if not ref.strip() or _SUBSCRIBE_TOKEN.fullmatch(ref):
            return Help(usage, everything=False)
        ref = unescaped(ref.strip()).lstrip("#")
    elif kind != "issues":
        return Help(messages.SUBSCRIBE_USAGE, everything=False)
    terms = subscription_terms(tail, kitsu=kind == "production")
    if isinstance(terms, Help):
        return terms
    if kind == "production":
        return Subscribe(None, terms[0], None, production=ref)
    return Subscribe(ref, *terms)


def _subscriptions(rest: str) -> Command:
    return Help(messages.SUBSCRIBE_USAGE, everything=False) if rest else Subscriptions()


def _notify(rest: str) -> Command:
    word, _, value = rest.partition(" ")
    if not rest:
        return Notify()
    if word.lower() == "quiet" and value.strip() and len(value) <= 40:
        return Notify(value.strip())
    return Help(messages.NOTIFY_USAGE, everything=False)


def _unsubscribe(rest: str) -> Command:
    given = rest.strip().lstrip("#")
    if not given.isdigit() or len(given) > 4:
        return Help(messages.UNSUBSCRIBE_USAGE, everything=False)
    return Unsubscribe(int(given))


# --- search and mine: words and `name:value` filters ---------------------------------------------
_FILTER = re.compile(r'(status|project|priority):(?:"([^"]*)"|(\S*))', re.IGNORECASE)
_STATUSES = ("open", "closed")


def _filters(rest: str, usage: str) -> tuple[str, IssueFilters] | Help:
    """The words of `rest` and its filters (a value may be quoted: `project:"R&D lab move"`); a
    filter given twice, empty, or a status other than open or closed is refused with `usage`."""
    found: dict[str, str] = {}
    for match in _FILTER.finditer(rest):
        name, value = match.group(1).lower(), (match.group(2) if match.group(2) is not None else match.group(3))
        value = unescaped(" ".join(value.split()))
        if not value or name in found:
            return Help(usage, everything=False)
        found[name] = value
    status = found.get("status", "").lower() or None
    if status is not None and status not in _STATUSES:
        return Help(messages.SEARCH_STATUS_USAGE.format(status=found["status"][:40]), everything=False)
    words = unescaped(" ".join(_FILTER.sub(" ", rest).split()))
    return words, IssueFilters(status=status, project=found.get("project"), priority=found.get("priority"))


def _search(rest: str) -> Command:
    parsed = _filters(rest, messages.SEARCH_USAGE)
    if isinstance(parsed, Help):
        return parsed
    words, filters = parsed
    if not words:
        return Help(messages.SEARCH_USAGE, everything=False)
    return SearchIssues(words, filters, f"search {rest}".strip())


def _mine(rest: str) -> Command:
    parsed = _filters(rest, messages.MINE_USAGE)
    if isinstance(parsed, Help):
        return parsed
    words, filters = parsed
    if words:
        return Help(messages.MINE_EXTRA_WORDS.format(extra=words[:40]), everything=False)
    return MyIssues(filters, f"mine {rest}".strip())


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
    "search": _search,
    "mine": _mine,
    "assign": _changed(IssueField.ASSIGNEE, messages.ASSIGN_USAGE),
    "next": _changed(IssueField.NEXT_ACTION, messages.NEXT_USAGE),
    "priority": _changed(IssueField.PRIORITY, messages.PRIORITY_USAGE),
    "substatus": _changed(IssueField.SUBSTATUS, messages.SUBSTATUS_USAGE),
    "subscribe": _subscribe,
    "subscriptions": _subscriptions,
    "unsubscribe": _unsubscribe,
    "notify": _notify,
}

# How each command is used, for "did you mean" (a command missing here is pointed at `/tracker help`).
_USAGES = {
    "issue": messages.ISSUE_USAGE,
    "note": messages.NOTE_USAGE,
    "project": messages.PROJECT_USAGE,
    "projects": messages.PROJECTS_USAGE,
    "asset": messages.ASSET_USAGE,
    "assets": messages.ASSET_USAGE,
    "digest": messages.DIGEST_USAGE,
    "link": messages.LINK_USAGE,
    "unlink": messages.UNLINK_USAGE,
    "watch": messages.WATCH_USAGE,
    "unwatch": messages.UNWATCH_USAGE,
    "watching": messages.WATCHING_EXTRA,
    "search": messages.SEARCH_USAGE,
    "mine": messages.MINE_USAGE,
    "assign": messages.ASSIGN_USAGE,
    "next": messages.NEXT_USAGE,
    "priority": messages.PRIORITY_USAGE,
    "substatus": messages.SUBSTATUS_USAGE,
    "subscribe": messages.SUBSCRIBE_USAGE,
    "unsubscribe": messages.UNSUBSCRIBE_USAGE,
    "notify": messages.NOTIFY_USAGE,
}
