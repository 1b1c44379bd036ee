"""`/tracker search` and `/tracker mine` pages, and their Previous and More buttons.

A button carries the command as typed and the page it opens: a click parses it again (the one
grammar) and searches again as whoever clicks, under the read rule of the moment of the click."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.runtime import Runtime
from bot.services import issue_search
from bot.slack import command_parser as parsed
from bot.slack.directory import SlackPerson
from bot.views import ids, issue_results
from handlers.listening import Heard, listener
from handlers.replies import Reply, say, show


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
        await say(reply, found)
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


@listener("issues page")
async def issues_page(heard: Heard) -> None:
    asked = _command_of(heard.value)
    if asked is None:
        await say(heard.reply, messages.MODAL_EXPIRED)
        return
    command, page_index = asked
    person = await heard.person()
    await show_found(heard.rt, heard.reply, team=heard.team, person=person, command=command, page_index=page_index)
