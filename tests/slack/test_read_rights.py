"""The read rule applies to what is shown, through signed requests into the real app: Issuetrak
issues need an Issuetrak user (and, under ISSUE_SCOPE=organization, to be of that user's
organization); projects, Kitsu, AIP and Projectrak data do not, and one tracker's outage blocks
no other tracker's answer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot import messages
from bot.demo.slack import TEAM_ID, SlackState
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.slack import Poller, tick
from tests.slack.harness import Chat, blocks_text, text_values
from tests.slack.test_issue_actions import _card, _element
from tests.slack.test_steps import completed, failed, run_step
from tests.slack.test_unfurls import paste, site
from tests.slack.test_watches import news


@pytest.fixture(autouse=True)
def people(slack_state: SlackState) -> None:
    slack_state.add_user("U0DAVID", "David Okafor", "david.okafor@example.com")  # dokafor, Northlight Post (2)
    slack_state.add_user("U0BAO", "Bao Nguyen", "bao.nguyen@example.com")  # bnguyen, Northlight Studio (1)


def digests_posted(chat: Chat) -> list[str]:
    return [blocks_text(m["blocks"]) for m in chat.slack.of("chat.postMessage") if "digest" in m["text"].casefold()]


# --- section 6: identity asked only where Issuetrak issues are shown -----------------------------


def test_a_person_without_an_issuetrak_user_gets_kitsu_digests_and_watches(chat: Chat) -> None:
    chat.user = "U0NOBODY"
    now = chat.send("/tracker digest now kitsu")
    assert "needs your Issuetrak user" not in now.text
    [posted] = now.of("chat.postMessage")
    assert "Kitsu" in blocks_text(posted["blocks"]) and "Issuetrak" not in blocks_text(posted["blocks"])
    daily = chat.send("/tracker digest daily 09:00 UTC kitsu")
    assert "This channel will get its digest every day at 09:00 (UTC) for kitsu." in daily.text
    assert (
        "This channel will hear of changes to Kitsu project Moonrise"
        in chat.send("/tracker watch project moonrise").text
    )
    # What shows issues still asks: a whole digest, an issue, an issue watch.
    for typed in ("/tracker digest now", "/tracker digest daily 10:00 UTC", "/tracker watch issue 1001"):
        assert "needs your Issuetrak user" in chat.send(typed).text, typed


def test_an_issuetrak_outage_blocks_no_other_trackers_answer(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issuetrak_server.state.faults.fail_next.extend([503] * 1000)
    reply = chat.send("/tracker digest now projectrak")
    [posted] = reply.of("chat.postMessage")
    assert "Projectrak" in blocks_text(posted["blocks"]) and "not answering" not in reply.text
    # The whole digest too: Issuetrak's part is left out and said so, the others are there.
    chat.channel = "C0OTHER"
    [whole] = chat.send("/tracker digest now").of("chat.postMessage")
    text = blocks_text(whole["blocks"])
    assert "Kitsu tasks due soon" in text and "Issuetrak" in text
    assert "Opened" not in text  # no issue of Issuetrak's


async def test_a_kitsu_watch_of_a_person_without_an_issuetrak_user_is_told_while_issuetrak_is_down(
    chat: Chat,
    poller: Poller,
    issuetrak_server: IssuetrakServer,
    kitsu_server,
) -> None:
    """The round asks nothing of Issuetrak for a project watch: its outage holds up no Kitsu news,
    and a person without an Issuetrak user hears of their production (in a channel and by DM)."""
    chat.user = "U0NOBODY"
    chat.send("/tracker watch project moonrise")
    chat.channel = "D0NOBODY"
    chat.send("/tracker watch project moonrise")
    await tick(poller)
    issuetrak_server.state.faults.fail_next.extend([503] * 1000)
    data = kitsu_server.state.data
    moonrise = next(p["id"] for p in data["projects"] if p["name"] == "Moonrise")
    yesterday = f"{(kitsu_server.state.today - timedelta(days=1)).isoformat()}T00:00:00"
    for task in data["tasks"]:
        if task["project_id"] == moonrise:
            task["due_date"] = yesterday
    done = await tick(poller)
    assert (done.posted, done.paused) == (2, 0)
    assert sorted(m["channel"] for m in news(chat)) == ["C0GENERAL", "U0NOBODY"]


# --- section 5: ISSUE_SCOPE ------------------------------------------------------------------------


@pytest.fixture
def by_organization(chat: Chat) -> Chat:
    chat.runtime.settings.ISSUE_SCOPE = "organization"
    return chat


def test_under_organization_scope_a_person_reads_only_their_organizations_issues(by_organization: Chat) -> None:
    chat = by_organization
    assert "Render node rn-07" in chat.send("/tracker issue 1001").text  # Alice's organization's
    refused = chat.send("/tracker issue 1005")  # Northlight Post's
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in refused.text and "Nuke" not in refused.text
    chat.user = "U0DAVID"
    assert "Nuke license server" in chat.send("/tracker issue 1005").text
    assert messages.SCOPE_NOT_YOURS.format(number=1001) in chat.send("/tracker issue 1001").text


def test_all_scope_is_todays_every_issue_for_everyone_with_a_user(chat: Chat) -> None:
    assert "Nuke license server" in chat.send("/tracker issue 1005").text
    chat.user = "U0DAVID"
    assert "Render node rn-07" in chat.send("/tracker issue 1001").text


def test_a_user_with_no_organization_is_told_so(by_organization: Chat, issuetrak_server: IssuetrakServer) -> None:
    issuetrak_server.state.users["bnguyen"]["OrganizationID"] = None
    chat = by_organization
    chat.user = "U0BAO"
    reply = chat.send("/tracker issue 1001")
    assert messages.SCOPE_NO_ORGANIZATION.format(user="bnguyen") in reply.text and "Render node" not in reply.text


async def test_organization_scope_holds_for_watches(by_organization: Chat) -> None:
    chat = by_organization
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in chat.send("/tracker watch issue 1005").text
    assert "This channel will hear of changes to Issuetrak issue #1001" in chat.send("/tracker watch issue 1001").text
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, chat.channel)
    assert watch.target.item_id == "1001"


async def test_an_issue_that_left_the_watchers_organization_is_no_longer_told(
    by_organization: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    """Checked when the news is told too: #1001 moved to Northlight Post, so Alice's channel
    hears nothing of it, and the watch pauses (David, of Northlight Post, could resume it)."""
    chat = by_organization
    chat.send("/tracker watch issue 1001")
    chat.channel = "D0ALICE"
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    issue = issuetrak_server.state.issues[1001]
    issue["OrganizationID"], issue["Status"] = 2, "Closed"
    done = await tick(poller)
    assert (done.changed, done.posted) == (1, 0) and news(chat) == []
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, "C0GENERAL")
    assert watch.paused_at is not None
    assert await chat.runtime.store.watches_by(TEAM_ID, "U0ALICE") == [watch]  # the personal one ended


def test_organization_scope_holds_for_unfurls(by_organization: Chat, issuetrak_server: IssuetrakServer) -> None:
    ours, theirs = (f"{site(issuetrak_server)}/Issue_View.asp?ID={n}" for n in (1001, 1005))
    [call] = paste(by_organization, ours, theirs).of("chat.unfurl")
    assert list(call["unfurls"]) == [ours]


def test_organization_scope_holds_for_digests(by_organization: Chat, issuetrak_server: IssuetrakServer) -> None:
    """A digest shows the issues of the organization of whoever asked: #1005 (Northlight Post,
    closed within the day) is in David's digest, not Alice's."""
    chat = by_organization
    [alice] = chat.send("/tracker digest now issuetrak").of("chat.postMessage")
    assert "#1005" not in json.dumps(alice["blocks"]) and "#1004" in json.dumps(alice["blocks"])
    chat.user, chat.channel = "U0DAVID", "C0POST"
    [david] = chat.send("/tracker digest now issuetrak").of("chat.postMessage")
    assert "#1005" in json.dumps(david["blocks"]) and "#1004" not in json.dumps(david["blocks"])


def test_a_new_issue_is_filed_under_the_submitters_organization(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    chat.user = "U0DAVID"
    opened = chat.shortcut(ids.SHORTCUT_CREATE_ISSUE, "Scanner offline")
    view = (opened.of("views.open") + opened.of("views.update"))[-1]["view"]
    values = text_values(issue_subject=("subject", "Scanner offline"), issue_description=("description", "E42"))
    values["issue_type"] = {"type": {"type": "static_select", "selected_option": {"value": "1"}}}
    values["issue_priority"] = {"priority": {"type": "static_select", "selected_option": {"value": "2"}}}
    before = set(issuetrak_server.state.issues)
    chat.submit(view, values)
    [number] = set(issuetrak_server.state.issues) - before
    assert issuetrak_server.state.issues[number]["OrganizationID"] == 2  # David's, not the site's first


def test_organization_scope_holds_for_search_and_mine(by_organization: Chat, issuetrak_server: IssuetrakServer) -> None:
    """Issuetrak is asked for the person's organization's issues only (one condition, not a filter
    here), on every page: Alice finds no Northlight Post issue, and David's own issues are only
    those of his organization, counts included."""
    chat = by_organization
    assert "#1005" not in chat.send("/tracker search nuke").text  # Northlight Post's
    searched = json.loads(issuetrak_server.requests_to("issues/search")[-1][2])
    conditions = [
        (e["FieldName"], e["FieldFilterValue1"])
        for s in searched["QuerySetDefinitions"]
        for e in s["QuerySetExpressions"]
    ]
    assert ("OrganizationID", "1") in conditions
    chat.user = "U0DAVID"
    assert "#1005" in chat.send("/tracker search nuke").text
    mine = chat.send("/tracker mine")  # dokafor holds #1001 and #1006 of Northlight Studio too
    assert "#1010" in mine.text and "#1001" not in mine.text and "#1006" not in mine.text
    assert "1 assigned to you" in mine.text
    forged = chat.click({"action_id": ids.ISSUES_PAGE, "value": '{"c":"search render","p":0}'})
    assert "#1001" not in forged.text


def test_organization_scope_refuses_search_to_whom_it_shows_nothing(
    by_organization: Chat, issuetrak_server: IssuetrakServer
) -> None:
    issuetrak_server.state.users["bnguyen"]["OrganizationID"] = None
    chat = by_organization
    chat.runtime.settings.OPEN_READS = True
    chat.user = "U0NOBODY"
    assert messages.SCOPE_NEEDS_USER in chat.send("/tracker search nuke").text
    chat.user = "U0BAO"
    assert messages.SCOPE_NO_ORGANIZATION.format(user="bnguyen") in chat.send("/tracker search render").text
    assert not issuetrak_server.requests_to("issues/search")


def test_organization_scope_holds_for_a_card_redrawn_after_a_refused_pick(
    by_organization: Chat, issuetrak_server: IssuetrakServer
) -> None:
    """Picking someone with no Issuetrak user redraws the card saying so: the issue a (forged)
    card names is read only under the clicker's read rule."""
    chat = by_organization
    card = _card(chat.send("/tracker issue 1001"))
    pick = _element(card, ids.CARD_ASSIGN, selected_user="U0NOBODY")
    forged = chat.click({**pick, "block_id": pick["block_id"].replace('"i":1001', '"i":1005')})
    assert (
        "Nuke" not in json.dumps([c.args for c in forged.calls])
        and messages.SCOPE_NOT_YOURS.format(number=1005) in forged.text
    )
    assert "Render node" in json.dumps(chat.click(pick).of("response_url")[-1]["blocks"])  # her own: redrawn


def test_organization_scope_holds_for_the_get_issue_step(by_organization: Chat) -> None:
    chat = by_organization
    refused = failed(run_step(chat, "get_issuetrak_issue", {"issue_number": 1005}))
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in refused and "Nuke" not in refused
    assert completed(run_step(chat, "get_issuetrak_issue", {"issue_number": 1001}))["subject"].startswith("Render")


async def test_news_of_a_change_from_slack_is_told_only_where_the_issue_is_in_scope(
    by_organization: Chat, poller: Poller, issuetrak_server: IssuetrakServer
) -> None:
    """David's channel watched #1001 before it became Northlight Studio's alone; Alice's change
    of it from Slack is news for her channel, not his (his watch pauses instead)."""
    chat = by_organization
    chat.runtime.settings.ISSUE_SCOPE = "all"
    chat.user, chat.channel = "U0DAVID", "C0POST"
    chat.send("/tracker watch issue 1001")
    chat.runtime.settings.ISSUE_SCOPE = "organization"
    chat.user, chat.channel = "U0ALICE", "C0GENERAL"
    chat.send("/tracker watch issue 1001")
    await tick(poller)
    chat.send("/tracker priority 1001 low")
    await tick(poller)
    told = news(chat)
    assert [m["channel"] for m in told] == ["C0GENERAL"] and "Priority" in told[0]["text"]
    [watch] = await chat.runtime.store.watches_at(TEAM_ID, "C0POST")
    assert watch.paused_at is not None


def test_organization_scope_holds_before_a_change_command_says_the_field_is_already_so(
    by_organization: Chat, issuetrak_server: IssuetrakServer
) -> None:
    """`priority 1005 urgent` must not tell Alice what another organization's issue shows: the
    scope refuses before the value is compared."""
    chat = by_organization
    guessed = chat.send("/tracker priority 1005 urgent")  # #1005 is Urgent
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in guessed.text and "Urgent" not in guessed.text
    assert messages.SCOPE_NOT_YOURS.format(number=1005) in chat.send("/tracker assign 1005 me").text
