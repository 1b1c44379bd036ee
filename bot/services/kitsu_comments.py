"""The Kitsu comment form ("Add as Kitsu comment" on a message, "Comment" on a Kitsu card's task
line): who may use it, the choices it offers as the person types, the check of what was chosen,
and the write, which goes through the outbox (`bot.services.writes`, kind KITSU_COMMENT; who the
comment is written as: `bot.services.kitsu_writes`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot import messages
from bot.runtime import Runtime
from bot.services import kitsu_writes, writes
from bot.slack.directory import PersonLookup, SlackPerson
from bot.store.models import CommentPayload, OutboxKind, Requester
from bot.trackers.errors import NotFound, Unavailable
from bot.trackers.models import Lookup, TaskPlace, TrackerName


class Field(StrEnum):
    """The form's fields, in the order they are chosen."""

    PRODUCTION = "production"
    ENTITY = "entity"
    TASK = "task"
    STATUS = "status"
    TEXT = "text"


@dataclass(frozen=True)
class Chosen:
    """What the form has chosen (Zou ids, "" when nothing is yet) and the comment's text."""

    production: str = ""
    entity: str = ""
    task: str = ""
    status: str = ""
    text: str = ""


async def refusal(rt: Runtime, person: SlackPerson, place: TaskPlace | None = None) -> str | None:
    """Why the person may not comment on Kitsu (on `place`'s task), or None. A Kitsu that does
    not answer says so: the form's choices could not be offered anyway."""
    found = await kitsu_writes.author(rt, person, place=place)
    if found.refusal is not None:
        return found.refusal
    return str(Unavailable(TrackerName.KITSU.label)) if found.person_id is None else None


async def choices(rt: Runtime, person: SlackPerson, field: Field, form: Chosen, typed: str) -> list[Lookup]:
    """The options of one of the form's selects, as the person types `typed`: their open
    productions (those whose team has them), the chosen production's entities, the chosen
    entity's tasks, the chosen production's statuses. Nothing for someone with no Kitsu account."""
    kitsu = rt.trackers.require_kitsu()
    me = await kitsu.person_by_email(person.email)
    if me is None:
        return []
    if field is Field.PRODUCTION:
        return await kitsu.productions_of(me.id, typed)
    if field is Field.ENTITY:
        return await kitsu.entities_of(form.production, typed)
    if field is Field.TASK:
        found = await kitsu.tasks_of(form.entity)
    elif field is Field.STATUS:
        found = await kitsu.statuses_of(form.production)
    else:
        return []
    wanted = typed.casefold().split()
    return [lookup for lookup in found if all(word in lookup.name.casefold() for word in wanted)]


@dataclass(frozen=True)
class Checked:
    """What the form chose, checked against Kitsu: the task's place and the status."""

    place: TaskPlace
    status: Lookup


async def check(rt: Runtime, form: Chosen) -> Checked | dict[Field, str]:
    """The task and status chosen, as Kitsu has them; or the form's errors (field: sentence)."""
    if not (form.production and form.entity and form.task):
        return {Field.TASK: messages.KITSU_CHOOSE_TASK}
    if not form.status:
        return {Field.STATUS: messages.KITSU_CHOOSE_STATUS}
    if not form.text.strip():
        return {Field.TEXT: messages.KITSU_COMMENT_EMPTY}
    if len(form.text) > kitsu_writes.MAX_COMMENT_CHARACTERS:
        limit = kitsu_writes.MAX_COMMENT_CHARACTERS
        return {Field.TEXT: messages.KITSU_COMMENT_TOO_LONG.format(length=len(form.text), limit=limit)}
    kitsu = rt.trackers.require_kitsu()
    try:
        place = await kitsu.task_place(form.task)
    except NotFound:
        return {Field.TASK: messages.KITSU_TASK_ELSEWHERE}
    if (place.project_id, place.entity_id) != (form.production, form.entity):
        return {Field.TASK: messages.KITSU_TASK_ELSEWHERE}
    status = next((s for s in await kitsu.statuses_of(place.project_id) if s.id == form.status), None)
    if status is None:
        return {Field.STATUS: messages.KITSU_STATUS_ELSEWHERE}
    return Checked(place, status)


async def submit(
    rt: Runtime,
    *,
    key: str,
    requester: Requester,
    person: SlackPerson,
    people: PersonLookup,
    chosen: Checked,
    text: str,
) -> writes.Outcome:
    """Record the comment in the outbox and try it at once, written as the person's own Zou
    account (refused, with the sentence, when it cannot be: no account, not on the production's
    team, the bot's account no manager)."""
    place = chosen.place
    found = await kitsu_writes.author(rt, person, place=place)
    if found.refusal is not None:
        return writes.Outcome(writes.Result.NOT_LINKED, found.refusal)
    payload = CommentPayload(
        html=kitsu_writes.comment_text(text, writes.reference(key)),
        task=place.id,
        status=str(chosen.status.id),
        task_name=f"{place.project} / {place.entity} / {place.task_type}",
        status_name=chosen.status.name,
        task_url=place.url or "",
    )
    return await writes.submit(
        rt, key=key, kind=OutboxKind.KITSU_COMMENT, payload=payload, requester=requester, person=person, people=people
    )
