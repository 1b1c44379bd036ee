"""`/tracker search` and `/tracker mine` pages, and their Previous and More buttons.

A button carries the command as typed and the page it opens: a click parses it again (the one
grammar) and searches again as whoever clicks, under the read rule of the moment of the click."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import issue_search
from bot.slack import command_parser as parsed
from bot.slack.people import Directory, SlackPerson
from bot.views import cards, ids, issue_results, sentence_blocks
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id
from handlers.responding import Reply, guarded, show


def register(app: AsyncApp) -> None:
    app.action(ids.ISSUES_PAGE)(issues_page)


async def show_found(
    rt: Runtime,
    reply: Reply,
    *,
    team: str,
    person: SlackPerson,
    command: parsed.SearchIssues | parsed.MyIssues,
    page_index: int = 0,
) -> None:
    """A page of issues, or the sentence saying why there is none to show."""
    found = await issue_search.find(rt, team=team, person=person, command=command, page_index=page_index)
    if isinstance(found, str):
        await show(reply, sentence_blocks.notice(found), found)
    elif isinstance(command, parsed.SearchIssues):
        blocks = issue_results.search_results(found.page, command.words, command.text)
        await show(reply, blocks, messages.SEARCH_SHOWN_TEXT.format(words=command.words))
    else:
        blocks = issue_results.my_issues(found.page, found.assigned, found.next_action, command.text)
        await show(reply, blocks, messages.MINE_SHOWN_TEXT)


def _command_of(value: str) -> tuple[parsed.SearchIssues | parsed.MyIssues, int] | None:
    """The command and page a button carries, or None when it carries no search."""
    try:
        fields = json.loads(value)
        text, page = str(fields["c"]), int(fields["p"])
    except (ValueError, KeyError, TypeError):
        return None
    command = parsed.parse(text)
    if not isinstance(command, (parsed.SearchIssues, parsed.MyIssues)) or page < 0:
        return None
    return command, page


async def issues_page(
    ack: AsyncAck,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    await ack()
    rt = runtime_of(context)
    asked = _command_of(str(action.get("value") or ""))
    if asked is None:
        await show(respond, cards.message(messages.MODAL_EXPIRED), messages.MODAL_EXPIRED)
        return
    work = _page(rt, client, directory_of(context), respond, body, *asked)
    rt.spawn(guarded(respond, work, what="issues page"), name="issues page")


async def _page(
    rt: Runtime,
    client: AsyncWebClient,
    directory: Directory,
    respond: Reply,
    body: dict[str, Any],
    command: parsed.SearchIssues | parsed.MyIssues,
    page_index: int,
) -> None:
    team = body_id(body, "team")
    person = await directory.person(client, team, body_id(body, "user"))
    await show_found(rt, respond, team=team, person=person, command=command, page_index=page_index)
