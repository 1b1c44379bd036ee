"""Channel watches and digests act with the rights of whoever set them (or last resumed them):
each round asks once per owner whether they may still read; when not, the watch or digest
pauses, its channel is told once, and anyone there who may read resumes it by running the same
command again. Signed requests into the real app; the rounds run on a process of their own."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.demo.slack import TEAM_ID, SlackState
from bot.posting.watch_posting import post_news
from bot.services import watches
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import Poller, tick
from tests.slack.harness import Chat
from tests.slack.test_watches import news

SECRET = "C0SECRET"  # Mallory's private channel: only her and the bot, then Alice joins


@pytest.fixture(autouse=True)
def people(slack_state: SlackState) -> None:
    slack_state.add_user("U0ADMIN", "Ada Admin", "ada@example.com")
    slack_state.add_user("U0MAL", "Mallory", "mallory@elsewhere.example")


def mallory_linked(chat: Chat) -> None:
    """An admin ties Mallory to cdubois; she then works in her private channel."""
    chat.runtime.settings.TRACKER_ADMINS = "U0ADMIN"
    chat.user, chat.channel = "U0ADMIN", "C0GENERAL"
    assert "now writes in Issuetrak as *cdubois*" in chat.send("/tracker link <@U0MAL|mallory> cdubois").text
    chat.user, chat.channel = "U0MAL", SECRET


def unlink_mallory(chat: Chat) -> None:
    user, channel = chat.user, chat.channel
    chat.user, chat.channel = "U0ADMIN", "C0GENERAL"
    assert "no longer writes as Issuetrak user *cdubois*" in chat.send("/tracker unlink <@U0MAL|mallory>").text
    chat.user, chat.channel = user, channel


def told_paused(chat: Chat, channel: str = SECRET) -> list[str]:
    return [
        m["text"]
        for m in chat.slack.of("chat.postMessage")
        if m["channel"] == channel and "may no longer read" in m["text"]
    ]


def lookups_of(chat: Chat, user: str) -> int:
    return sum(1 for args in chat.slack.of("users.info") if args.get("user") == user)


async def test_a_channel_watch_pauses_when_its_owner_is_unlinked_and_anyone_who_may_read_resumes_it(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    mallory_linked(chat)
    for typed in ("/tracker watch issue 1001", "/tracker watch issue 1002", "/tracker watch project moonrise"):
        assert "This channel will hear of changes" in chat.send(typed).text, typed
    await tick(poller)
    unlink_mallory(chat)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"

    before = lookups_of(chat, "U0MAL")
    done = await tick(poller)
    assert lookups_of(chat, "U0MAL") - before == 1  # one look-up for her three watches
    assert done.paused == 2 and done.posted == 0 and news(chat) == []  # the project needs no Issuetrak user
    [said] = told_paused(chat)
    assert "<@U0MAL>" in said and "`/tracker watch issue 1001`" in said and "`/tracker watch issue 1002`" in said
    assert (await tick(poller)).paused == 0 and len(told_paused(chat)) == 1  # told once

    listed = chat.send("/tracker watching").text
    assert "Issuetrak issue #1001 (Render node rn-07 drops off the farm overnight), set by <@U0MAL>, *paused*" in listed
    assert "Kitsu project Moonrise, set by <@U0MAL>" in listed and "Moonrise, set by <@U0MAL>, *paused*" not in listed
    assert "needs your Issuetrak user" in chat.send("/tracker watch issue 1001").text  # not Mallory herself

    chat.user = "U0ALICE"  # Alice joins the channel, and may read: she takes it over
    resumed = chat.send("/tracker watch issue 1001").text
    assert "Resumed this channel's watch of Issuetrak issue #1001" in resumed and "<@U0MAL>" in resumed
    assert "#1001 (Render node rn-07 drops off the farm overnight), set by <@U0ALICE>\n" in (
        chat.send("/tracker watching").text + "\n"
    )
    assert (await tick(poller)).posted == 1  # what changed while paused, now that someone may read it
    issuetrak_server.state.issues[1001]["Status"] = "Open"
    assert (await tick(poller)).posted == 1
    assert [m["channel"] for m in news(chat)] == [SECRET, SECRET]
    assert "Status: Closed → Open" in news(chat)[-1]["text"]


async def test_news_recorded_before_the_owner_lost_their_rights_is_not_posted(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    mallory_linked(chat)
    chat.send("/tracker watch issue 1001")
    rt, client = poller
    await watches.poll(rt)
    issuetrak_server.state.issues[1001]["Status"] = "Closed"
    assert (await watches.poll(rt)).changed == 1  # recorded while she still could read
    unlink_mallory(chat)
    assert await post_news(rt, client) == 0
    assert news(chat) == [] and await rt.store.pending_news() == 0  # settled unsaid, not kept for later
    [watch] = await rt.store.watches_at(TEAM_ID, SECRET)
    assert watch.paused_at is not None and len(told_paused(chat)) == 1


async def test_an_admins_watches_stay_while_they_stay_admin(
    chat: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    chat.runtime.settings.TRACKER_ADMINS = "U0ALICE"
    chat.channel = "C0OPS"
    chat.send("/tracker watch issue 1001")
    chat.slack.users["U0ALICE"].email = "alice@elsewhere.example"  # no Issuetrak user any more
    assert (await tick(poller)).paused == 0
    chat.runtime.settings.TRACKER_ADMINS = "U0ADMIN"
    assert (await tick(poller)).paused == 1 and len(told_paused(chat, "C0OPS")) == 1


async def test_a_watch_whose_owner_became_a_guest_pauses(chat: Chat, poller: Poller) -> None:
    chat.send("/tracker watch project moonrise")
    chat.slack.users["U0ALICE"].is_restricted = True
    assert (await tick(poller)).paused == 1


# --- digests ---------------------------------------------------------------------------------------


async def due(chat: Chat, poller: Poller, clock: list[datetime]) -> int:
    """Move to 09:30 UTC of the next day and run the digest poster once; how many it posted."""
    from bot.posting.digest_delivery import Pacer, post_due

    clock[0] = clock[0].replace(hour=9, minute=30) + timedelta(days=1)
    rt, client = poller
    return (await post_due(rt, client, pacer=Pacer(0))).posted


async def test_a_digest_pauses_when_its_owner_may_no_longer_read_and_is_resumed_by_setting_it_again(
    chat: Chat, poller: Poller, clock: list[datetime]
) -> None:
    clock[0] = clock[0].replace(hour=8, minute=0)
    mallory_linked(chat)
    assert "every day at 09:00 (UTC)" in chat.send("/tracker digest daily 09:00 UTC").text
    chat.channel = "C0KITSU"
    assert "for kitsu" in chat.send("/tracker digest daily 09:00 UTC kitsu").text
    chat.channel = SECRET
    unlink_mallory(chat)

    assert await due(chat, poller, clock) == 1  # only the Kitsu one: it shows no Issuetrak issue
    [said] = told_paused(chat)
    assert "<@U0MAL>" in said and "`/tracker digest daily 09:00 UTC`" in said
    assert [m["text"] for m in chat.slack.of("chat.postMessage") if m["channel"] == SECRET] == [said]  # no digest
    listed = chat.send("/tracker digest list").text
    assert "set up by <@U0MAL>) is *paused*" in listed
    assert await due(chat, poller, clock) == 1 and len(told_paused(chat)) == 1  # told once

    chat.user = "U0ALICE"
    assert "every day at 09:00 (UTC)" in chat.send("/tracker digest daily 09:00 UTC").text
    assert "set up by <@U0ALICE>." in chat.send("/tracker digest list").text
    assert await due(chat, poller, clock) == 2
