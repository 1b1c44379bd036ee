"""Slack surfaces in Block Kit: message cards and lists (`cards`), modals (`modals`), the text
helpers they share (`mrkdwn`) and the ids listeners match on (`ids`)."""

from bot.views.cards import (
    as_dicts,
    asset_card,
    asset_list,
    help_blocks,
    issue_card,
    project_card,
    projects_list,
)
from bot.views.modals import (
    issue_modal,
    loading_modal,
    note_modal,
    parse_issue_submission,
    parse_note_submission,
    result_modal,
    subject_from,
)
from bot.views.mrkdwn import escape, fmt_date, fmt_hours, fmt_money, link, progress_bar, truncate

__all__ = [
    "as_dicts",
    "asset_card",
    "asset_list",
    "escape",
    "fmt_date",
    "fmt_hours",
    "fmt_money",
    "help_blocks",
    "issue_card",
    "issue_modal",
    "link",
    "loading_modal",
    "note_modal",
    "parse_issue_submission",
    "parse_note_submission",
    "progress_bar",
    "project_card",
    "projects_list",
    "result_modal",
    "subject_from",
    "truncate",
]
