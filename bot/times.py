"""Time-of-day and time-zone input, checked in one place: by the command parser (what a person
typed after `digest daily`) and by the store (what a digest subscription saves).

People may write a time as `9:00`, `09:00`, `9h00` or `9.00` (`time_of_day`); the store keeps it
written one way only, "HH:MM" on a 24-hour clock (`stored_time`). It sits at the bottom of the
house (beside `bot.settings`), so the store may use it without knowing anything of Slack."""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_CLOCK = re.compile(r"([0-9]{1,2})[:h.]([0-9]{2})")  # ASCII digits only: `\d` takes any script's
_STORED = "%H:%M"
_SHOWN = 60  # characters of a refused value said back
# Abbreviations people write for a zone. They are not zones (EST is a fixed offset all year, IST is
# three different countries), so they are answered as a zone problem with a name to use instead.
_ABBREVIATIONS = {
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago", "CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage", "HST": "Pacific/Honolulu", "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon",
    "BST": "Europe/London", "CET": "Europe/Paris", "CEST": "Europe/Paris", "EET": "Europe/Athens",
    "EEST": "Europe/Athens", "MSK": "Europe/Moscow", "IST": "Asia/Kolkata", "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul", "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "NZST": "Pacific/Auckland",
}  # fmt: skip


class NotAClock(ValueError):
    """The text is not written as hours and minutes at all (as opposed to `25:00`, which is)."""


def time_of_day(text: str) -> time:
    """The time of day `text` names, or ValueError with a sentence for the person: NotAClock when it
    is not written as hours and minutes, a plain ValueError when they are out of range."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise NotAClock(f"{text[:_SHOWN]!r} is not a time of day; write it as HH:MM on a 24-hour clock, like 09:00.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(
            f"{text[:_SHOWN]} is not a time of day; use 00:00 to 23:59. Write it on a 24-hour clock, like 17:30."
        )
    return time(hour, minute)


def stored_time(text: str) -> str:
    """`text` when it is a time of day written as the store keeps it ("HH:MM", 24-hour), or ValueError."""
    if time_of_day(text).strftime(_STORED) != text:
        raise NotAClock(f"{text[:_SHOWN]!r} is not written HH:MM on a 24-hour clock, like 09:00.")
    return text


@cache
def _zone_names() -> dict[str, str]:
    """The zone database's names by their lower-case spelling."""
    return {zone.lower(): zone for zone in available_timezones()}


def is_zone_word(word: str) -> bool:
    """Whether a word typed after a time is meant as a time zone (a name with a slash, UTC, GMT or an
    abbreviation like EST) rather than the start of a digest's scope."""
    return "/" in word or word.upper() in ("UTC", "GMT") or word.upper() in _ABBREVIATIONS


def time_zone(name: str) -> str:
    """The zone database's name for `name`, in any case (`europe/paris` is `Europe/Paris`), or
    ValueError with a sentence; an abbreviation like EST gets a zone name to use instead."""
    if (suggested := _ABBREVIATIONS.get(name.upper())) is not None:
        raise ValueError(
            f"`{name}` is an abbreviation, not a time zone name, and it changes meaning with summer time; "
            f"use a name like {suggested}."
        )
    known = _zone_names().get(name.lower(), name)
    try:
        ZoneInfo(known)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"I don't know the time zone `{name[:_SHOWN]}`; use a name like Europe/Paris or America/New_York."
        ) from None
    return known
