"""Small text helpers for Slack mrkdwn: escaping tracker text, safe links, truncation and the
formats cards use for dates, money, hours and progress.

Tracker text is escaped with `escape` before it goes into mrkdwn, so it can never form
`<!channel>`, `<@U…>` or `<url|label>`; `link` is the only way a card makes a link, and
`safe_url` (shared with the notes) decides which URLs may be links.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from bot.slack.notes_html import safe_url

ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to (and only those)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Like `truncate`, for text that is already mrkdwn: never cuts an `&amp;` entity or a
    `<url|label>` link in half."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    head = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        cut = head.rfind(opener)
        if cut != -1 and closer not in head[cut:]:
            head = head[:cut]
    return head.rstrip() + ELLIPSIS


def link(url: str | None, label: str) -> str:
    """A mrkdwn link `<url|label>`; just the escaped label when the URL is not a safe http(s) one."""
    shown = escape(label.replace("\n", " "))
    href = safe_url(url)
    if href is None:
        return shown
    return f"<{escape(href)}|{shown or escape(href)}>"


def progress_bar(percent: float | None, width: int = 10) -> str:
    """`▓▓▓▓░░░░░░ 40%`; a dash when the progress is unknown. Clamped to 0..100."""
    if percent is None or math.isnan(percent):
        return "—"
    value = min(max(percent, 0.0), 100.0)
    filled = math.floor(value * width / 100)
    return f"{'▓' * filled}{'░' * (width - filled)} {math.floor(value)}%"


def fmt_date(d: date | datetime | None) -> str:
    """`12 Mar 2025`; a dash when unknown."""
    if d is None:
        return "—"
    return f"{d.day} {d:%b %Y}"


def fmt_money(x: float | None) -> str:
    """`12,500` or `12,500.50`: the trackers do not say which currency, so none is shown."""
    if x is None or math.isnan(x):
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def fmt_hours(x: float | None) -> str:
    """`120 h` or `12.5 h`."""
    if x is None or math.isnan(x):
        return "—"
    return f"{x:,.0f} h" if float(x).is_integer() else f"{x:,.1f} h"
