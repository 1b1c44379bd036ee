"""The one base of every error whose `str()` is a sentence meant for the person: a tracker's
(`bot.trackers.errors.TrackerError`), the database's (`bot.store.models.StoreError`) and Slack's
(`bot.slack.directory.SlackBusy`). A listener that catches it tells the sentence as it is
(`handlers.replies.guarded`); anything else is an unexpected failure, logged and apologised for."""

from __future__ import annotations


class PersonFacingError(Exception):
    """An error whose `str()` is one short sentence fit to show a person: never a stack trace,
    a URL with credentials, or a secret."""
