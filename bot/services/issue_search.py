"""Finding Issuetrak issues: `/tracker search <words>` and `/tracker mine`, a page at a time.

Every condition goes to Issuetrak in one SearchIssueDTO (`POST issues/search`): the words, the
filters, "mine", the order (newest first) and the page. Nothing is fetched to be filtered here,
so a page is one round trip; `mine` also counts its two kinds, side by side with the page. The
project and priority a filter names are resolved through the client's cached lists.

Both read issues, so both are under the read rule (`identity.read_refusal`), checked at every
page; `mine` also needs to know who the person is in Issuetrak, whatever OPEN_READS says.

Under ISSUE_SCOPE=organization, Issuetrak is asked only for the issues of the person's
organization (`identity.scope_organization`), as one more condition of the same search."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import messages
from bot.runtime import Runtime
from bot.services import identity
from bot.slack.command_parser import IssueFilters, MyIssues, SearchIssues
from bot.slack.directory import SlackPerson
from bot.trackers.issuetrak import IssuetrakClient, SearchFilter, text_contains
from bot.trackers.models import IssuePage

PAGE_SIZE = 10
MAX_PAGE = 10_000  # a page index past any real search: a forged button gets an empty page, not a 400
NEWEST_FIRST = "SubmittedDate"


@dataclass(frozen=True)
class Found:
    """A page of issues; for `mine`, how many are assigned to the person and how many have the
    next action with them (an issue may be both)."""

    page: IssuePage
    assigned: int = 0
    next_action: int = 0


async def find(
    rt: Runtime, *, team: str, person: SlackPerson, command: SearchIssues | MyIssues, page_index: int = 0
) -> Found | str:
    """The page `page_index` of `command`, or the sentence saying why not (the read rule, a
    filter that names nothing)."""
    reader = await identity.reader(rt, team, person)
    if reader.refusal:
        return reader.refusal
    organization = identity.scope_organization(rt, reader.user)
    if isinstance(organization, str):
        return organization
    issuetrak = rt.trackers.require_issuetrak()
    conditions = await _conditions(issuetrak, command.filters)
    if isinstance(conditions, str):
        return conditions
    if organization is not None:
        conditions.append(("OrganizationID", "Equal", organization))
    page_index = min(max(page_index, 0), MAX_PAGE)
    if isinstance(command, SearchIssues):
        groups = [text_contains(word) for word in dict.fromkeys(command.words.split())]
        page = await issuetrak.search_issues(
            filters=conditions, any_of=groups, page_index=page_index, page_size=PAGE_SIZE, order_by=NEWEST_FIRST
        )
        return Found(page)
    standing = await identity.identify(rt, team, person)
    if standing.user is None:
        return identity.refusal_sentence(rt, standing, person, reading=True)
    me = standing.user
    if command.filters.status is None:
        conditions.append(("Status", "Equal", "Open"))
    page, assigned, next_action = await asyncio.gather(
        issuetrak.search_issues(
            filters=conditions,
            any_of=[[("AssignedTo", "Equal", me), ("NextActionTo", "Equal", me)]],
            page_index=page_index,
            page_size=PAGE_SIZE,
            order_by=NEWEST_FIRST,
        ),
        issuetrak.search_issues(filters=[*conditions, ("AssignedTo", "Equal", me)], page_size=1),
        issuetrak.search_issues(filters=[*conditions, ("NextActionTo", "Equal", me)], page_size=1),
    )
    return Found(page, assigned=assigned.total, next_action=next_action.total)


async def _conditions(issuetrak: IssuetrakClient, filters: IssueFilters) -> list[SearchFilter] | str:
    """The filters as search conditions, or the sentence saying which one names nothing."""
    conditions: list[SearchFilter] = []
    if filters.status is not None:
        conditions.append(("Status", "Equal", filters.status.capitalize()))
    if filters.project is not None:
        project = await _project_id(issuetrak, filters.project)
        if isinstance(project, str):
            return project
        conditions.append(("ProjectID", "Equal", project))
    if filters.priority is not None:
        priorities = await issuetrak.priorities()
        wanted = filters.priority.casefold()
        priority = next((p for p in priorities if p.name.casefold() == wanted), None)
        if priority is None:
            names = ", ".join(p.name for p in priorities) or "(none)"
            return messages.SEARCH_UNKNOWN_PRIORITY.format(name=filters.priority, names=names)
        conditions.append(("PriorityID", "Equal", int(priority.id)))
    return conditions


async def _project_id(issuetrak: IssuetrakClient, ref: str) -> int | str:
    """The project a filter names: by its ID, its number, or (a single one) by its name."""
    projects = await issuetrak.list_projects()
    wanted = ref.lstrip("#").casefold()
    exact = [p for p in projects if p.id == wanted or (p.key or "").casefold() == wanted or p.name.casefold() == wanted]
    found = exact or await issuetrak.find_projects(ref)
    if len(found) == 1:
        return int(found[0].id)
    if not found:
        return messages.SEARCH_UNKNOWN_PROJECT.format(ref=ref)
    names = ", ".join(f"{p.name} ({p.key or p.id})" for p in found[:5])
    return messages.SEARCH_SEVERAL_PROJECTS.format(ref=ref, names=names)
