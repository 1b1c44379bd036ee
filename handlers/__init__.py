"""Slack listeners, one module per surface, each with `register(app)`: acknowledge, parse,
call a plain async service, render a view."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    actions,
    commands,
    home,
    identity_decisions,
    issue_actions,
    issue_search,
    kitsu_comments,
    note_button,
    shortcuts,
    steps,
    submissions,
    triage,
    unfurls,
)


def register_all(app: AsyncApp) -> None:
    for surface in (
        commands,
        shortcuts,
        submissions,
        actions,
        note_button,
        issue_actions,
        identity_decisions,
        home,
        unfurls,
        issue_search,
        kitsu_comments,
        steps,
        triage,
    ):
        surface.register(app)
