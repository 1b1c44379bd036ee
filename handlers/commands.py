"""`/tracker`: one slash command, subcommands as text."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting import digest_delivery, identity_requests, triage_posting
from bot.runtime import Runtime
from bot.services import changes, digest_rules, identity, kitsu_subscriptions, lookup, notify, triage, watches, writes
from bot.slack import app_links
from bot.slack import command_parser as parsed
from bot.slack.directory import Directory, SlackPerson, fresh_lookup
from bot.trackers.models import AssetPage, TrackerName
from bot.views import cards, sentence_blocks
from bot.views import triage as triage_view
from handlers.context import directory_of, runtime_of
from handlers.issue_search import show_found
from handlers.replies import Reply, guarded, say, show


def register(app: AsyncApp) -> None:
    app.command("/tracker")(tracker_command)


@functools.cache
def _help_dicts() -> tuple[dict[str, Any], ...]:
    """The help text never changes: render it once."""
    return tuple(
        cards.as_dicts(cards.help_blocks(messages.HELP_EXAMPLES) + sentence_blocks.said(messages.HELP_SHORTCUTS))
    )


def help_view(asked: parsed.Help) -> list[dict[str, Any]]:
    """Why the text was not understood (if it was not), then the whole help unless the reason says enough."""
    reason = cards.as_dicts(sentence_blocks.said(asked.reason, as_written=True)) if asked.reason else []
    return reason + (list(_help_dicts()) if asked.everything else [])


async def tracker_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    cmd = parsed.parse(command.get("text", ""))
    if isinstance(cmd, parsed.Help):
        # No tracker call: the answer fits in the acknowledgement itself.
        await ack(text=cmd.reason or messages.HELP_INTRO, blocks=help_view(cmd))
        return
    await ack(text=messages.WORKING)
    rt = runtime_of(context)
    asked = Asked(
        rt=rt,
        client=client,
        directory=directory_of(context),
        reply=respond,
        team=command.get("team_id", ""),
        user=command.get("user_id", ""),
        channel=command.get("channel_id", ""),
        trigger=command.get("trigger_id", ""),
        app=str(command.get("api_app_id") or ""),
    )
    rt.spawn(guarded(respond, _run(cmd, asked), what=f"/tracker {type(cmd).__name__}"), name="/tracker")


@dataclass(frozen=True, kw_only=True)
class Asked:
    """Who asked, where, and how to answer them."""

    rt: Runtime
    client: AsyncWebClient
    directory: Directory
    reply: Reply
    team: str
    user: str
    channel: str
    trigger: str
    app: str = ""  # the app's id (`api_app_id`), for links to its Home tab

    @property
    def today(self) -> date:
        return self.rt.clock().date()

    async def person(self) -> SlackPerson:
        """Who asked (SlackBusy when Slack cannot say just now)."""
        return await self.directory.person(self.client, self.team, self.user)


def _shows_issues(rt: Runtime, cmd: parsed.Command) -> bool:
    """Whether the command shows Issuetrak issues (a card, or a digest that reads Issuetrak): those
    ask the read rule (`identity.reader`); projects, tasks and assets do not."""
    if isinstance(cmd, (parsed.ShowIssue, parsed.ChangeIssue)):
        return rt.trackers.issuetrak is not None  # else the lookup says Issuetrak is not set up
    return isinstance(cmd, (parsed.DigestNow, parsed.DigestDaily)) and digest_rules.shows_issues(rt, cmd.scope)


async def _run(cmd: parsed.Command, asked: Asked) -> None:
    """Who asked may use the bot, and read what the command shows: then the command's own function."""
    rt = asked.rt
    person = await asked.person()
    if identity.shut_out(rt, person):
        await say(asked.reply, messages.GUEST_REFUSED)
        return
    reader = identity.Reader(None)
    if _shows_issues(rt, cmd):
        reader = await identity.reader(rt, asked.team, person)
        # A digest goes on without its issues while Issuetrak cannot say: one outage blocks no other answer.
        if reader.refusal and not (reader.down and isinstance(cmd, parsed.DigestNow)):
            await say(asked.reply, reader.refusal)
            return
    await _COMMANDS[type(cmd)](cmd, asked, person, reader)


async def _show_issue(cmd: parsed.ShowIssue, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    card = await changes.card(asked.rt, cmd.number)
    if refusal := identity.issue_refusal(asked.rt, reader, card.issue):
        await say(asked.reply, refusal)
        return
    blocks = cards.issue_card(card.issue, asked.today, priorities=card.priorities, substatuses=card.substatuses)
    await show(asked.reply, blocks, f"Issue #{card.issue.number}: {card.issue.subject}")


async def _show_project(cmd: parsed.ShowProject, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await _show_projects(asked, await lookup.find_projects(asked.rt, cmd.ref), cmd.ref)


async def _list_projects(cmd: parsed.ListProjects, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    found = await lookup.open_projects(asked.rt)
    if not found.projects and not found.failures:
        await show(
            asked.reply,
            sentence_blocks.said(messages.NO_PROJECTS.format(where=found.where), as_written=True),
            "No projects",
        )
        return
    await show(asked.reply, cards.projects_list(found.projects, asked.today, found.failures), "Open projects")


async def _find_asset(cmd: parsed.FindAsset, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await show_assets(asked.rt, asked.reply, cmd.query, 0)


async def _add_note(cmd: parsed.AddNote, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    outcome = await writes.note_from_command(
        asked.rt,
        asked.directory.of(asked.client, asked.team),
        team=asked.team,
        person=person,
        channel_id=asked.channel,
        channel=await asked.directory.channel_name(asked.client, asked.team, asked.channel),
        issue=cmd.number,
        text=cmd.text,
        key=f"command:{asked.trigger}",
    )
    await say(asked.reply, outcome.sentence)


async def _change_issue(cmd: parsed.ChangeIssue, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    someone = cmd.person
    chosen = None if someone is None else await asked.directory.person(asked.client, asked.team, someone)
    outcome = await changes.from_command(
        asked.rt,
        key=f"command:{asked.trigger}",
        team=asked.team,
        person=person,
        chosen=chosen,
        channel_id=asked.channel,
        channel=await asked.directory.channel_name(asked.client, asked.team, asked.channel),
        number=cmd.number,
        field=cmd.field,
        choice=cmd.choice,
        people=fresh_lookup(asked.client),
    )
    await say(asked.reply, outcome.sentence)


async def _link_user(cmd: parsed.LinkUser, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    rt, user = asked.rt, cmd.issuetrak_user
    if cmd.person is None:
        sentence = await identity_requests.link_self(
            rt, asked.client, team=asked.team, person=person, issuetrak_user=user
        )
    else:
        sentence = await identity_requests.link_other(
            rt, asked.client, team=asked.team, admin=asked.user, person=cmd.person, issuetrak_user=user
        )
    await say(asked.reply, sentence)


async def _unlink(cmd: parsed.Unlink, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await say(asked.reply, await identity.unlink(asked.rt, team=asked.team, actor=asked.user, person=cmd.person))


async def _digest_now(cmd: parsed.DigestNow, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    sentence = await digest_delivery.post_now(
        asked.rt,
        asked.client,
        team=asked.team,
        channel=asked.channel,
        user=asked.user,
        scope=cmd.scope,
        shown=digest_rules.issues_shown(asked.rt, reader),
    )
    await say(asked.reply, sentence)


async def _digest_daily(cmd: parsed.DigestDaily, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    sentence = await digest_rules.schedule(
        asked.rt,
        team=asked.team,
        channel=asked.channel,
        user=asked.user,
        at=cmd.at,
        zone=cmd.zone or person.tz or "UTC",
        scope=cmd.scope,
    )
    await say(asked.reply, sentence)


async def _digest_off(cmd: parsed.DigestOff, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await say(
        asked.reply, await digest_rules.unschedule(asked.rt, team=asked.team, channel=asked.channel, user=asked.user)
    )


async def _digest_list(cmd: parsed.DigestList, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await say(
        asked.reply,
        await digest_rules.describe_schedule(asked.rt, team=asked.team, channel=asked.channel, user=asked.user),
    )


async def _watch(cmd: parsed.AddWatch, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    sentence = await watches.watch(
        asked.rt, team=asked.team, channel=asked.channel, person=person, kind=cmd.kind, ref=cmd.ref
    )
    await say(asked.reply, sentence)


async def _unwatch(cmd: parsed.Unwatch, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    sentence = await watches.unwatch(
        asked.rt, team=asked.team, channel=asked.channel, user=asked.user, kind=cmd.kind, ref=cmd.ref
    )
    await say(asked.reply, sentence)


async def _watching(cmd: parsed.Watching, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    await say(asked.reply, await watches.listing(asked.rt, team=asked.team, channel=asked.channel, user=asked.user))


async def _subscribe(cmd: parsed.Subscribe, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    if not await triage_posting.bot_in_channel(asked.client, asked.channel):
        await say(asked.reply, messages.SUBSCRIBE_NOT_IN_CHANNEL)
        return
    rt, team, channel = asked.rt, asked.team, asked.channel
    if cmd.production is not None:
        sentence = await kitsu_subscriptions.subscribe(
            rt, team=team, channel=channel, person=person, ref=cmd.production, filters=cmd.filters
        )
    else:
        sentence = await triage.subscribe(
            rt, team=team, channel=channel, person=person, project=cmd.project, filters=cmd.filters, events=cmd.events
        )
    await say(asked.reply, sentence)


async def _subscriptions(cmd: parsed.Subscriptions, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    head, entries = await triage.listing(asked.rt, team=asked.team, channel=asked.channel)
    await show(asked.reply, triage_view.subscriptions(head, entries), head)


async def _unsubscribe(cmd: parsed.Unsubscribe, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    sentence = await triage.unsubscribe(asked.rt, team=asked.team, channel=asked.channel, position=cmd.position)
    await say(asked.reply, sentence)


async def _notify(cmd: parsed.Notify, asked: Asked, person: SlackPerson, reader: identity.Reader) -> None:
    rt = asked.rt
    if cmd.quiet is None:
        sentence = await notify.shown(
            rt, team=asked.team, person=person, home=app_links.home_tab(asked.team, asked.app)
        )
    else:
        sentence = await notify.quiet_hours(rt, team=asked.team, user=asked.user, text=cmd.quiet)
    await say(asked.reply, sentence)


async def _search(
    cmd: parsed.SearchIssues | parsed.MyIssues, asked: Asked, person: SlackPerson, reader: identity.Reader
) -> None:
    """Under the read rule, checked by the search itself."""
    await show_found(asked.rt, asked.reply, team=asked.team, person=person, command=cmd)


# Each command's function, by the parsed command's type (`parsed.Help` is answered in the acknowledgement).
_Do = Callable[[Any, Asked, SlackPerson, identity.Reader], Awaitable[None]]
_COMMANDS: dict[type[parsed.Command], _Do] = {
    parsed.ShowIssue: _show_issue,
    parsed.ShowProject: _show_project,
    parsed.ListProjects: _list_projects,
    parsed.FindAsset: _find_asset,
    parsed.AddNote: _add_note,
    parsed.ChangeIssue: _change_issue,
    parsed.LinkUser: _link_user,
    parsed.Unlink: _unlink,
    parsed.DigestNow: _digest_now,
    parsed.DigestDaily: _digest_daily,
    parsed.DigestOff: _digest_off,
    parsed.DigestList: _digest_list,
    parsed.AddWatch: _watch,
    parsed.Unwatch: _unwatch,
    parsed.Watching: _watching,
    parsed.Subscribe: _subscribe,
    parsed.Subscriptions: _subscriptions,
    parsed.Unsubscribe: _unsubscribe,
    parsed.Notify: _notify,
    parsed.SearchIssues: _search,
    parsed.MyIssues: _search,
}


async def _show_projects(asked: Asked, found: lookup.Gathered, ref: str) -> None:
    if len(found.projects) == 1:
        project = found.projects[0]
        await show(asked.reply, cards.project_card(project, asked.today), f"{project.name}: {project.status or ''}")
    elif found.projects:
        await show(
            asked.reply, cards.projects_list(found.projects, asked.today, found.failures), f"Projects matching {ref}"
        )
    else:
        sentence = messages.NO_PROJECT.format(ref=ref, where=found.where)
        failures = " ".join(found.failures.values())
        await show(asked.reply, sentence_blocks.said(f"{sentence} {failures}".strip(), as_written=True), sentence)


async def show_assets(
    rt: Runtime, reply: Reply, query: str, start_at: int, starts: Mapping[TrackerName, int] | None = None
) -> None:
    """An asset card, or a paged list when many match (also used by the More and Previous buttons,
    which carry where each section of the sources that do not page goes on, by tracker: a source
    left out was shown in full and is not searched again)."""
    result = await lookup.find_assets(rt, query, start_at=start_at, unpaged=starts or ())
    failures = " ".join(result.failures.values())
    if result.single is not None:
        await show(reply, cards.asset_card(result.single), f"{result.single.key or result.single.name}")
    elif result.empty:
        sentence = f"{messages.NO_ASSET.format(query=query)} {failures}".strip()
        await say(reply, sentence, as_written=True)
    else:
        page = result.page or AssetPage(assets=[], start_at=0, total=0)
        listed = cards.asset_list(page, query, result.unpaged, starts, page_size=lookup.ASSET_PAGE_SIZE)
        await show(reply, listed, f"Assets matching {query}")
