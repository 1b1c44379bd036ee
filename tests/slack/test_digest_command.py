"""`/tracker digest`, as a conversation: schedule, list, stop, and post the digest now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.slack import TEAM_ID
from tests.slack.harness import Chat, blocks_text


async def subscription(chat: Chat):
    return await chat.runtime.store.subscription(TEAM_ID, chat.channel)


def test_schedule_list_and_stop_a_daily_digest(chat: Chat) -> None:
    reply = chat.send("/tracker digest daily 09:00 Europe/Paris")
    assert "This channel will get its digest every day at 09:00 (Europe/Paris)." in reply.text
    assert not reply.of("chat.postMessage"), "scheduling posts nothing by itself"

    listed = chat.send("/tracker digest list")
    assert "every day at 09:00 (Europe/Paris), set up by <@U0ALICE>" in listed.text

    assert "This channel's daily digest is off." in chat.send("/tracker digest off").text
    assert "This channel has no daily digest." in chat.send("/tracker digest list").text
    assert "This channel has no daily digest to turn off." in chat.send("/tracker digest off").text


async def test_without_a_zone_the_persons_slack_time_zone_is_used(chat: Chat) -> None:
    chat.slack.add_user("U0NYC", "Nia York", "nia@example.com", tz="America/New_York")
    chat.runtime.settings.OPEN_READS = True  # Nia has no Issuetrak user; the digest's own rules are tested here
    chat.user = "U0NYC"
    reply = chat.send("/tracker digest daily 7:30 mob")
    assert "every day at 07:30 (America/New_York) for mob." in reply.text
    assert chat.slack.of("users.info")[-1]["user"] == "U0NYC"
    sub = await subscription(chat)
    assert (sub.time, sub.timezone, sub.scope, sub.created_by) == ("07:30", "America/New_York", ("mob",), "U0NYC")


async def test_bad_times_unknown_zones_and_scopes_get_clear_answers(chat: Chat) -> None:
    answers = {
        "/tracker digest daily 25:00": "25:00 is not a time of day; use 00:00 to 23:59.",
        "/tracker digest daily 9am": "Give a time as HH:MM, for example `/tracker digest daily 09:00 Europe/Paris`.",
        "/tracker digest daily 09:00 Mars/Olympus_Mons": "I don't know the time zone `Mars/Olympus_Mons`",
        "/tracker digest daily 09:00 Paris": "I found no tracker or project called “Paris”. After the time, give",
        "/tracker digest weekly": "Use `/tracker digest now`, `digest daily 09:00 [Europe/Paris]`",
    }
    for text, expected in answers.items():
        reply = chat.send(text)
        assert expected in reply.text, text
        assert "Traceback" not in reply.text
    assert await subscription(chat) is None


async def test_only_digest_editors_may_change_the_digest(chat: Chat) -> None:
    chat.runtime.settings.DIGEST_EDITORS = "U0BOSS, U0OTHER"
    chat.runtime.settings.OPEN_READS = (
        True  # the editors have no Issuetrak user; the digest's own rules are tested here
    )
    refused = "Only the people an admin listed can change this channel's digest."
    assert refused in chat.send("/tracker digest daily 09:00 UTC").text
    assert await subscription(chat) is None

    chat.user = "U0BOSS"
    assert "every day at 09:00 (UTC)" in chat.send("/tracker digest daily 09:00 UTC").text
    chat.user = "U0ALICE"
    assert refused in chat.send("/tracker digest off").text
    assert "every day at 09:00 (UTC), set up by <@U0BOSS>" in chat.send("/tracker digest list").text  # reading is open


def test_a_person_who_may_not_edit_digests_is_not_told_to_start_one(chat: Chat) -> None:
    chat.runtime.settings.DIGEST_EDITORS = "U0BOSS"
    said = chat.send("/tracker digest list").text
    assert "This channel has no daily digest; the people an admin listed can start one." in said
    assert "digest daily" not in said
    chat.user = "U0BOSS"
    assert "Start one with `/tracker digest daily 09:00`." in chat.send("/tracker digest list").text


def test_digest_now_posts_the_digest_in_the_channel_whole_or_scoped(chat: Chat) -> None:
    chat.channel = "C0NOW"
    reply = chat.send("/tracker digest now")
    assert "Posted the digest in this channel." in reply.text
    [post] = reply.of("chat.postMessage")
    assert post["channel"] == "C0NOW"
    assert post["text"].startswith("7 of 10 projects need attention")
    text = blocks_text(post["blocks"])
    assert f"Daily digest · {datetime.now(UTC).day} " in text
    for expected in (
        "R&amp;D lab move",
        "overdue by 5 days",
        "Mobile app 2.0",
        "behind schedule (20% done)",
        "health: Off track",
        "Moonrise",
        "3 overdue tasks",
        "#1012",
        "David Okafor: 3",
        "Kitsu tasks due soon",
    ):
        assert expected in text, expected
    assert post.get("response_type") is None  # an ordinary message, not an ephemeral one

    chat.channel = "C0SCOPE"
    [scoped] = chat.send("/tracker digest now projectrak").of("chat.postMessage")
    text = blocks_text(scoped["blocks"])
    assert scoped["text"] == "3 of 5 projects need attention"
    assert "Digest · projectrak ·" in text and "Mobile app 2.0" in text
    assert "R&amp;D lab move" not in text and "Issuetrak, last 24 hours" not in text


def test_digest_now_in_a_channel_the_bot_is_not_in_says_how_to_invite_it(chat: Chat) -> None:
    chat.slack.closed_channels.add(chat.channel)
    reply = chat.send("/tracker digest now")
    assert "/invite @trackerbot" in reply.text
    assert "went wrong" not in reply.text


def test_only_digest_editors_and_admins_may_post_the_digest_now(chat: Chat) -> None:
    chat.runtime.settings.DIGEST_EDITORS = "U0BOSS"
    chat.runtime.settings.TRACKER_ADMINS = "U0ADMIN"
    chat.runtime.settings.OPEN_READS = (
        True  # the editor and the admin have no Issuetrak user; the digest's own rules are tested here
    )
    refused = chat.send("/tracker digest now")
    assert "Only the people an admin listed can post this channel's digest." in refused.text
    assert not refused.of("chat.postMessage")

    for user, channel in (("U0BOSS", "C0BOSS"), ("U0ADMIN", "C0ADMIN")):
        chat.user, chat.channel = user, channel
        reply = chat.send("/tracker digest now")
        assert "Posted the digest in this channel." in reply.text
        assert [post["channel"] for post in reply.of("chat.postMessage")] == [channel]


def test_digest_now_is_once_a_minute_per_channel_and_the_second_caller_is_told_plainly(chat: Chat) -> None:
    chat.runtime.settings.OPEN_READS = True  # Nora has no Issuetrak user; the digest's own rules are tested here
    start = chat.runtime.clock()
    assert len(chat.send("/tracker digest now").of("chat.postMessage")) == 1

    chat.user = "U0NOBODY"
    chat.runtime.clock = lambda: start + timedelta(seconds=20)
    again = chat.send("/tracker digest now")
    assert "A digest was asked for in this channel less than a minute ago; ask again in 40 s." in again.text
    assert not again.of("chat.postMessage")

    chat.channel = "C0ELSEWHERE"  # another channel has its own minute
    assert len(chat.send("/tracker digest now").of("chat.postMessage")) == 1

    chat.channel = "C0GENERAL"
    chat.runtime.clock = lambda: start + timedelta(seconds=60)
    assert len(chat.send("/tracker digest now").of("chat.postMessage")) == 1


def test_a_digest_now_that_posted_nothing_can_be_asked_again_at_once(chat: Chat) -> None:
    chat.slack.closed_channels.add(chat.channel)
    assert "/invite @trackerbot" in chat.send("/tracker digest now").text
    chat.slack.closed_channels.discard(chat.channel)  # invited
    assert len(chat.send("/tracker digest now").of("chat.postMessage")) == 1

    chat.slack.failures["chat.postMessage"] = [503]
    chat.runtime.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
    failed = chat.send("/tracker digest now")
    assert "Slack did not take the digest just now; please try again in a minute." in failed.text
    assert not failed.of("chat.postMessage")
    assert len(chat.send("/tracker digest now").of("chat.postMessage")) == 1


async def test_a_slack_time_zone_we_do_not_know_gets_the_parsers_sentence(chat: Chat) -> None:
    """Without a zone the person's Slack zone is used; one the zone database lacks is refused with
    the sentence a typed zone gets (bot.times checks both)."""
    chat.slack.add_user("U0MARS", "Ma Rs", "mars@example.com", tz="Mars/Olympus_Mons")
    chat.runtime.settings.OPEN_READS = True  # no Issuetrak user; the digest's own rules are tested here
    chat.user = "U0MARS"
    typed = chat.send("/tracker digest daily 09:00 Mars/Olympus_Mons").text
    from_slack = chat.send("/tracker digest daily 09:00").text
    sentence = "I don't know the time zone `Mars/Olympus_Mons`; use a name like Europe/Paris or America/New_York."
    assert sentence in typed and sentence in from_slack
    assert await subscription(chat) is None


def test_digest_now_with_a_scope_that_names_nothing_is_refused_to_the_person_alone(chat: Chat) -> None:
    reply = chat.send("/tracker digest now projetrak")
    assert "I found no tracker or project called “projetrak”, so I posted nothing." in reply.text
    assert not reply.of("chat.postMessage"), "an empty digest is not posted to the channel"
    assert all(answer.get("response_type", "ephemeral") == "ephemeral" for answer in reply.of("response_url"))
    # The refusal took no minute: the corrected command posts at once.
    fixed = chat.send("/tracker digest now projectrak")
    assert [post["text"] for post in fixed.of("chat.postMessage")] == ["3 of 5 projects need attention"]


def test_the_help_documents_the_digest_scope(chat: Chat) -> None:
    assert "digest now projectrak" in chat.send("/tracker help").text
