"""What the outbox needs to deliver a Kitsu comment (`OutboxKind.KITSU_COMMENT`, through
`bot.services.writes` like notes): who writes it, the write itself, and the look for an earlier
copy.

Whose comment. Zou keeps the `person_id` of a comment only when the caller has manager rights
(`CommentTaskResource.post`: `if not permissions.has_manager_permissions(): person_id = None`);
for anyone else it silently makes the caller the author. So a comment is written as the
person's own Zou account (their Slack email, any case, an active account that is no bot) only
when the bot's account is an admin or a manager; otherwise it is refused with a sentence, never
posted as the bot while claiming to be someone. The person must also be on the production's team
in Kitsu: the bot's manager rights must not let anyone write where they may not.

Exactly once. Zou has no idempotency key: each comment ends with the write's tag, and a second
attempt looks for the tag in the task's comments before sending (as notes do on Issuetrak)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import messages
from bot.runtime import Runtime
from bot.services.identity import shut_out
from bot.slack.directory import SlackPerson
from bot.store.models import CommentPayload
from bot.trackers.errors import Unavailable
from bot.trackers.models import Comment, TaskPlace

MAX_COMMENT_CHARACTERS = 20_000


@dataclass(frozen=True)
class Author:
    """The Zou person a comment is written as (`person_id`), or why none may be (`refusal`);
    neither while Kitsu does not answer (the comment is kept, and finds its author when sent)."""

    person_id: str | None = None
    refusal: str | None = None


async def author(
    rt: Runtime, person: SlackPerson, *, place: TaskPlace | None = None, task: str | None = None
) -> Author:
    """Who the person writes as in Kitsu; with the task's `place` (or the `task`, whose place is
    read now: what a comment asks when it is sent), also that they are on its production's team.
    A task Kitsu no longer has raises NotFound."""
    if shut_out(rt, person):
        return Author(refusal=messages.GUEST_REFUSED)
    if person.deleted or not person.known:
        return Author(refusal=messages.SLACK_ACCOUNT_DEACTIVATED)
    kitsu = rt.trackers.require_kitsu()
    try:
        if not await kitsu.can_comment_as_others():
            return Author(refusal=messages.KITSU_NOT_MANAGER)
        found = await kitsu.person_by_email(person.email)
        if found is None:
            return Author(refusal=messages.KITSU_NO_ACCOUNT.format(email=person.email or "(none)"))
        if place is None and task is not None:
            place = await kitsu.task_place(task)
        if place is not None and found.id not in place.team:
            return Author(refusal=messages.KITSU_NOT_ON_TEAM.format(production=place.project))
    except Unavailable:
        return Author()
    return Author(person_id=found.id)


def comment_text(text: str, tag: str) -> str:
    """The comment as Kitsu gets it: the person's text, then where it came from and the write's tag."""
    return f"{text.strip()}\n\n{messages.KITSU_COMMENT_FOOTER.format(tag=tag)}"


async def send(rt: Runtime, payload: CommentPayload, person_id: str) -> dict[str, str]:
    """The comment itself (one POST); its result as recorded on the outbox row."""
    comment = await rt.trackers.require_kitsu().comment(payload.task, payload.status, payload.html, person_id)
    return _result(comment)


async def find(rt: Runtime, payload: CommentPayload, tag: str) -> dict[str, str] | None:
    """The comment carrying this write's tag on the task, as the result to record, or None."""
    for comment in await rt.trackers.require_kitsu().comments_on(payload.task):
        if tag in comment.text:
            return _result(comment)
    return None


def _result(comment: Comment) -> dict[str, str]:
    return {"comment": comment.id, "task": comment.task_id, "person": comment.person_id or ""}
