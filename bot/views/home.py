"""The App Home tab: who trackerbot thinks you are in Issuetrak, which trackers are set up,
the digests of your workspace, and what you can type."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, PlainTextObject
from slack_sdk.models.views import View

from bot.store.records import Subscription
from bot.views.cards import help_blocks, list_section
from bot.views.text import escape

MAX_DIGEST_LINES = 20


def home_view(*, identity: str, trackers: Sequence[tuple[str, bool]], digests: Sequence[Subscription],
              examples: Sequence[tuple[str, str]]) -> View:
    """`identity` is a sentence already written for the person (bot.messages); `trackers` pairs
    each tracker's label with whether it is set up."""
    set_up = " · ".join(f"{'✅' if on else '▫️'} {escape(label)}" for label, on in trackers)
    digest_lines = [f"• <#{escape(s.channel_id)}> every day at {escape(s.time)} ({escape(s.timezone)})" for s in digests]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="trackerbot")),
        list_section(None, [identity], max_lines=1)[0],
        ContextBlock(elements=[MarkdownTextObject(text=set_up or "No tracker is set up yet.")]),
        DividerBlock(),
        list_section("*Daily digests*", digest_lines or ["None yet: `/tracker digest daily 09:00` in a channel."],
                     max_lines=MAX_DIGEST_LINES)[0],
        DividerBlock(),
        *help_blocks(examples),
    ]
    return View(type="home", blocks=blocks)
