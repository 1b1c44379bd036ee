"""Refusing SQLite where the disk does not last (README, Deploy).

Heroku, Render, Fly.io and Cloud Run start every process on a fresh copy of the image: a SQLite file
written there (the default DATABASE_URL) is gone at the next restart or deploy, and with it the people's
links, the channels' digests and the writes waiting in the outbox. Each platform says where it is in an
environment variable it sets in every process; seeing one while DATABASE_URL is SQLite stops `python -m bot`
(and `socket`, and `digest --once`) with one line, unless ALLOW_EPHEMERAL_SQLITE=true says the file is on a
disk that is kept (a Fly volume, a Render disk).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot import messages
from bot.settings import Settings
from bot.store import StoreError
from bot.store.engine import database_url

# (variable, platform): each platform's own variable, set in every process it runs.
EPHEMERAL_DISK_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("DYNO", "Heroku"),  # every dyno, web or one-off (`web.1`, `run.2041`)
    ("RENDER", "Render"),  # "always true" on Render's services
    ("FLY_APP_NAME", "Fly.io"),  # every Fly Machine
    ("K_SERVICE", "Cloud Run"),  # a Cloud Run service
    ("CLOUD_RUN_JOB", "Cloud Run"),  # a Cloud Run job (`digest --once` on a schedule)
)


def ephemeral_platform(environ: Mapping[str, str]) -> str | None:
    """The platform `environ` shows, as "Heroku ($DYNO is set)", or None."""
    for variable, platform in EPHEMERAL_DISK_PLATFORMS:
        if environ.get(variable, "").strip():
            return f"{platform} (${variable} is set)"
    return None


def is_sqlite(url: str) -> bool:
    """Whether DATABASE_URL is SQLite; a URL that is no database URL is left to the store to refuse."""
    try:
        return database_url(url).get_backend_name() == "sqlite"
    except StoreError:
        return False


def ephemeral_sqlite_refusal(settings: Settings, environ: Mapping[str, str] = os.environ) -> str | None:
    """The one line that stops start-up on a platform with a throwaway disk and a SQLite DATABASE_URL, or None."""
    if settings.ALLOW_EPHEMERAL_SQLITE or not is_sqlite(settings.DATABASE_URL):
        return None
    platform = ephemeral_platform(environ)
    return None if platform is None else messages.EPHEMERAL_SQLITE.format(platform=platform)
