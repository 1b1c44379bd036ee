"""trackerbot's actions as Workflow Builder steps (custom functions, `function_executed`).

A step acts only as the person in its `slack#/types/user_context` input (`PERSON`), which Slack
fills with whoever ran the workflow and which the workflow's builder cannot set: no other input
is ever an identity. The rules are the command's: writes go through the outbox (`writes.submit`:
`identity.identify` and `write_refusal`, re-checked when the outbox sends), reads through
`identity.reader` and, for the issue read, `identity.issue_refusal` (ISSUE_SCOPE). A step has
no channel, so WRITE_CHANNELS does not apply to it.

A write is keyed by the function execution's ID: Slack's retry of the same event is the same
write. The step waits for the outbox to deliver it, up to `WAIT_SECONDS` (well under the step's
time limit), and completes only once it is made; when Issuetrak stays down longer the step
fails, saying the write is saved and will still be made (the outbox worker tells the person).

Every step returns a `StepResult`: the outputs, or one sentence a workflow's builder can act on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import messages
from bot.runtime import Runtime
from bot.services import identity, kitsu_comments, kitsu_writes, lookup, writes
from bot.slack.directory import SlackPerson, TeamDirectory
from bot.slack.notes_html import editable_text
from bot.slack.rich_text import is_rich_text, rich_text_to_mrkdwn
from bot.store.models import (
    CommentPayload,
    IssuePayload,
    NotePayload,
    OutboxItem,
    OutboxKind,
    OutboxPayload,
    OutboxState,
    Requester,
)
from bot.trackers.errors import NotFound, Unavailable
from bot.trackers.models import Asset, Lookup, TaskPlace, TrackerName

log = logging.getLogger(__name__)

PERSON = "person"  # the input every acting step takes the person from
PERSON_TYPE = "slack#/types/user_context"
WAIT_SECONDS = 40.0  # how long a step waits for the outbox: the workflow waits on the step, so under a minute
POLL_SECONDS = 0.2
MAX_SUBJECT = 250
MAX_CHOICES_SAID = 25  # valid names listed in a fail message
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_KITSU_TASK_ID = re.compile(
    r"(?:.*/tasks/)?(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/?"
)  # a task's id, alone or ending its Kitsu page's URL


@dataclass(frozen=True)
class StepResult:
    outputs: dict[str, Any] | None = None
    error: str | None = None  # the fail message (set when outputs is None)


@dataclass(frozen=True)
class Execution:
    """One run of a step, as the `function_executed` event gives it."""

    id: str  # function_execution_id: the write's idempotency key
    team: str
    inputs: Mapping[str, Any]
    parameters: Sequence[Mapping[str, Any]]  # the function's declared input parameters


class BadInput(Exception):
    """An input the step cannot use; str() is the fail message."""


Step = Callable[[Runtime, TeamDirectory, Execution], Awaitable[StepResult]]


# --- inputs ------------------------------------------------------------------------------------


def person_id(execution: Execution) -> str:
    """The Slack user ID in the `person` input, only if that input is a user context (declared so,
    and shaped so: an object with `id`). A plain user ID, text, or anything else is refused."""
    declared = next((p for p in execution.parameters if p.get("name") == PERSON), None)
    value = execution.inputs.get(PERSON)
    user = value.get("id") if isinstance(value, Mapping) else None
    if (
        declared is None
        or declared.get("type") != PERSON_TYPE
        or not isinstance(user, str)
        or not _USER_ID.fullmatch(user)
    ):
        raise BadInput(messages.STEP_NO_PERSON.format(name=PERSON))
    return user


def text(execution: Execution, name: str, *, required: bool = True, limit: int | None = None) -> str:
    value = execution.inputs.get(name)
    if value is None or value == "":
        if required:
            raise BadInput(messages.STEP_INPUT_MISSING.format(name=name))
        return ""
    if not isinstance(value, str):
        raise BadInput(messages.STEP_INPUT_NOT_TEXT.format(name=name))
    if required and not value.strip():
        raise BadInput(messages.STEP_INPUT_MISSING.format(name=name))
    if limit is not None and len(value) > limit:
        raise BadInput(messages.STEP_INPUT_TOO_LONG.format(name=name, length=len(value), limit=limit))
    return value


def number(execution: Execution, name: str) -> int:
    """A whole number: an integer input, or text of ASCII digits (a variable from an earlier step)."""
    value = execution.inputs.get(name)
    if value is None or value == "":
        raise BadInput(messages.STEP_INPUT_MISSING.format(name=name))
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value)
    shown = str(value)[:40]
    raise BadInput(messages.STEP_INPUT_NOT_NUMBER.format(name=name, value=shown))


def flag(execution: Execution, name: str) -> bool:
    value = execution.inputs.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadInput(messages.STEP_INPUT_NOT_BOOLEAN.format(name=name))
    return value


def note_text(execution: Execution, name: str, *, limit: int = writes.MAX_NOTE_CHARACTERS) -> tuple[str, bool]:
    """A note's text as mrkdwn, and whether it carries Slack's escaping: a rich-text input (made
    escaped mrkdwn) or plain text (as typed)."""
    value = execution.inputs.get(name)
    if is_rich_text(value):
        said = rich_text_to_mrkdwn(value)
        escaped = True
    else:
        said, escaped = text(execution, name, limit=limit), False
    if not said.strip():
        raise BadInput(messages.STEP_INPUT_MISSING.format(name=name))
    if len(said) > limit:
        raise BadInput(messages.STEP_INPUT_TOO_LONG.format(name=name, length=len(said), limit=limit))
    return said, escaped


def choose(choices: Sequence[Lookup], value: str, what: str, *, first_if_empty: bool = False) -> Lookup:
    """The choice named `value` (its name in any case, or its ID), else BadInput listing the valid
    names (`what` names the kind with its article: "an Issuetrak priority"). With
    `first_if_empty`, no value is the site's first choice (as the Create issue modal starts)."""
    wanted = value.strip().casefold()
    if first_if_empty and not wanted and choices:
        return choices[0]
    for choice in choices:
        if choice.name.strip().casefold() == wanted or str(choice.id) == value.strip():
            return choice
    names = [c.name for c in choices]
    said = ", ".join(names[:MAX_CHOICES_SAID]) + (", …" if len(names) > MAX_CHOICES_SAID else "")
    raise BadInput(messages.STEP_UNKNOWN_CHOICE.format(value=value.strip()[:80], what=what, names=said))


# --- running a step ----------------------------------------------------------------------------


async def run(rt: Runtime, directory: TeamDirectory, callback_id: str, execution: Execution) -> StepResult:
    """Run the step `callback_id`: its result, with every refusal and input error as its sentence."""
    try:
        return await STEPS[callback_id](rt, directory, execution)
    except BadInput as bad:
        return StepResult(error=str(bad))


async def _person(directory: TeamDirectory, execution: Execution) -> SlackPerson:
    return await directory.person(person_id(execution))


def _refused(person: SlackPerson, reason: str, tracker: TrackerName = TrackerName.ISSUETRAK) -> StepResult:
    return StepResult(error=messages.STEP_PERSON_REFUSED.format(person=person.id, tracker=tracker.label, reason=reason))


async def create_issue(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`create_issuetrak_issue`: subject, description, type and priority (the site's first when
    empty), project (optional), person."""
    person = await _person(directory, execution)
    subject = text(execution, "subject", limit=MAX_SUBJECT).strip()
    description = text(execution, "description", required=False, limit=writes.MAX_NOTE_CHARACTERS)
    type_name, priority_name = text(execution, "type", required=False), text(execution, "priority", required=False)
    project_ref = text(execution, "project", required=False)
    if (recorded := await _recorded(rt, execution, person, TrackerName.ISSUETRAK)) is not None:
        return recorded
    issuetrak = rt.trackers.require_issuetrak()
    try:
        type_id = int(
            choose(await issuetrak.issue_types(), type_name, "an Issuetrak issue type", first_if_empty=True).id
        )
        priority = choose(await issuetrak.priorities(), priority_name, "an Issuetrak priority", first_if_empty=True)
        project = None
        if project_ref.strip():
            projects = [Lookup(id=int(p.id), name=p.name) for p in await issuetrak.list_projects()]
            project = int(choose(projects, project_ref, "an Issuetrak project").id)
    except Unavailable:
        what, value = ("project", project_ref) if project_ref.strip() else ("type and priority", type_name)
        return StepResult(
            error=messages.STEP_CHOICES_UNREADABLE.format(
                tracker=TrackerName.ISSUETRAK.label, what=what, value=value.strip()[:80]
            )
        )
    html = await _html(description, directory, person, execution.id, escaped=False)
    payload = IssuePayload(subject=subject, html=html, type=type_id, priority=int(priority.id), project=project)
    return await _write(rt, directory, execution, person, OutboxKind.ISSUE, payload)


async def add_note(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`add_issuetrak_note`: issue number, text (plain or rich), private, person."""
    person = await _person(directory, execution)
    issue = number(execution, "issue_number")
    said, escaped = note_text(execution, "text")
    private = flag(execution, "private")
    if private and not rt.settings.ALLOW_PRIVATE_NOTES:
        return StepResult(error=messages.PRIVATE_NOT_ALLOWED)
    if (recorded := await _recorded(rt, execution, person, TrackerName.ISSUETRAK)) is not None:
        return recorded
    try:
        await rt.trackers.require_issuetrak().get_issue(issue)
    except NotFound:
        return StepResult(error=messages.ISSUE_DOES_NOT_EXIST.format(number=issue))
    except Unavailable:
        pass  # saved, and delivered when Issuetrak is back
    html = await _html(said, directory, person, execution.id, escaped=escaped)
    return await _write(
        rt, directory, execution, person, OutboxKind.NOTE, NotePayload(issue=issue, html=html, private=private)
    )


async def get_issue(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`get_issuetrak_issue`: issue number, person; read under the read rules (guests,
    OPEN_READS, ISSUE_SCOPE)."""
    person = await _person(directory, execution)
    issue_number = number(execution, "issue_number")
    reader = await identity.reader(rt, execution.team, person)
    if reader.refusal is not None:
        return _refused(person, reader.refusal)
    issuetrak = rt.trackers.require_issuetrak()
    try:
        issue = await lookup.get_issue(rt, issue_number)
        if (refusal := identity.issue_refusal(rt, reader, issue)) is not None:
            return _refused(person, refusal)
        substatus = ""
        if issue.substatus_id is not None:
            substatuses = await issuetrak.substatuses()
            substatus = next((s.name for s in substatuses if str(s.id) == str(issue.substatus_id)), "")
    except NotFound:
        return StepResult(error=messages.ISSUE_DOES_NOT_EXIST.format(number=issue_number))
    except Unavailable as exc:  # its sentence says Issuetrak is not answering
        return StepResult(error=str(exc))
    return StepResult(
        outputs={
            "subject": issue.subject,
            "status": issue.status or "",
            "substatus": substatus,
            "assignee": issue.assignee or "",
            "priority": issue.priority or "",
            "url": issue.url or issuetrak.issue_url(issue.number),
        }
    )


async def look_up_asset(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`look_up_asset`: query; how many match, and the first match (the paging source's, else
    the first of the others)."""
    query = text(execution, "query", limit=200).strip()
    found = await lookup.find_assets(rt, query)
    paged = found.page.assets if found.page else []
    matches: list[Asset] = [found.single] if found.single else [*paged, *found.unpaged]
    count = 1 if found.single else (found.page.total if found.page else 0) + len(found.unpaged)
    if not matches and found.failures:  # nothing found, and a source could not be searched
        return StepResult(error=next(iter(found.failures.values())))
    first = matches[0] if matches else None
    outputs: dict[str, Any] = {"count": count}
    if first is not None:
        outputs |= {"key": first.key or first.id, "name": first.name, "url": first.url or ""}
    return StepResult(outputs=outputs)


async def project_status(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`project_status`: a project reference (an ID, a key or a name) across every project source."""
    ref = text(execution, "project", limit=200).strip()
    gathered = await lookup.find_projects(rt, ref)
    if not gathered.projects:
        if gathered.failures:  # a source could not be searched
            return StepResult(error=next(iter(gathered.failures.values())))
        return StepResult(error=messages.STEP_NO_PROJECT.format(ref=ref[:80], where=gathered.where))
    if len(gathered.projects) > 1:
        names = ", ".join(p.name for p in gathered.projects[:MAX_CHOICES_SAID])
        return StepResult(
            error=messages.STEP_MANY_PROJECTS.format(ref=ref[:80], count=len(gathered.projects), names=names)
        )
    project = gathered.projects[0]
    outputs: dict[str, Any] = {
        "tracker": project.tracker.label,
        "name": project.name,
        "status": project.status or "",
        "url": project.url or "",
    }
    if project.percent_complete is not None:
        outputs["progress"] = project.percent_complete
    return StepResult(outputs=outputs)


async def add_kitsu_comment(rt: Runtime, directory: TeamDirectory, execution: Execution) -> StepResult:
    """`add_kitsu_comment`: task (its ID or page URL, or "Production / Asset or shot / Task type"),
    status (one of the production's, by name), text (plain or rich), person. Checked and written
    as the Kitsu comment form's are (`bot.services.kitsu_comments`: the person's own Zou account,
    on the production's team, the bot's account a manager), through the outbox."""
    person = await _person(directory, execution)
    task_ref = text(execution, "task", limit=300).strip()
    status_name = text(execution, "status", limit=100)
    said, escaped = note_text(execution, "text", limit=kitsu_writes.MAX_COMMENT_CHARACTERS)
    comment = editable_text(said) if escaped else said  # Kitsu takes Markdown as typed, not Slack's escaping
    if (recorded := await _recorded(rt, execution, person, TrackerName.KITSU)) is not None:
        return recorded
    found = await kitsu_writes.author(rt, person)
    if found.refusal is not None:
        return _refused(person, found.refusal, TrackerName.KITSU)
    try:
        if found.person_id is None:  # Kitsu did not answer who they are
            raise Unavailable(TrackerName.KITSU.label)
        place = await _kitsu_task(rt, person, found.person_id, task_ref)
        statuses = await rt.trackers.require_kitsu().statuses_of(place.project_id)
        status = choose(statuses, status_name, f"a task status of {place.project}")
        form = kitsu_comments.Chosen(place.project_id, place.entity_id, place.id, str(status.id), comment)
        checked = await kitsu_comments.check(rt, form)
    except Unavailable:
        return StepResult(
            error=messages.STEP_CHOICES_UNREADABLE.format(
                tracker=TrackerName.KITSU.label, what="task", value=task_ref[:80]
            )
        )
    if isinstance(checked, dict):  # changed under the step between the two reads: the form's sentence
        return StepResult(error=" ".join(checked.values()))
    requester = Requester(team_id=execution.team, user_id=person.id, channel_id=None)
    outcome = await kitsu_comments.submit(
        rt,
        key=_key(execution.id),
        requester=requester,
        person=person,
        chosen=checked,
        text=comment,
        people=directory.fresh_lookup(),
    )
    return await _made(rt, person, outcome, TrackerName.KITSU)


async def _kitsu_task(rt: Runtime, person: SlackPerson, person_id: str, ref: str) -> TaskPlace:
    """The task named by `ref`: by its ID (or page URL), or by its production, entity and task
    type's names among the person's productions (as the comment form offers them; `person_id`:
    their Zou account)."""
    kitsu = rt.trackers.require_kitsu()
    if match := _KITSU_TASK_ID.fullmatch(ref):
        try:
            return await kitsu.task_place(match["id"])
        except NotFound:
            raise BadInput(messages.STEP_KITSU_NO_TASK.format(task=ref[:80])) from None
    parts = [part.strip() for part in ref.split("/")]
    if len(parts) != 3 or not all(parts):
        raise BadInput(messages.STEP_KITSU_TASK_REF.format(value=ref[:80]))
    production_name, entity_name, task_name = parts
    production = choose(await kitsu.productions_of(person_id), production_name, f"a Kitsu production {person.id} is on")
    entities = await kitsu.entities_of(str(production.id))
    named = [e for e in entities if e.name.strip().casefold() == entity_name.casefold()]
    if len(named) > 1:
        raise BadInput(
            messages.STEP_KITSU_MANY_ENTITIES.format(
                value=entity_name[:80], count=len(named), production=production.name
            )
        )
    entity = named[0] if named else choose(entities, entity_name, f"an asset or shot of {production.name} with tasks")
    task = choose(await kitsu.tasks_of(str(entity.id)), task_name, f"a task of {entity.name}")
    return await kitsu.task_place(str(task.id))


# --- writes ------------------------------------------------------------------------------------


async def _html(said: str, directory: TeamDirectory, person: SlackPerson, key: str, *, escaped: bool) -> str:
    return await writes.compose_note(
        said,
        directory=directory,
        person=person,
        channel="",  # a step has no channel
        permalink=None,
        key=_key(key),
        slack_escaped=escaped,
    )


async def _recorded(rt: Runtime, execution: Execution, person: SlackPerson, tracker: TrackerName) -> StepResult | None:
    """Slack's retry of an execution whose write is recorded: how that write went, without checking
    its choices again (so an outage never makes it say "nothing was saved"); None the first time.
    Never another person's write to report."""
    earlier = await rt.store.get(_key(execution.id))
    if earlier is None:
        return None
    if earlier.requester.user_id != person.id:
        return _refused(person, messages.WRITE_NOT_YOURS, tracker)
    return await delivered(rt, earlier.id)


def _key(execution_id: str) -> str:
    return f"step:{execution_id}"


async def _write(
    rt: Runtime,
    directory: TeamDirectory,
    execution: Execution,
    person: SlackPerson,
    kind: OutboxKind,
    payload: OutboxPayload,
) -> StepResult:
    """Record the write under the execution's key (the outbox's identity rules decide), then wait
    for it to be made, up to WAIT_SECONDS."""
    requester = Requester(team_id=execution.team, user_id=person.id, channel_id=None)
    outcome = await writes.submit(
        rt,
        key=_key(execution.id),
        kind=kind,
        payload=payload,
        requester=requester,
        person=person,
        people=directory.fresh_lookup(),
    )
    return await _made(rt, person, outcome, TrackerName.ISSUETRAK)


async def _made(rt: Runtime, person: SlackPerson, outcome: writes.Outcome, tracker: TrackerName) -> StepResult:
    """What a submitted write comes to: refused at once, or what the outbox made of it."""
    if outcome.result in (writes.Result.NOT_LINKED, writes.Result.REFUSED):
        return _refused(person, outcome.sentence, tracker)
    if outcome.item_id is None:
        return StepResult(error=messages.STEP_UNEXPECTED)
    return await delivered(rt, outcome.item_id)


async def delivered(rt: Runtime, item_id: int, *, wait: float | None = None) -> StepResult:
    """The outputs of a delivered write, waiting for the outbox up to `wait` seconds; a fail
    message when it failed, or when it is still waiting (it will still be made)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (WAIT_SECONDS if wait is None else wait)
    while True:
        item = await rt.store.get(item_id)
        if item is None:
            raise LookupError(f"outbox item {item_id} vanished")
        tracker = (TrackerName.KITSU if item.kind is OutboxKind.KITSU_COMMENT else TrackerName.ISSUETRAK).label
        if item.state is OutboxState.DELIVERED:
            return StepResult(outputs=_outputs(rt, item))
        if item.state is OutboxState.FAILED:
            error = item.last_error or messages.TRACKER_REFUSED.format(tracker=tracker)
            return StepResult(error=messages.STEP_WRITE_FAILED.format(tracker=tracker, item=item.id, error=error))
        if item.state in (OutboxState.REFUSED, OutboxState.CANCELLED):  # over for good, never made
            reason = item.last_error or messages.WRITE_REPLACED
            return StepResult(error=messages.STEP_WRITE_REFUSED.format(item=item.id, reason=reason))
        if loop.time() >= deadline:
            log.info("step write %s still waits in the outbox; the step fails, the write stays", item.id)
            return StepResult(error=messages.STEP_WRITE_SAVED.format(tracker=tracker, item=item.id))
        await asyncio.sleep(POLL_SECONDS)


def _outputs(rt: Runtime, item: OutboxItem) -> dict[str, Any]:
    result = item.result or {}
    if isinstance(item.payload, CommentPayload):
        return {"comment_id": str(result["comment"]), "task_url": item.payload.task_url}
    issue = int(result["issue"])
    url = rt.trackers.require_issuetrak().issue_url(issue)
    if item.kind is OutboxKind.NOTE:
        return {"note_id": int(result["note"]), "issue_url": url}
    return {"issue_number": issue, "issue_url": url}


STEPS: dict[str, Step] = {
    "create_issuetrak_issue": create_issue,
    "add_issuetrak_note": add_note,
    "get_issuetrak_issue": get_issue,
    "look_up_asset": look_up_asset,
    "project_status": project_status,
    "add_kitsu_comment": add_kitsu_comment,
}
