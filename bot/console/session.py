"""The console's prompt loop: each line becomes a Slack-shaped payload dispatched into the one
Bolt app, and everything the app then posted to the Slack stand-in is rendered as text.

Modals the app opens are walked through field by field and submitted back as Slack would
submit them; buttons on the last card can be clicked. A line that fails is reported in one
sentence and the loop goes on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import messages
from bot.console import render
from bot.console.demo_trackers import ConsoleSetup
from bot.console.forms import INITIAL, Form, GaveUp, state_values
from bot.console.terminal import Cancelled, Output, Reader
from bot.demo import slack_payloads
from bot.demo.slack import TEAM_ID, Call, SlackState, SlackUser
from bot.posting import watch_posting
from bot.posting.digest_delivery import Pacer
from bot.runtime import Runtime
from bot.services import identity, steps, unfurls
from bot.slack.directory import SlackPerson
from bot.trackers.errors import TrackerError
from bot.trackers.models import PageKind, TrackerName
from bot.views import ids, modals

log = logging.getLogger(__name__)

SETTLE_SECONDS = 60.0  # the longest the console waits for the bot's background work on one line
DEFAULT_PERSON = ("you", "alice@example.com")  # Alice maps to the demo Issuetrak user amartin
DEFAULT_CHANNEL = ("C0GENERAL", "general")
_MODAL_METHODS = ("views.open", "views.update", "views.push")
_SHOWN_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.unfurl",
        "response_url",
        "views.publish",
        *_MODAL_METHODS,
    }
)
BOT_NAMES = ("@trackerbot", "@bot", "trackerbot")  # `:in @trackerbot`: the person's DM with the bot
DM_CHANNEL_NAME = "directmessage"  # what Slack calls any DM in a slash command's `channel_name`

HELP = """\
Type what you would type in Slack, for example:
  /tracker projects                 /tracker project 1        /tracker issue 1001
  /tracker asset laptop             /tracker note 1001 printer fixed
A message with a tracker's link unfurls into its card, for example:
  see http://issuetrak.demo/helpdesk/Issue_View.asp?ID=1001
Console commands:
  :as <name> [email]                act as another person (created if new)
  :as guest [name]                  act as a Slack guest (a multi-channel guest account)
  :in <#channel>                    talk in another channel (created if new)
  :in @trackerbot                   talk in your direct messages with the bot
  :home                             open the bot's Home tab (then :click its buttons and pickers,
                                    e.g. :click From 22:00, :click To 07:00, :click No quiet hours)
  :shortcut <callback_id> <text>    post <text> here (\\n for a new line), then run a
                                    message shortcut on it (add_issuetrak_note, create_issuetrak_issue)
  :click <button>                   click a button on the last card, e.g. :click More
  :click <menu> <choice>            choose in a menu of the last card: :click Priority Urgent,
                                    :click Assign… Bao Nguyen, :click Target date 2027-01-15
  :digest                           this channel's digest, now
  :tick                             run one watch round now (/tracker watch issue 1001 first):
                                    watches, subscriptions and the DMs people would get
  :step <callback_id> name=value …  run a Workflow Builder step as you, e.g. :step
                                    create_issuetrak_issue subject="Printer jam" priority=High
  :json                             show or hide the raw Block Kit JSON
  :help  :quit                      this text; leave (Ctrl-D too)
In a modal, Enter keeps the value in [brackets]; Ctrl-C closes it. Lines starting with # are
comments (for scripts piped in)."""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())[:9] or "X"


@dataclass
class Shown:
    """A message the console rendered that has buttons, so `:click` can find them."""

    ts: str
    text: str
    blocks: list[dict[str, Any]]
    ephemeral: bool
    home: dict[str, Any] | None = None  # the Home tab's view, when this is the Home tab
    picked: dict[str, dict[str, Any]] = field(default_factory=dict)  # the Home tab's picks since, by action id


class LineFailed(Exception):
    """A line the console cannot carry out; the message is said to the person as is."""


class Session:
    def __init__(
        self,
        *,
        app: AsyncApp,
        runtime: Runtime,
        setup: ConsoleSetup,
        slack: SlackState,
        slack_url: str,
        reader: Reader,
        out: Output,
        log_path: Path,
        database: Path | None = None,
    ) -> None:
        self.app, self.runtime, self.setup, self.slack = app, runtime, setup, slack
        self.slack_url = slack_url.rstrip("/")
        self.reader, self.out, self.log_path = reader, out, log_path
        self.database = database  # the console's own store, emptied at each start (None: DATABASE_URL's)
        self.show_json = False
        self.last: Shown | None = None
        self.pending_modal: dict[str, Any] | None = None
        self._seen = len(slack.calls)
        self._hooks = itertools.count(1)
        self.user = self.become(*DEFAULT_PERSON)
        slack.channels.setdefault(*DEFAULT_CHANNEL)
        self.channel = DEFAULT_CHANNEL[0]
        self._meta: dict[str, Callable[[str], Awaitable[None]]] = {
            "as": self._as,
            "in": self._in,
            "shortcut": self._shortcut,
            "click": self._click,
            "digest": self._digest,
            "tick": self._tick,
            "step": self._step,
            "home": self._home,
            "json": self._json,
            "help": self._help,
        }

    # --- people and places ---------------------------------------------------------------------
    @property
    def person(self) -> str:
        return self.slack.users[self.user].name

    @property
    def channel_name(self) -> str:
        return DM_CHANNEL_NAME if self.in_dm else self.slack.channels[self.channel]

    @property
    def in_dm(self) -> bool:
        return self.channel.startswith("D")

    def _dm_channel(self) -> str:
        """The person's DM with the bot, as the stand-in's `conversations.open` names it."""
        return "D" + self.user[1:]

    def become(self, name: str, email: str | None = None) -> str:
        """Switch to the person `name` stands for (see `find_person`), creating them when nobody
        is (with `email`, or first.last@example.com); a given `email` becomes theirs."""
        found = self.find_person(name)
        if found is None:
            user_id = "U0" + _slug(name)
            while user_id in self.slack.users:
                user_id += "X"
            address = email or ".".join(name.lower().split()) + "@example.com"
            found = self.slack.add_user(user_id, name, address)
        elif email:
            found.email = email
        return found.id

    def find_person(self, name: str) -> SlackUser | None:
        """The person called `name` (any case), else the one whose email is `name` or starts
        with `name@`/`name.`, or whose first name is `name`; LineFailed when several are."""
        wanted = " ".join(name.lower().split())
        people = list(self.slack.users.values())
        exact = [u for u in people if wanted in (u.name.lower(), (u.email or "").lower())]
        if exact:
            return exact[0]
        like = [
            u
            for u in people
            if (u.email or "").lower().startswith((f"{wanted}@", f"{wanted}."))
            or u.name.lower().split()[:1] == [wanted]
        ]
        if len(like) > 1:
            names = ", ".join(f"{u.name} ({u.email})" for u in like)
            raise LineFailed(f"“{name}” could be {names}; say the full name or the email.")
        return like[0] if like else None

    def who(self) -> slack_payloads.Who:
        hook = f"{self.slack_url}/response/h{next(self._hooks)}"
        return slack_payloads.Who(TEAM_ID, self.user, self.person, self.channel, self.channel_name, hook)

    def _slack_text(self, typed: str) -> str:
        return slack_payloads.slack_text(
            typed, {" ".join(u.name.lower().split()): u.id for u in self.slack.users.values()}
        )

    def name_of(self, user_id: str) -> str | None:
        user = self.slack.users.get(user_id)
        return user.name if user else None

    # --- the loop ------------------------------------------------------------------------------
    def banner(self) -> None:
        """Which trackers are demo and which real, and who the person is."""
        style = self.out.style
        demo = ", ".join(name.label for name in self.setup.demos) or "none"
        real = ", ".join(f"{name.label} ({self.setup.host(name)}{self._source(name)})" for name in self.setup.real)
        real = real or "none"
        self.out.line(
            style.bold("trackerbot console") + ": type what you would type in Slack (/tracker help); "
            ":help for the console's commands, :quit to leave."
        )
        self.out.line(style.dim(f"Demo trackers (built-in data): {demo}. Real trackers: {real}."))
        if self.database is not None:
            self.out.line(
                style.dim(f"Links and digests live in {self.database}, emptied at each start like the demo data.")
            )
        user = self.slack.users[self.user]
        self.out.line(style.dim(f"You are {user.name} ({user.email}) in {self._place()}."))

    def _source(self, name: TrackerName) -> str:
        """ ", from .env" when the setting that turned the tracker `name` on came from .env."""
        return ", from .env" if self.setup.from_dotenv(name) else ""

    @property
    def prompt(self) -> str:
        return f"{self.person} in {self._place()}> "

    def _place(self) -> str:
        return "a DM with trackerbot" if self.in_dm else f"#{self.channel_name}"

    async def run(self) -> int:
        """Read and carry out lines until `:quit` or the end of input; 0 when left normally."""
        while True:
            try:
                line = self.reader.read(self.prompt)
            except Cancelled:
                continue
            if line is None:
                return 0
            if not await self.handle(line):
                return 0

    async def handle(self, line: str) -> bool:
        """Carry out one line; False when the person asked to leave."""
        outcome = await self._handle(line)
        while isinstance(outcome, str):  # the command a script gave a form that had refused a value
            self.out.line("└ The form was not sent (a value was refused, and the script's next line is a command).")
            outcome = await self._handle(outcome)
        return outcome

    async def _handle(self, line: str) -> bool | str:
        """Carry out one line: False when the person asked to leave, the line a form gave up on
        (a script's command, to carry out next), else True."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in (":quit", ":exit", ":q"):
            return False
        try:
            await self._line(line)
            while self.pending_modal is not None:
                view, self.pending_modal = self.pending_modal, None
                await self._fill(view)
        except GaveUp as exc:
            return exc.line
        except LineFailed as exc:
            self.out.line(str(exc))
        except Cancelled:
            self.out.line("Cancelled.")
        except Exception as exc:  # one sentence to the person, the details to the log
            log.exception("console line failed: %s", line)
            self.out.line(f"That did not work ({type(exc).__name__}); the details are in {self.log_path}.")
        finally:
            self.pending_modal = None  # a modal left open by a failed line is not walked later
        return True

    async def _line(self, line: str) -> None:
        if line.startswith(":"):
            name, _, rest = line[1:].partition(" ")
            meta = self._meta.get(name.lower())
            if meta is None:
                raise LineFailed(f"There is no console command :{name}; :help lists them.")
            await meta(rest.strip())
        elif line.startswith("/"):
            await self._slash(line)
        elif slack_payloads.links_in(line):
            await self._paste(line)
        else:
            raise LineFailed("Type what you would type in Slack, e.g. /tracker projects (:help for more).")

    # --- meta-commands -------------------------------------------------------------------------
    async def _as(self, rest: str) -> None:
        words = rest.split()
        email = words.pop() if len(words) > 1 and "@" in words[-1] else None
        guest = bool(words) and words[0].lower() == "guest"
        if guest:
            words = words[1:] or ["Guest"]
        if not words:
            raise LineFailed("Say who to act as, e.g. :as bob, :as Bob Smith (or :as bob bob@example.com).")
        was_in_dm = self.in_dm
        self.user = self.become(" ".join(words), email)
        user = self.slack.users[self.user]
        if guest:
            user.is_restricted = True  # what users.info says of a multi-channel guest
        if was_in_dm:
            self.channel = self._dm_channel()  # a DM is the person's own: the new person's DM with the bot
        kind = ", a Slack guest" if user.is_restricted or user.is_ultra_restricted else ""
        self.out.line(f"You are now {user.name} ({user.email}){kind}.")

    async def _in(self, rest: str) -> None:
        if rest.strip().lower() in BOT_NAMES:
            self.channel = self._dm_channel()
            self.out.line("You are now in your direct messages with trackerbot.")
            return
        name = rest.lstrip("#").strip().lower()
        if not name:
            raise LineFailed("Say which channel, e.g. :in #design.")
        found = next((cid for cid, cname in self.slack.channels.items() if cname == name), None)
        if found is None:
            found = "C0" + _slug(name)
            while found in self.slack.channels:
                found += "X"
            self.slack.channels[found] = name
        self.channel = found
        self.out.line(f"You are now in #{name}.")

    async def _shortcut(self, rest: str) -> None:
        callback_id, _, text = rest.partition(" ")
        if not callback_id or not text.strip():
            raise LineFailed(
                f"Say which shortcut and the message, e.g. :shortcut {ids.SHORTCUT_ADD_NOTE} printer fixed."
            )
        typed = text.strip().replace("\\n", "\n")  # "\n" starts a new line of the message
        message = {"type": "message", "ts": self.slack.next_ts(), "text": self._slack_text(typed), "user": self.user}
        self.out.line(f"{self.person} in {self._place()}: {typed}")
        await self.dispatch(
            slack_payloads.message_shortcut(self.who(), callback_id, message),
            unhandled=f"trackerbot has no message shortcut {callback_id}.",
        )

    async def _click(self, rest: str) -> None:
        if self.last is None:
            raise LineFailed("There is no card with buttons yet.")
        found = render.buttons(self.last.blocks)
        wanted = rest.strip().strip("[]").lower()
        button = next((b for b in found if render.element_label(b).lower() == wanted), None)
        if button is None:
            button = self._chosen(render.menus(self.last.blocks), rest.strip())
        if button is None:
            labels = " ".join(f"[{render.element_label(b)}]" for b in found)
            menus = " ".join(f"[{render.menu_name(m)} <choice>]" for m in render.menus(self.last.blocks))
            raise LineFailed(f"The last card has no button “{rest.strip()}”; it has {labels} {menus}".strip() + ".")
        if button.get("url"):
            self.out.line(f"Opens {button['url']}")
            return
        if self.last.home is not None:
            await self._on_home(self.last, button)
            return
        message = {"type": "message", "ts": self.last.ts, "text": self.last.text, "blocks": self.last.blocks}
        await self.dispatch(
            slack_payloads.block_action(self.who(), button, message, ephemeral=self.last.ephemeral),
            unhandled="trackerbot does not handle that button.",
        )

    def _chosen(self, menus: list[dict[str, Any]], typed: str) -> dict[str, Any] | None:
        """A menu of the card with a choice made: `Priority Urgent`, `Assign… Bao Nguyen`,
        `Target date 2027-01-15` (the menu by its name, then an option, a person or a date)."""
        for menu in menus:
            name = render.menu_name(menu)
            if not typed.lower().startswith(name.lower() + " "):
                continue
            choice = typed[len(name) :].strip()
            kind = menu.get("type")
            if kind == "users_select":
                person = self.find_person(choice)
                if person is None:
                    raise LineFailed(f"Nobody here is called “{choice}”.")
                return {**menu, "selected_user": person.id}
            if kind == "datepicker":
                return {**menu, "selected_date": choice}
            if kind == "timepicker":
                return {**menu, "selected_time": choice}
            options = list(menu.get("options") or [])
            option = next((o for o in options if render.text_of(o.get("text")).lower() == choice.lower()), None)
            if option is None:
                names = ", ".join(render.text_of(o.get("text")) for o in options)
                raise LineFailed(f"{name} has no “{choice}”; it has {names}.")
            return {**menu, "selected_option": option}
        return None

    async def _on_home(self, home: Shown, element: dict[str, Any]) -> None:
        """A click or a pick on the Home tab: Slack sends the tab's view with what its pickers show
        now (as published, or as picked since)."""
        if element.get("type") == "timepicker":
            home.picked[str(element.get("action_id"))] = {
                "type": "timepicker",
                "selected_time": element.get("selected_time"),
            }
        values: dict[str, dict[str, Any]] = {}
        for menu in render.menus(home.blocks):
            if menu.get("type") == "timepicker":
                action_id = str(menu.get("action_id"))
                shown = {"type": "timepicker", "selected_time": menu.get("initial_time")}
                values.setdefault(menu["_block_id"], {})[action_id] = home.picked.get(action_id, shown)
        await self.dispatch(
            slack_payloads.home_action(self.who(), element, home.home or {}, values),
            unhandled="trackerbot does not handle that on its Home tab.",
            show_ack=False,
        )

    async def _paste(self, typed: str) -> None:
        """A message with links, posted here: Slack tells the app of the links (`link_shared`),
        and the cards it unfurls them into show under the message."""
        ts = self.slack.next_ts()
        self.out.line(f"{self.person} in {self._place()}: {typed}")
        before = len(self.slack.of("chat.unfurl"))
        await self.dispatch(
            slack_payloads.link_shared(self.who(), ts, slack_payloads.links_in(typed)),
            unhandled="trackerbot does not unfurl links.",
            show_ack=False,
        )
        if len(self.slack.of("chat.unfurl")) == before:
            reason = await self._why_no_card(slack_payloads.links_in(typed))
            self.out.line(self.out.style.dim(f"(no card: {reason})"))

    async def _why_no_card(self, urls: list[str]) -> str:
        """Why the bot unfurled none of `urls`, asked of the same rules and trackers it used: no tracker's
        page among them, the person may not read it (no identity, a guest), or the tracker's own answer
        (no such item, not answering)."""
        pages = unfurls.pages_in(self.runtime, urls)
        if not pages:
            return "none of these links is a page of a tracker set up here"
        user = self.slack.users[self.user]
        person = SlackPerson(
            user.id, user.name, user.email, user.tz, guest=user.is_restricted or user.is_ultra_restricted
        )
        if identity.shut_out(self.runtime, person) or any(page.kind is PageKind.ISSUE for _, page in pages):
            refusal = await identity.read_refusal(self.runtime, TEAM_ID, person)
            if refusal is not None:
                return f"{self.person} may not read it. {render.mrkdwn(refusal, self.name_of)}"
        for source, page in pages:
            try:
                await source.read_page(page)
            except TrackerError as exc:
                return str(exc)
        return f"the tracker did not answer in time; see {self.log_path}"

    async def _digest(self, _rest: str) -> None:
        await self._slash("/tracker digest now")

    async def _tick(self, _rest: str) -> None:
        """One watch round, as the watch poller runs it every WATCH_POLL_SECONDS; shows what it posted."""
        done = await watch_posting.run_round(self.runtime, self.app.client, pacer=Pacer(0))
        self._show_calls()
        said = f"{done.posted} news posted" if done.posted else "nothing new to post"
        gone = f", {done.gone} gone" if done.gone else ""
        gone += f", {done.paused} paused (their owner may no longer read)" if done.paused else ""
        items = f"{done.items} item{'' if done.items == 1 else 's'}"
        self.out.line(self.out.style.dim(f"Watch round: {items} checked{gone}, {said} ({done.seconds:.1f} s)."))

    async def _home(self, _rest: str) -> None:
        """The person opens the bot's Home tab: Slack sends `app_home_opened`, the bot publishes the view."""
        event = {"type": "app_home_opened", "user": self.user, "channel": self._dm_channel(), "tab": "home"}
        await self.dispatch(
            slack_payloads.event_callback(self.who(), event), unhandled="trackerbot has no Home tab.", show_ack=False
        )

    async def _step(self, rest: str) -> None:
        """A workflow runs a step with `name=value` inputs, as the current person (a user context,
        as Slack fills it); the step's outputs or its fail message are shown."""
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise LineFailed(f"That line does not split into inputs ({exc}).") from None
        if not words or any("=" not in word for word in words[1:]):
            raise LineFailed(f"Say which step and its inputs, e.g. :step {_STEP_EXAMPLE}.")
        callback_id = words[0]
        inputs: dict[str, Any] = {k: _step_value(v) for k, v in (w.split("=", 1) for w in words[1:])}
        inputs[steps.PERSON] = slack_payloads.user_context(self.user)
        parameters = [
            {"name": name, "type": steps.PERSON_TYPE if name == steps.PERSON else "string"} for name in inputs
        ]
        before = len(self.slack.calls)
        body = slack_payloads.function_executed(self.who(), callback_id, inputs, parameters=parameters)
        await self.dispatch(body, unhandled=f"trackerbot has no step {callback_id}.", show_ack=False)
        for call in self.slack.calls[before:]:
            if call.method == "functions.completeSuccess":
                outputs = call.args.get("outputs") or {}
                self.out.line(f"Step {callback_id} completed:")
                for name, value in outputs.items():
                    self.out.line(f"  {name} = {value}")
            elif call.method == "functions.completeError":
                self.out.line(f"Step {callback_id} failed: {call.args.get('error')}")

    async def _json(self, _rest: str) -> None:
        self.show_json = not self.show_json
        self.out.line(f"Raw Block Kit JSON is {'on' if self.show_json else 'off'}.")

    async def _help(self, _rest: str) -> None:
        self.out.line(HELP)

    async def _slash(self, line: str) -> None:
        command, _, text = line.partition(" ")
        await self.dispatch(
            slack_payloads.slash_command(self.who(), command, self._slack_text(text.strip())),
            unhandled=f"trackerbot has no {command} command; try /tracker help.",
        )

    # --- dispatching and rendering -------------------------------------------------------------
    async def dispatch(self, body: dict[str, Any], *, unhandled: str, show_ack: bool = True) -> dict[str, Any]:
        """Dispatch `body` into the app, wait for the work it started, render what it posted;
        returns the acknowledgement's body."""
        before = asyncio.all_tasks()
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
        if response.status == 404:
            raise LineFailed(unhandled)
        ack = _json_body(response.body)
        if response.status >= 400:
            log.warning("the app answered %s: %s", response.status, response.body)
            raise LineFailed("trackerbot refused that request; the details are in the log.")
        acked = show_ack and bool(ack.get("text") or ack.get("blocks"))
        if acked:
            self._message("trackerbot (only you)", ack.get("text"), ack.get("blocks"), ephemeral=True)
        await self._settle(before)
        if not self._show_calls() and show_ack and not acked:
            self.out.line(
                self.out.style.dim(f"(trackerbot posted nothing; if that is a surprise, see {self.log_path})")
            )
        return ack

    async def _settle(self, before: set[asyncio.Task[Any]]) -> None:
        """Wait for the listener code Bolt runs after the ack (tasks Bolt starts itself), then
        for the background work the app spawned (`runtime.drain()`)."""
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while (left := deadline - loop.time()) > 0:
            pending = {t for t in asyncio.all_tasks() if t not in before and t is not current and not t.done()}
            if pending:
                await asyncio.wait(pending, timeout=left)
            elif self.runtime.tasks:
                await self.runtime.drain(timeout=left)
            else:
                return

    def _show_calls(self) -> int:
        """Render what the app posted since last time; returns how many posts that was."""
        calls = self.slack.calls[self._seen :]
        self._seen += len(calls)
        shown = [c for c in calls if c.method in _SHOWN_METHODS]
        for call in shown:
            self._show_call(call)
        return len(shown)

    def _show_call(self, call: Call) -> None:
        args = call.args
        if call.method in ("chat.postMessage", "chat.update"):
            heading = self._where(str(args.get("channel", "")), args.get("thread_ts"))
            if call.method == "chat.update":
                heading += " (edited)"
            self._message(heading, args.get("text"), args.get("blocks"), ephemeral=False)
        elif call.method == "chat.postEphemeral":
            self._message("trackerbot (only you)", args.get("text"), args.get("blocks"), ephemeral=True)
        elif call.method == "chat.unfurl":
            for url, card in (args.get("unfurls") or {}).items():
                blocks = card.get("blocks") if isinstance(card, dict) else None
                self._message(f"trackerbot unfurled {url}", None, blocks, ephemeral=False, ts=args.get("ts"))
        elif call.method == "response_url":
            if args.get("delete_original"):
                self.out.line(self.out.style.dim("(trackerbot removed its earlier answer)"))
            if args.get("text") or args.get("blocks"):
                ephemeral = args.get("response_type") != "in_channel"
                heading = "trackerbot (only you)" if ephemeral else self._where(self.channel, None)
                self._message(heading, args.get("text"), args.get("blocks"), ephemeral=ephemeral)
        elif call.method in _MODAL_METHODS:
            self._modal(args.get("view") or {}, args.get("view_id"))
        elif call.method == "views.publish":
            self._show_home(args)

    def _show_home(self, args: dict[str, Any]) -> None:
        """A published Home tab; the person's own becomes what `:click` clicks."""
        view = args.get("view") or {}
        blocks = view.get("blocks") or []
        self.out.line(self.out.style.dim(f"trackerbot Home tab ({self.name_of(str(args.get('user_id')))}):"))
        self.out.lines(render.message_lines(None, blocks, self.out.style, self.name_of))
        if self.show_json:
            self.out.json(view)
        if args.get("user_id") == self.user and (render.buttons(blocks) or render.menus(blocks)):
            home = {**view, "id": f"VHOME{self.user}"}  # the id the stand-in gives it
            self.last = Shown(self.slack.next_ts(), "", blocks, ephemeral=False, home=home)

    def _where(self, channel: str, thread_ts: object) -> str:
        if channel in self.slack.channels:
            heading = f"trackerbot in #{self.slack.channels[channel]}"
            return heading + " (in thread)" if thread_ts else heading
        dm_of = "U" + channel[1:] if channel.startswith("D") else channel  # the stand-in's DM ids
        person = self.name_of(channel) or self.name_of(dm_of) or channel
        return f"trackerbot → {person} (direct message)"

    def _message(self, heading: str, text: object, blocks: object, *, ephemeral: bool, ts: object = None) -> None:
        """Render a message; one with buttons becomes the card `:click` clicks (`ts`: the
        message it is under, for an unfurl)."""
        shown_blocks = blocks if isinstance(blocks, list) else []
        style = self.out.style
        self.out.line(style.dim(heading + ":"))
        self.out.lines(render.message_lines(str(text or ""), shown_blocks, style, self.name_of))
        if self.show_json and shown_blocks:
            self.out.json(shown_blocks)
        if render.buttons(shown_blocks):
            self.last = Shown(
                ts if isinstance(ts, str) else self.slack.next_ts(), str(text or ""), shown_blocks, ephemeral
            )

    def _modal(self, view: Mapping[str, Any], view_id: object) -> None:
        self.out.lines(render.modal_lines(view, self.out.style), indent="")
        if self.show_json:
            self.out.json(view)
        fields = render.inputs(view)
        if fields and view.get("submit"):
            self.pending_modal = {**view, "id": view_id or view.get("id") or "V0CONSOLE"}
        else:
            self.pending_modal = None
            if fields:
                self.out.line("│ (this modal cannot be submitted)")
            self.out.line("└")

    # --- modals --------------------------------------------------------------------------------
    async def _fill(self, view: dict[str, Any]) -> None:
        """Ask for each input of `view`, submit it, and follow what the app answers: errors
        (ask those fields again), an updated or pushed modal, or done."""
        form = Form(self.reader, self.out, FIELD_CHECKS)
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        while True:
            for block in render.inputs(view):
                block_id = str(block.get("block_id"))
                if errors and block_id not in errors:
                    continue
                if block_id in errors:
                    form.refused(f"! {errors[block_id]}")
                asked = block
                if (block.get("element") or {}).get("type") == "external_select":
                    asked = await self._with_options(view, block, answers)
                answers[block_id] = form.ask(asked, answers.get(block_id, INITIAL))
            self.out.line("└ " + render.text_of(view.get("submit")))
            ack = await self.dispatch(
                slack_payloads.view_submission(self.who(), view, state_values(view, answers)),
                show_ack=False,
                unhandled="trackerbot does not handle this modal.",
            )
            action = ack.get("response_action")
            if action == "errors":
                errors = {str(k): str(v) for k, v in (ack.get("errors") or {}).items()}
                known = {str(b.get("block_id")) for b in render.inputs(view)}
                if not errors.keys() & known:
                    raise LineFailed("The modal was refused: " + " ".join(errors.values()))
                continue
            if action in ("update", "push") and isinstance(ack.get("view"), dict):
                self._modal(ack["view"], view.get("id"))
                if self.pending_modal is not None:
                    view, self.pending_modal = self.pending_modal, None
                    answers, errors = {}, {}
                    continue
            return

    async def _with_options(
        self, view: dict[str, Any], block: dict[str, Any], answers: dict[str, Any]
    ) -> dict[str, Any]:
        """An external select with the options the app offers for it, under the answers so far
        (the options request Slack sends when the person opens the menu)."""
        element = block["element"]
        payload = slack_payloads.block_suggestion(
            self.who(), view, state_values(view, answers), str(block.get("block_id")), str(element.get("action_id")), ""
        )
        ack = await self.dispatch(payload, show_ack=False, unhandled="trackerbot offers no options for this menu.")
        offered = ack.get("options") if isinstance(ack.get("options"), list) else []
        return {**block, "element": {**element, "options": offered}}


_STEP_EXAMPLE = 'create_issuetrak_issue subject="Printer jam" priority=High'


def _step_value(typed: str) -> Any:
    """A typed input as a workflow would pass it: true/false as a boolean, digits as a number."""
    if typed.lower() in ("true", "false"):
        return typed.lower() == "true"
    return int(typed) if typed.isascii() and typed.isdigit() and len(typed) < 10 else typed


def _issue_number_refusal(typed: str) -> str | None:
    """The note modal's issue number, read by the app's own parser of its submission: what the app would
    answer at submit, said as it is typed (so a script's next line is not taken for the note)."""
    state = {ids.NOTE_ISSUE[0]: {ids.NOTE_ISSUE[1]: {"type": "plain_text_input", "value": typed}}}
    return messages.ISSUE_NUMBER_NEEDED if modals.parse_note_submission(state).issue_number is None else None


FIELD_CHECKS = {ids.NOTE_ISSUE: _issue_number_refusal}


def _json_body(body: str) -> dict[str, Any]:
    if not body:
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        return {"text": body}
    return value if isinstance(value, dict) else {}
