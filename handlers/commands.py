"""`/tracker`: one slash command, subcommands as text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.posting import digest_posting, link_requests, triage_posting
from bot.runtime import Runtime
from bot.services import changes, digests, identity, kitsu_subscriptions, lookup, notify, triage, watches, writes
from bot.slack import app_links
from bot.slack import command_parser as parsed
from bot.slack.people import Directory, SlackPerson, people_now
from bot.trackers.models import AssetPage
from bot.views import cards, sentence_blocks
from bot.views import triage as triage_view
from handlers.context import directory_of, runtime_of
from handlers.issue_search import show_found
from handlers.responding import Reply, guarded, show


def register(app: AsyncApp) -> None:
    app.command("/tracker")(tracker_command)


@functools.cache
def _help_dicts() -> tuple[dict[str, Any], ...]:
    """The help text never changes: render it once."""
    return tuple(
        cards.as_dicts(cards.help_blocks(messages.HELP_EXAMPLES) + sentence_blocks.notice(messages.HELP_SHORTCUTS))
    )


def help_view(asked: parsed.Help) -> list[dict[str, Any]]:
    """Why the text was not understood (if it was not), then the whole help unless the reason says enough."""
    reason = cards.as_dicts(cards.message(asked.reason)) if asked.reason else []
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
    return isinstance(cmd, (parsed.DigestNow, parsed.DigestDaily)) and digests.shows_issues(rt, cmd.scope)


async def _say(reply: Reply, sentence: str) -> None:
    await show(reply, sentence_blocks.notice(sentence), sentence)


async def _run(cmd: parsed.Command, asked: Asked) -> None:
    rt, reply = asked.rt, asked.reply
    person = await asked.person()
    if identity.shut_out(rt, person):
        await _say(reply, messages.GUEST_REFUSED)
        return
    reader = identity.Reader(None)
    if _shows_issues(rt, cmd):
        reader = await identity.reader(rt, asked.team, person)
        # A digest goes on without its issues while Issuetrak cannot say: one outage blocks no other answer.
        if reader.refusal and not (reader.down and isinstance(cmd, parsed.DigestNow)):
            await _say(reply, reader.refusal)
            return
    match cmd:
        case parsed.ShowIssue(number):
            card = await changes.card(rt, number)
            if refusal := identity.issue_refusal(rt, reader, card.issue):
                await _say(reply, refusal)
                return
            blocks = cards.issue_card(card.issue, asked.today, priorities=card.priorities, substatuses=card.substatuses)
            await show(reply, blocks, f"Issue #{card.issue.number}: {card.issue.subject}")
        case parsed.ShowProject(ref):
            found = await lookup.find_projects(rt, ref)
            await _show_projects(asked, found, ref)
        case parsed.ListProjects():
            found = await lookup.open_projects(rt)
            if not found.projects and not found.failures:
                await show(reply, cards.message(messages.NO_PROJECTS.format(where=found.where)), "No projects")
                return
            await show(reply, cards.projects_list(found.projects, asked.today, found.failures), "Open projects")
        case parsed.FindAsset(query):
            await show_assets(rt, reply, query, 0)
        case parsed.AddNote(number, text):
            channel = await asked.directory.channel_name(asked.client, asked.team, asked.channel)
            outcome = await writes.note_from_command(
                rt,
                asked.directory.of(asked.client, asked.team),
                team=asked.team,
                person=person,
                channel_id=asked.channel,
                channel=channel,
                issue=number,
                text=text,
                key=f"command:{asked.trigger}",
            )
            await show(reply, sentence_blocks.notice(outcome.sentence), outcome.sentence)
        case parsed.ChangeIssue(number, field, choice, someone):
            chosen = None if someone is None else await asked.directory.person(asked.client, asked.team, someone)
            outcome = await changes.from_command(
                rt,
                key=f"command:{asked.trigger}",
                team=asked.team,
                person=person,
                chosen=chosen,
                channel_id=asked.channel,
                channel=await asked.directory.channel_name(asked.client, asked.team, asked.channel),
                number=number,
                field=field,
                choice=choice,
                people=people_now(asked.client),
            )
            await show(reply, sentence_blocks.notice(outcome.sentence), outcome.sentence)
        case parsed.LinkUser(user, None):
            await _say(
                reply,
                await link_requests.link_self(rt, asked.client, team=asked.team, person=person, issuetrak_user=user),
            )
        case parsed.LinkUser(user, str(someone)):
            await _say(
                reply,
                await link_requests.link_other(
                    rt, asked.client, team=asked.team, admin=asked.user, person=someone, issuetrak_user=user
                ),
            )
        case parsed.Unlink(someone):
            await _say(reply, await identity.unlink(rt, team=asked.team, actor=asked.user, person=someone))
        case parsed.DigestNow(scope):
            sentence = await digest_posting.post_now(
                rt,
                asked.client,
                team=asked.team,
                channel=asked.channel,
                user=asked.user,
                scope=scope,
                shown=digests.issues_shown(rt, reader),
            )
            await show(reply, sentence_blocks.notice(sentence), sentence)
        case parsed.DigestDaily(at, zone, scope):
            sentence = await digests.schedule(
                rt,
                team=asked.team,
                channel=asked.channel,
                user=asked.user,
                at=at,
                zone=zone or person.tz or "UTC",
                scope=scope,
            )
            await show(reply, sentence_blocks.notice(sentence), sentence)
        case parsed.DigestOff():
            sentence = await digests.unschedule(rt, team=asked.team, channel=asked.channel, user=asked.user)
            await show(reply, sentence_blocks.notice(sentence), sentence)
        case parsed.DigestList():
            sentence = await digests.describe(rt, team=asked.team, channel=asked.channel, user=asked.user)
            await show(reply, sentence_blocks.notice(sentence), sentence)
        case parsed.Watch(kind, ref):
            await _say(
                reply,
                await watches.watch(rt, team=asked.team, channel=asked.channel, person=person, kind=kind, ref=ref),
            )
        case parsed.Unwatch(kind, ref):
            await _say(
                reply,
                await watches.unwatch(rt, team=asked.team, channel=asked.channel, user=asked.user, kind=kind, ref=ref),
            )
        case parsed.Watching():
            await _say(reply, await watches.listing(rt, team=asked.team, channel=asked.channel, user=asked.user))
        case parsed.Subscribe(project, filters, events, production):
            if not await triage_posting.bot_in_channel(asked.client, asked.channel):
                await _say(reply, messages.SUBSCRIBE_NOT_IN_CHANNEL)
                return
            team, channel = asked.team, asked.channel
            if production is not None:
                sentence = await kitsu_subscriptions.subscribe(
                    rt, team=team, channel=channel, person=person, ref=production, filters=filters,
                    cap=triage.MAX_SUBSCRIPTIONS,
                )  # fmt: skip
            else:
                sentence = await triage.subscribe(
                    rt, team=team, channel=channel, person=person, project=project, filters=filters, events=events
                )
            await _say(reply, sentence)
        case parsed.Subscriptions():
            head, entries = await triage.listing(rt, team=asked.team, channel=asked.channel)
            await show(reply, triage_view.subscriptions(head, entries), head)
        case parsed.Unsubscribe(position):
            await _say(reply, await triage.unsubscribe(rt, team=asked.team, channel=asked.channel, position=position))
        case parsed.Notify(None):
            home = app_links.home_tab(asked.team, asked.app)
            await _say(reply, await notify.shown(rt, team=asked.team, person=person, home=home))
        case parsed.Notify(str(quiet)):
            await _say(reply, await notify.quiet_hours(rt, team=asked.team, user=asked.user, text=quiet))
        case parsed.SearchIssues() | parsed.MyIssues():  # under the read rule, checked by the search itself
            await show_found(rt, reply, team=asked.team, person=person, command=cmd)


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
        await show(asked.reply, cards.message(f"{sentence} {failures}".strip()), sentence)


async def show_assets(rt: Runtime, reply: Reply, query: str, start_at: int, kitsu_start: int | None = 0) -> None:
    """An asset card, or a paged list when many match (also used by the "More" button, which
    carries where Kitsu's section goes on: None when it was shown in full)."""
    result = await lookup.find_assets(rt, query, start_at=start_at, unpaged=kitsu_start is not None)
    failures = " ".join(result.failures.values())
    if result.single is not None:
        await show(reply, cards.asset_card(result.single), f"{result.single.key or result.single.name}")
    elif result.empty:
        sentence = f"{messages.NO_ASSET.format(query=query)} {failures}".strip()
        await show(reply, cards.message(sentence), sentence)
    else:
        page = result.page or AssetPage(assets=[], start_at=0, total=0)
        listed = cards.asset_list(page, query, result.unpaged, kitsu_start or 0, page_size=lookup.ASSET_PAGE_SIZE)
        await show(reply, listed, f"Assets matching {query}")
