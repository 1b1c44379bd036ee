"""Links into the Slack client itself (its `slack://` deep links), not to a web page."""

from __future__ import annotations

import re
from urllib.parse import urlencode

_TEAM = re.compile(r"[TE][A-Z0-9]{2,30}")  # a workspace (T…) or an Enterprise Grid org (E…)
_APP = re.compile(r"A[A-Z0-9]{2,30}")


def home_tab(team: str, app: str) -> str | None:
    """`slack://app?team=T…&id=A…&tab=home`: the app's Home tab, opened in the person's Slack
    client. None unless both ids are written as Slack writes them (an id from a request body is
    never spliced into a link as is)."""
    if not (_TEAM.fullmatch(team) and _APP.fullmatch(app)):
        return None
    return "slack://app?" + urlencode({"team": team, "id": app, "tab": "home"})
