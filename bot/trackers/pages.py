"""Recognising a tracker's own web pages in the URLs people paste into Slack.

Only a link of the configured site counts: the same scheme, host and port as the site's root,
no user name or password in it, and a path under the root's path. Everything else is not the
tracker's page, whatever its path looks like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import parse_qs, urlsplit

MAX_URL = 2000  # longer than any page link a tracker makes; a longer one is not looked at
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Below:
    """Where a link leads under a site's root: the rest of the path (no leading slash) and the query."""

    path: str
    query: dict[str, list[str]]

    def one(self, name: str) -> str | None:
        """The query parameter `name` (any case) when it is given exactly once."""
        values = [value for key, found in self.query.items() if key.casefold() == name.casefold() for value in found]
        return values[0] if len(values) == 1 else None


def _origin(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of an http(s) URL without user info; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, a bracketed host that is not an address
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme], parts.path


def below(url: str, root: str) -> Below | None:
    """Where `url` leads under the site `root`, or None when it is not a page of that site.
    Slack delivers a link's `&` as `&amp;`; both are read."""
    if len(url) > MAX_URL:
        return None
    url = url.replace("&amp;", "&")
    mine, site = _origin(url), _origin(root)
    if mine is None or site is None or mine[:3] != site[:3]:
        return None
    prefix = site[3].rstrip("/") + "/"
    if not mine[3].startswith(prefix):
        return None
    query = urlsplit(url).query
    return Below(mine[3][len(prefix) :], parse_qs(query, keep_blank_values=True))


def is_number(text: str | None, digits: int = 9) -> TypeGuard[str]:
    """ASCII digits, at most `digits` of them ("²" is a digit int() refuses)."""
    return text is not None and text.isascii() and text.isdigit() and len(text) <= digits
