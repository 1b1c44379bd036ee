"""The digest, as a model: what `bot.services.digest_rules` builds and `bot.views.digest_message` renders.

It lives below both (on the small-helpers row of the layers in docs/architecture.md) so that the
view imports a model rather than the service; it knows the tracker models and nothing else. The
rules that fill it (what needs attention, which tasks are due) stay in the service.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from bot import messages
from bot.trackers.models import Issue, ProjectStatus, Task

TASKS_DUE_DAYS = 3  # tasks due from today to this many days ahead


def days(count: int) -> str:
    """ "1 day", "3 days"."""
    return f"{count} day" if count == 1 else f"{count} days"


@dataclass(frozen=True)
class Attention:
    """A project that needs attention, and why (one short phrase per reason)."""

    project: ProjectStatus
    reasons: list[str]


@dataclass
class Digest:
    today: date
    scope: str | None = None
    attention: list[Attention] = field(default_factory=list)
    projects_checked: int = 0
    issues_read: bool = False  # whether Issuetrak's issues are part of this digest
    opened: list[Issue] = field(default_factory=list)
    closed: list[Issue] = field(default_factory=list)
    open_by_assignee: Counter[str] = field(default_factory=Counter)
    tasks_due: dict[str, list[Task]] = field(default_factory=dict)  # by person, soonest first
    failures: dict[str, str] = field(default_factory=dict)  # tracker label -> friendly sentence
    warnings: list[str] = field(default_factory=list)  # for whoever runs the bot (a token near expiry)

    @property
    def tasks_due_count(self) -> int:
        return len({task.id for tasks in self.tasks_due.values() for task in tasks})

    def _projects_line(self) -> str:
        """How many of the projects checked need attention, said naturally for none or one."""
        count, checked = len(self.attention), self.projects_checked
        if checked == 0:
            return messages.DIGEST_NO_PROJECTS_CHECKED
        if checked == 1:
            return (
                messages.DIGEST_THE_ONE_PROJECT_NEEDS_ATTENTION if count else messages.DIGEST_THE_ONE_PROJECT_ON_TRACK
            )
        return messages.DIGEST_NEEDS_ATTENTION.format(count=count, checked=checked)

    @property
    def task_trackers(self) -> str:
        """ "Kitsu", "Kitsu and Storyboard": the labels of the trackers the tasks due come from."""
        labels = {task.tracker.label: None for tasks in self.tasks_due.values() for task in tasks}
        return " and ".join(labels)

    @property
    def summary(self) -> str:
        """The one line at the top (and the notification text)."""
        parts = [self._projects_line()]
        if self.issues_read:
            still_open = sum(self.open_by_assignee.values())
            parts.append(
                messages.DIGEST_ISSUES.format(opened=len(self.opened), closed=len(self.closed), still_open=still_open)
            )
        if self.tasks_due:
            parts.append(
                messages.DIGEST_TASKS_DUE.format(
                    count=self.tasks_due_count, trackers=self.task_trackers, days=days(TASKS_DUE_DAYS)
                )
            )
        if self.failures:
            parts.append(messages.DIGEST_NOT_READ.format(trackers=" and ".join(self.failures)))
        return " · ".join(parts)
