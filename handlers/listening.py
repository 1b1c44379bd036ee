"""The one way to write a listener that acknowledges at once and does its work afterwards.

`@listener("what")` turns `async def work(heard: Heard) -> None` into the Bolt listener: it
acknowledges first (Slack allows 3 seconds), gathers what every listener needs into one typed
`Heard` (the runtime, the client, the people directory, how to answer, the body, the action and
who clicked where), and starts the work with `Runtime.spawn` under the name `what`. The work runs
inside `guarded`, whose answer (one sentence for a `PersonFacingError`, a timeout, a cancellation
or anything unexpected) goes to the person through the response URL: in place of the message
clicked, or `beside=True` to the clicker alone, leaving the message as it is. Work that answers no
response URL (a modal, the Home tab, an unfurl) says `answers=False`; its failure is logged by
`Runtime.spawn`. The guest refusal is `Heard.refuses_guest`, one call at the point the work asks it.

Why a decorator and not Bolt's lazy listeners (`lazy=[...]`): AsyncApp runs a lazy function with
its own `asyncio.ensure_future` (`AsyncioLazyListenerRunner`) on a copy of the request, outside
`Runtime.spawn`. That work would escape `Runtime.drain`, which shutdown, the tests and the
console rely on to wait for (and cancel, with an answer) what is still running, and each lazy
function would still have to wrap itself in `guarded`. Under `process_before_response=True` (the
app's setting, over our HTTP server and Socket Mode alike) Bolt would also hold the response
until the ack function returns, which gains nothing over acknowledging here first.

Listeners whose acknowledgement depends on the request (a modal's submission answered with its
errors, a typeahead's options, `/tracker`'s help in the acknowledgement itself) acknowledge by
hand and are not written this way."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.runtime import Runtime
from bot.services import identity
from bot.slack.directory import Directory, SlackPerson
from handlers.context import directory_of, runtime_of
from handlers.payload import body_id
from handlers.replies import Reply, guarded, say

log = logging.getLogger(__name__)

Work = Callable[["Heard"], Coroutine[Any, Any, None]]
Listener = Callable[..., Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Heard:
    """One request a listener heard, and how to answer it."""

    rt: Runtime
    client: AsyncWebClient
    directory: Directory
    respond: Reply  # Bolt's response URL: a reply here replaces the message clicked
    reply: Reply  # where `guarded` answers: `respond`, or beside the message to the clicker alone
    body: dict[str, Any]
    action: dict[str, Any]  # the action clicked; {} for anything else
    team: str
    user: str  # who clicked or used the shortcut; "" for an event (its own payload names them)

    @property
    def value(self) -> str:
        """The value the clicked button or menu carries ("" when none)."""
        return str(self.action.get("value") or "")

    @property
    def channel(self) -> str:
        """The channel of the message clicked ("" when the body names none)."""
        container = self.body.get("container")
        found = container.get("channel_id") if isinstance(container, dict) else None
        return body_id(self.body, "channel") or (found if isinstance(found, str) else "")

    async def person(self) -> SlackPerson:
        """Who clicked (SlackBusy when Slack cannot say just now)."""
        return await self.directory.person(self.client, self.team, self.user)

    async def refuses_guest(self, person: SlackPerson | None = None) -> bool:
        """When guests may not use the bot, a guest's request is answered with the refusal, like
        their commands (a card's buttons could be replayed by anyone); True when it was."""
        if not identity.shut_out(self.rt, person or await self.person()):
            return False
        await say(self.reply, messages.GUEST_REFUSED)
        return True


def aside(respond: Reply) -> Reply:
    """Answer the clicker alone, leaving the message clicked as it is."""

    async def reply(**answer: Any) -> None:
        await respond(**{**answer, "replace_original": False, "response_type": "ephemeral"})

    return reply


def listener(what: str, *, beside: bool = False, answers: bool = True) -> Callable[[Work], Listener]:
    """Make `work` a listener that acknowledges, then runs `work(heard)` as a task named `what`:
    guarded (its failure told through `Heard.reply`) unless `answers=False`."""

    def decorate(work: Work) -> Listener:
        async def listen(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any] | None,
            respond: AsyncRespond | None,
            client: AsyncWebClient,
            context: AsyncBoltContext,
        ) -> None:
            await ack()
            rt = runtime_of(context)
            to_message: Reply = respond if respond is not None else _nowhere(what)
            heard = Heard(
                rt=rt,
                client=client,
                directory=directory_of(context),
                respond=to_message,
                reply=aside(to_message) if beside else to_message,
                body=body,
                action=action if isinstance(action, dict) else {},
                team=body_id(body, "team") or _text(body.get("team_id")),
                user=body_id(body, "user"),
            )
            rt.spawn(guarded(heard.reply, work(heard), what=what) if answers else work(heard), name=what)

        listen.__name__, listen.__qualname__, listen.__doc__ = work.__name__, work.__qualname__, work.__doc__
        return listen

    return decorate


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _nowhere(what: str) -> Reply:
    """A request with no response URL (a body Slack would not send for this listener): its
    answer goes nowhere, said in the log."""

    async def reply(**answer: Any) -> None:
        log.warning("%s: no response URL to answer %r", what, answer.get("text"))

    return reply
