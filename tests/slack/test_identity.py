"""Who may write as whom: the email match, link requests decided by admins, admin links and
unlinks, one Slack person per Issuetrak user, the audit, guests, reads, and mentions. Each
refusal is a conversation with the real Bolt app; the Issuetrak writes are checked on its
contract server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot import messages
from bot.demo.slack import SlackState
from bot.posting import identity_requests
from bot.runtime import Runtime
from bot.services import identity
from bot.slack.directory import MAX_MENTIONS, SlackPerson, email_owner
from bot.store import AuditAction, IdentityLinkHow
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.slack.harness import Chat, Reply, text_values
from tests.slack.test_home import _home_opened

TEAM = "T0TRACKER"


@pytest.fixture(autouse=True)
def people(slack_state: SlackState) -> None:
    slack_state.add_user("U0ADMIN", "Ada Admin", "ada@example.com")
    slack_state.add_user("U0BOSS", "Bo Boss", "bo@example.com")
    slack_state.add_user("U0BAO", "Bao Nguyen", "Bao.Nguyen@EXAMPLE.com")  # bnguyen, in other letter case
    slack_state.add_user("U0CAM", "Camille Dubois", "camille.dubois@example.com")  # cdubois


def _as(chat: Chat, user: str) -> Chat:
    chat.user = user
    return chat


def _note_by(chat: Chat, issuetrak_server: IssuetrakServer, user: str, issue: int = 1001) -> tuple[Reply, str | None]:
    """`user` posts a note; what they were told and who Issuetrak says wrote it (None: nothing written)."""
    before = set(issuetrak_server.state.notes)
    reply = _as(chat, user).send(f"/tracker note {issue} checked the cables")
    new = [issuetrak_server.state.notes[n] for n in set(issuetrak_server.state.notes) - before]
    return reply, (new[0]["CreatedBy"] if new else None)


def _admins(chat: Chat, value: str = "U0ADMIN, U0BOSS") -> None:
    chat.runtime.settings.TRACKER_ADMINS = value


def _store(chat: Chat, call: Any) -> Any:
    return asyncio.run(call(chat.runtime.store))


def _request_buttons(reply: Reply) -> dict[str, dict[str, Any]]:
    return {b["action_id"]: b for b in reply.buttons()}


# --- the email match ---------------------------------------------------------------------------


def test_the_email_match_is_case_insensitive_and_link_to_ones_own_user_ties_at_once(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    reply, author = _note_by(chat, issuetrak_server, "U0BAO")
    assert author == "bnguyen", reply.text
    assert messages.LINK_ALREADY.format(user="bnguyen") in chat.send("/tracker link BNGUYEN").text
    _as(chat, "U0CAM")
    assert messages.LINKED.format(user="cdubois") in chat.send("/tracker link cdubois").text
    link = _store(chat, lambda s: s.identity_link(TEAM, "U0CAM"))
    assert (link.issuetrak_user_id, link.how, link.linked_by) == ("cdubois", IdentityLinkHow.EMAIL, "U0CAM")


def test_without_admins_a_link_to_someone_elses_user_is_refused_plainly(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    reply = _as(chat, "U0NOBODY").send("/tracker link bnguyen")
    assert "Only the Issuetrak user whose email is your Slack email" in reply.text
    assert "TRACKER_ADMINS" in reply.text
    assert not slack_state.of("conversations.open")
    reply, author = _note_by(chat, issuetrak_server, "U0NOBODY")
    assert author is None and "nothing was written" in reply.text
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY")) is None


def test_an_unknown_or_inactive_issuetrak_user_cannot_be_linked(chat: Chat) -> None:
    _admins(chat)
    assert "no active user" in _as(chat, "U0NOBODY").send("/tracker link esato").text  # inactive
    assert "no active user" in chat.send("/tracker link nobody-here").text
    assert "no active user" in _as(chat, "U0ADMIN").send("/tracker link <@U0NOBODY|nora> esato").text


# --- link requests -----------------------------------------------------------------------------


def test_a_link_request_goes_to_the_admins_and_only_an_approval_lets_the_person_write(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    _admins(chat)
    asked = _as(chat, "U0NOBODY").send("/tracker link dokafor")
    assert "asked an admin (<@U0ADMIN>, <@U0BOSS>) to approve it" in asked.text
    assert sorted(a["users"] for a in asked.of("conversations.open")) == ["U0ADMIN", "U0BOSS"]
    dms = asked.of("chat.postMessage")
    assert sorted(dm["channel"] for dm in dms) == ["D0ADMIN", "D0BOSS"]
    shown = json.dumps(dms[0]["blocks"])
    for fact in (
        "Nora Body",
        "U0NOBODY",
        "nora@elsewhere.example",
        "David Okafor",
        "dokafor",
        "david.okafor@example.com",
    ):
        assert fact in shown, fact
    buttons = _request_buttons(asked)
    assert set(buttons) == {ids.LINK_APPROVE, ids.LINK_DENY}

    # Until an admin approves, nothing is read or written as dokafor.
    reply, author = _note_by(chat, issuetrak_server, "U0NOBODY")
    assert author is None and "nothing was written" in reply.text
    assert "needs your Issuetrak user" in chat.send("/tracker issue 1001").text
    again = chat.send("/tracker link bnguyen")
    assert messages.LINK_ALREADY_ASKED.format(user="dokafor") in again.text and not again.of("chat.postMessage")

    decided = _as(chat, "U0ADMIN").click(buttons[ids.LINK_APPROVE])
    [answer] = decided.of("response_url")
    assert answer["replace_original"] is True and "Approved by <@U0ADMIN>" in answer["text"]
    assert [a["users"] for a in decided.of("conversations.open")] == ["U0NOBODY"]
    assert "approved your request" in decided.of("chat.postMessage")[0]["text"]

    reply, author = _note_by(chat, issuetrak_server, "U0NOBODY")
    assert author == "dokafor", reply.text
    assert "Issue #1001" in chat.send("/tracker issue 1001").text
    link = _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY"))
    assert (link.how, link.linked_by) == (IdentityLinkHow.REQUEST, "U0ADMIN")


def test_a_request_no_admin_could_be_told_of_says_so(chat: Chat, slack_state: SlackState) -> None:
    _admins(chat)
    slack_state.closed_channels |= {"D0ADMIN", "D0BOSS"}  # Slack refuses the direct messages
    reply = _as(chat, "U0NOBODY").send("/tracker link bnguyen")
    assert "could not reach any admin" in reply.text
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY")) is None
    slack_state.closed_channels.clear()
    assert "asked an admin" in chat.send("/tracker link bnguyen").text  # the person may ask again


def test_the_service_returns_the_request_and_the_slack_edge_sends_it(chat: Chat, slack_state: SlackState) -> None:
    """The identity service decides and says nothing in Slack itself; what it returns is what
    bot.posting.identity_requests sends (and a request that reached no admin is withdrawn)."""
    _admins(chat, "U0BOSS, U0ADMIN")
    nora = SlackPerson("U0NOBODY", "Nora Body", "nora@elsewhere.example", None)
    rt: Runtime = chat.runtime
    before = len(slack_state.calls)
    client = _client(rt)

    async def owner_of(email: str) -> str | None:
        return await email_owner(client, email)

    asked = asyncio.run(identity.link_self(rt, team=TEAM, person=nora, issuetrak_user="bnguyen", owner_of=owner_of))
    assert isinstance(asked, identity.RequestToAdmins)
    assert (asked.person, asked.user.id, asked.admins) == (nora, "bnguyen", ["U0ADMIN", "U0BOSS"])
    assert len(slack_state.calls) == before  # nothing was sent to Slack
    said = asyncio.run(identity.request_sent(rt, team=TEAM, request=asked, told=[]))
    assert said == messages.LINK_REQUEST_UNDELIVERED.format(user="bnguyen", admins=identity.approvers(rt))
    assert "asked an admin" in _as(chat, "U0NOBODY").send("/tracker link bnguyen").text  # withdrawn: ask again
    pending, created = _store(chat, lambda s: s.request_link(TEAM, "U0NOBODY", "bnguyen", rt.clock()))
    assert not created
    before = len(slack_state.calls)
    decided = asyncio.run(
        identity.decide(rt, team=TEAM, admin="U0ADMIN", value=str(pending.id), approve=False, owner_of=owner_of)
    )
    assert (decided.requester, decided.told) == ("U0NOBODY", messages.YOUR_LINK_DENIED.format(user="bnguyen"))
    assert len(slack_state.calls) == before  # the requester is told by the Slack edge, not the service


def test_a_person_withdraws_their_request_and_its_buttons_go_stale(chat: Chat) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link bnguyen"))
    assert "request to write as *bnguyen* is withdrawn" in chat.send("/tracker unlink").text
    stale = _as(chat, "U0ADMIN").click(buttons[ids.LINK_APPROVE])
    assert stale.of("response_url")[0]["text"] == messages.LINK_REQUEST_GONE
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY")) is None
    assert "asked an admin" in _as(chat, "U0NOBODY").send("/tracker link cdubois").text


def test_a_denied_request_is_told_and_writes_nothing(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link bnguyen"))
    decided = _as(chat, "U0BOSS").click(buttons[ids.LINK_DENY])
    assert "Denied by <@U0BOSS>" in decided.of("response_url")[0]["text"]
    assert "denied your request" in decided.of("chat.postMessage")[0]["text"]
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None
    # Once decided, the person may ask again.
    assert "asked an admin" in chat.send("/tracker link bnguyen").text


def test_only_an_admins_click_counts_and_a_decided_request_says_so(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link dokafor"))
    forwarded = chat.click(buttons[ids.LINK_APPROVE])  # the requester replays the admin's button
    [refusal] = forwarded.of("response_url")
    assert refusal["replace_original"] is False and refusal["text"] == messages.DECIDE_ADMINS_ONLY
    assert _as(chat, "U0CAM").click(buttons[ids.LINK_APPROVE]).of("response_url")[0]["text"] == (
        messages.DECIDE_ADMINS_ONLY
    )
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None

    _as(chat, "U0ADMIN").click(buttons[ids.LINK_APPROVE])
    late = _as(chat, "U0BOSS").click(buttons[ids.LINK_DENY])
    assert "already approved by <@U0ADMIN>" in late.of("response_url")[0]["text"]
    assert not late.of("chat.postMessage")  # the requester hears one outcome
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] == "dokafor"

    forged = _as(chat, "U0ADMIN").click({**buttons[ids.LINK_APPROVE], "value": "99999"})
    assert forged.of("response_url")[0]["text"] == messages.LINK_REQUEST_GONE
    assert chat.click({**buttons[ids.LINK_APPROVE], "value": "1 OR 1=1"}).of("response_url")[0]["text"] == (
        messages.LINK_REQUEST_GONE
    )


def test_a_request_from_another_workspace_cannot_be_decided_here(chat: Chat) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link bnguyen"))
    elsewhere = _as(chat, "U0ADMIN").interact(
        {
            "type": "block_actions",
            "team": {"id": "T0OTHER"},
            "trigger_id": chat.trigger(),
            "actions": [{**buttons[ids.LINK_APPROVE], "block_id": "b", "action_ts": "1.2"}],
            "response_url": f"{chat.response_base}/other",
        }
    )
    assert elsewhere.of("response_url")[0]["text"] == messages.LINK_REQUEST_GONE
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY")) is None


def test_two_admins_clicking_at_once_decide_once(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link dokafor"))
    runtime: Runtime = chat.runtime

    async def both() -> list[identity.Answer]:
        client = _client(runtime)
        return list(
            await asyncio.gather(
                *(
                    identity_requests.decide(
                        runtime,
                        client,
                        team=TEAM,
                        admin=admin,
                        value=buttons[ids.LINK_APPROVE]["value"],
                        approve=admin == "U0ADMIN",
                    )
                    for admin in ("U0ADMIN", "U0BOSS", "U0ADMIN", "U0BOSS")
                )
            )
        )

    answers = asyncio.run(both())
    assert sum(1 for a in answers if "already" not in a.sentence) == 1
    audit = _store(chat, lambda s: s.link_audit(TEAM))
    assert [e.action for e in audit].count(AuditAction.APPROVE) + [e.action for e in audit].count(AuditAction.DENY) == 1


def _client(runtime: Runtime) -> Any:
    from bot.running.app import web_client

    return web_client(runtime)


# --- one Slack person per Issuetrak user -------------------------------------------------------


def test_an_approval_for_a_user_someone_now_holds_decides_nothing(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link dokafor"))
    _as(chat, "U0ADMIN").send("/tracker link <@U0BOSS> dokafor")  # Bo holds dokafor now
    held = chat.click(buttons[ids.LINK_APPROVE])
    assert "now tied to <@U0BOSS>" in held.of("response_url")[0]["text"]
    assert held.of("response_url")[0]["replace_original"] is False  # the buttons stay for a later decision
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None
    assert _note_by(chat, issuetrak_server, "U0BOSS")[1] == "dokafor"


def test_an_admin_cannot_give_away_a_user_someone_holds_and_the_email_owner_is_refused_while_another_holds_it(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    _admins(chat)
    assert "now writes" in _as(chat, "U0ADMIN").send("/tracker link <@U0BOSS> dokafor").text
    taken = chat.send("/tracker link <@U0NOBODY|nora> dokafor")
    assert messages.LINK_TAKEN.format(user="dokafor", holder="U0BOSS") in taken.text
    chat.send("/tracker unlink <@U0BOSS>")

    # An admin gave bnguyen to Nora while no Slack email was its; then Bao's Slack email became
    # bnguyen's: Bao is refused, not merged.
    slack_state.users["U0BAO"].email = "bao@elsewhere.example"
    assert "now writes" in chat.send("/tracker link <@U0NOBODY> bnguyen").text
    slack_state.users["U0BAO"].email = "Bao.Nguyen@EXAMPLE.com"
    reply, author = _note_by(chat, issuetrak_server, "U0BAO")
    assert author is None
    assert "tied to another Slack person (<@U0NOBODY>)" in reply.text
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] == "bnguyen"


# --- admins link and unlink --------------------------------------------------------------------


def test_admins_link_and_unlink_anyone_and_others_cannot(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    _admins(chat)
    for typed in (
        "/tracker link <@U0NOBODY|nora> cdubois",
        "/tracker link <@U0ALICE> dokafor",
        "/tracker unlink <@U0ALICE>",
    ):
        assert messages.ADMINS_ONLY in _as(chat, "U0NOBODY").send(typed).text, typed
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None

    assert (
        "<@U0NOBODY> now writes in Issuetrak as *dokafor*"
        in _as(chat, "U0ADMIN").send("/tracker link <@U0NOBODY|nora> DOKAFOR").text
    )
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] == "dokafor"
    assert "no longer writes" in _as(chat, "U0ADMIN").send("/tracker unlink <@U0NOBODY>").text
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None
    assert (
        messages.NOT_TIED_OTHER.format(person="U0NOBODY")
        in _as(chat, "U0ADMIN").send("/tracker unlink <@U0NOBODY>").text
    )

    # An admin's own `link <id>` is theirs at once (recorded as an admin link).
    assert messages.LINKED.format(user="dokafor") in chat.send("/tracker link dokafor").text
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0ADMIN")).how is IdentityLinkHow.ADMIN


def test_a_person_unlinks_themselves(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    _admins(chat)
    _as(chat, "U0ADMIN").send("/tracker link <@U0NOBODY> dokafor")
    assert "no longer write as Issuetrak user *dokafor*" in _as(chat, "U0NOBODY").send("/tracker unlink").text
    assert messages.NOT_TIED in chat.send("/tracker unlink").text
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] is None


def test_unlinking_an_email_match_says_nothing_changed_and_why(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    _admins(chat)
    assert _note_by(chat, issuetrak_server, "U0ALICE")[1] == "amartin"  # matched (and claimed) by her email
    said = chat.send("/tracker unlink").text
    assert messages.UNLINK_EMAIL_MATCH.format(user="amartin") in said and "Done" not in said
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0ALICE")).how is IdentityLinkHow.EMAIL  # untouched
    by_admin = _as(chat, "U0ADMIN").send("/tracker unlink <@U0ALICE>").text
    assert messages.UNLINK_EMAIL_MATCH_OTHER.format(person="U0ALICE", user="amartin") in by_admin
    assert _note_by(chat, issuetrak_server, "U0ALICE")[1] == "amartin"


def test_every_link_decision_is_audited_and_admins_see_it_on_the_home_tab(chat: Chat) -> None:
    _admins(chat)
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link dokafor"))
    _as(chat, "U0ADMIN").click(buttons[ids.LINK_DENY])
    asked_again = _as(chat, "U0NOBODY").send("/tracker link dokafor")
    _as(chat, "U0BOSS").click(_request_buttons(asked_again)[ids.LINK_APPROVE])
    _as(chat, "U0ADMIN").send("/tracker unlink <@U0NOBODY>")
    audit = _store(chat, lambda s: s.link_audit(TEAM))
    assert [(e.action, e.actor, e.subject, e.issuetrak_user_id) for e in audit] == [
        (AuditAction.UNLINK, "U0ADMIN", "U0NOBODY", "dokafor"),
        (AuditAction.APPROVE, "U0BOSS", "U0NOBODY", "dokafor"),
        (AuditAction.REQUEST, "U0NOBODY", "U0NOBODY", "dokafor"),
        (AuditAction.DENY, "U0ADMIN", "U0NOBODY", "dokafor"),
        (AuditAction.REQUEST, "U0NOBODY", "U0NOBODY", "dokafor"),
    ]
    home = json.dumps(_home_opened(chat, "U0ADMIN").of("views.publish")[0]["view"])
    assert "Link decisions" in home
    assert "<@U0BOSS> approved <@U0NOBODY> as *dokafor*" in home
    assert "<@U0ADMIN> denied <@U0NOBODY> as *dokafor*" in home
    assert "Link decisions" not in json.dumps(_home_opened(chat, "U0NOBODY").of("views.publish")[0]["view"])


# --- the email match is re-checked -------------------------------------------------------------


def test_an_email_match_ends_when_the_email_changes_but_an_admins_link_stays(
    runtime: Runtime, issuetrak_server: IssuetrakServer
) -> None:
    async def scenario() -> None:
        alice = SlackPerson("U0ALICE", "Alice Martin", "alice@example.com", None)
        assert (await identity.identify(runtime, TEAM, alice)).user == "amartin"
        moved = SlackPerson("U0ALICE", "Alice Martin", "alice@new.example", None)
        standing = await identity.identify(runtime, TEAM, moved)
        assert standing.user is None and standing.refusal is identity.Refusal.NO_MATCH
        assert await runtime.store.identity_link(TEAM, "U0ALICE") is None  # the email link went with it

        await runtime.store.link_person(
            TEAM, "U0ALICE", "amartin", how=IdentityLinkHow.ADMIN, by="U0ADMIN", now=runtime.clock()
        )
        assert (await identity.identify(runtime, TEAM, moved)).user == "amartin"

        # Issuetrak's side changing ends an email match too.
        bao = SlackPerson("U0BAO", "Bao", "bao.nguyen@example.com", None)
        assert (await identity.identify(runtime, TEAM, bao)).user == "bnguyen"
        issuetrak_server.state.users["bnguyen"]["EmailAddress"] = "bao@elsewhere.example"
        runtime.trackers.require_issuetrak().http.forget_reference()
        assert (await identity.identify(runtime, TEAM, bao)).refusal is identity.Refusal.NO_MATCH
        await runtime.aclose()

    asyncio.run(scenario())


# --- guests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_guests_may_neither_read_nor_write_unless_allowed(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState, flag: str
) -> None:
    setattr(slack_state.users["U0CAM"], flag, True)  # Camille's email matches cdubois
    _as(chat, "U0CAM")
    for typed in (
        "/tracker issue 1001",
        "/tracker project 1",
        "/tracker link cdubois",
        "/tracker unlink",
        "/tracker digest list",
    ):
        assert messages.GUEST_REFUSED in chat.send(typed).text, typed
    reply, author = _note_by(chat, issuetrak_server, "U0CAM")
    assert author is None and messages.GUEST_REFUSED in reply.text
    view = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "fixed").of("views.open")[-1]["view"]
    before = len(issuetrak_server.state.notes)
    submitted = chat.submit(view, text_values(note_issue=("issue_number", "1001"), note_text=("text", "fixed")))
    assert messages.GUEST_REFUSED in submitted.of("chat.postEphemeral")[-1]["text"]  # only to the person
    assert len(issuetrak_server.state.notes) == before
    assert "Guest accounts" in json.dumps(_home_opened(chat, "U0CAM").of("views.publish")[0]["view"])
    replayed = [
        {"action_id": ids.PROJECT_REFRESH, "value": "issuetrak:1"},  # buttons of someone else's cards
        {"action_id": ids.ASSET_MORE, "value": json.dumps({"q": "laptop", "start": 0, "u": {}})},
    ]
    for button in replayed:
        answer = chat.click(button).of("response_url")
        assert [a["text"] for a in answer] == [messages.GUEST_REFUSED], button

    chat.runtime.settings.ALLOW_GUESTS = True
    assert "Issue #1001" in chat.send("/tracker issue 1001").text
    assert messages.GUEST_REFUSED not in chat.click(replayed[0]).text
    assert _note_by(chat, issuetrak_server, "U0CAM")[1] == "cdubois"


# --- reading -----------------------------------------------------------------------------------


def test_reading_issues_needs_an_identity_unless_reads_are_open(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    refused = _as(chat, "U0NOBODY").send("/tracker issue 1001")
    assert "needs your Issuetrak user" in refused.text and "Render node" not in refused.text
    assert not issuetrak_server.requests_to("issues/false/1001")
    assert "Render node" not in chat.send("/tracker #1001").text
    chat.runtime.settings.OPEN_READS = True
    assert "Render node rn-07" in chat.send("/tracker issue 1001").text


def test_a_digest_of_issues_needs_an_identity_too(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """`digest now` and `digest daily` would post open issues in the channel: the same rule as a card."""
    for typed in ("/tracker digest now", "/tracker digest daily 09:00 UTC"):
        refused = _as(chat, "U0NOBODY").send(typed)
        assert "needs your Issuetrak user" in refused.text, typed
        assert not refused.of("chat.postMessage"), typed
    assert not _store(chat, lambda s: s.subscriptions())
    chat.runtime.settings.OPEN_READS = True
    assert _as(chat, "U0NOBODY").send("/tracker digest now").of("chat.postMessage")


# --- Slack busy, mentions ----------------------------------------------------------------------


def test_a_person_slack_cannot_look_up_just_now_hears_slack_is_busy_and_stays_linked(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    slack_state.rate_limits["users.info"] = 4  # the first try and every retry the client makes
    reply, author = _note_by(chat, issuetrak_server, "U0ALICE")
    assert author is None
    assert messages.SLACK_BUSY in reply.text and "nothing was written" not in reply.text
    assert not _store(chat, lambda s: s.link_audit(TEAM))  # nothing recorded about Alice
    view = chat.shortcut(ids.SHORTCUT_ADD_NOTE, "fixed").of("views.open")[-1]["view"]
    slack_state.rate_limits["users.info"] = 4
    submitted = chat.submit(view, text_values(note_issue=("issue_number", "1001"), note_text=("text", "fixed")))
    assert messages.SLACK_BUSY in submitted.of("chat.postEphemeral")[-1]["text"]  # only to the person
    assert _note_by(chat, issuetrak_server, "U0ALICE")[1] == "amartin"  # the lookup failure was not cached


def test_the_home_tab_waits_when_slack_is_busy(chat: Chat, slack_state: SlackState) -> None:
    slack_state.rate_limits["users.info"] = 4
    assert not _home_opened(chat, "U0ALICE").of("views.publish")  # nothing claimed about Alice meanwhile
    assert "written in Issuetrak as *amartin*" in json.dumps(_home_opened(chat, "U0ALICE").of("views.publish"))


def test_mentions_are_looked_up_up_to_a_cap_and_unknown_people_once(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    chat.send("/tracker issue 1001")  # Alice is known now
    mentions = " ".join(f"<@U9{n:04d}>" for n in range(300)) + " <@U0BAO>"
    before = len(slack_state.of("users.info"))
    chat.send(f"/tracker note 1001 ping {mentions}")
    looked_up = [
        c for c in slack_state.of("users.info")[before:] if c["user"] != "U0ALICE"
    ]  # she is asked as the writer
    assert len(looked_up) == MAX_MENTIONS
    note = max(issuetrak_server.state.notes.values(), key=lambda n: n["NoteID"])
    assert "@Bao Nguyen" in note["NoteText"]  # U0BAO sorts first
    assert "@U90299" in note["NoteText"]  # beyond the cap: the plain ID

    again = len(slack_state.of("users.info"))
    chat.send("/tracker note 1002 ping <@U90001> <@U90002>")  # Slack knows neither: asked once, remembered
    assert [c["user"] for c in slack_state.of("users.info")[again:]] == ["U0ALICE"]  # the writer, when it is sent


def test_a_rate_limited_mention_lookup_stops_asking_and_the_note_is_still_written(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    chat.send("/tracker issue 1001")  # Alice is known now
    slack_state.rate_limits["users.info"] = 4
    before = len(slack_state.calls)
    reply = chat.send("/tracker note 1003 thanks <@U0BAO> <@U0CAM> <@U0NOBODY>")
    assert "Added note" in reply.text
    calls = [
        c.method
        for c in slack_state.calls[before:]
        if c.method.startswith("users.info") and c.args["user"] != "U0ALICE"
    ]
    assert calls == ["users.info:429"] * 4  # one mention hit the limit; the others were not asked
    note = max(issuetrak_server.state.notes.values(), key=lambda n: n["NoteID"])
    assert "@U0BAO" in note["NoteText"] and "@U0NOBODY" in note["NoteText"]


def test_a_person_whose_issuetrak_account_is_inactive_is_told_so(chat: Chat, slack_state: SlackState) -> None:
    slack_state.add_user("U0EMI", "Emi Sato", "emi.sato@example.com")  # esato, inactive in Issuetrak
    reply = _as(chat, "U0EMI").send("/tracker note 1001 hello")
    assert "belongs to Issuetrak user *esato*, whose account is inactive in Issuetrak" in reply.text
    assert "matches no active" not in reply.text and "/tracker link" not in reply.text


# --- an admin cannot give away an email-matched user ---------------------------------------------


def test_an_admin_cannot_give_away_the_user_whose_email_is_someone_elses_even_before_they_used_the_bot(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    """Carol is given amartin, Alice's by email, before Alice ever used the bot: refused (by a
    direct link, an approval, or the admin's own link), and Alice still writes as amartin."""
    slack_state.add_user("U0CAROL", "Carol Crane", "carol@elsewhere.example")
    _admins(chat)
    refused = messages.LINK_EMAIL_OWNER.format(user="amartin", holder="U0ALICE")
    assert refused in _as(chat, "U0ADMIN").send("/tracker link <@U0CAROL|carol> amartin").text
    assert refused in chat.send("/tracker link amartin").text  # an admin's own link: the same rule
    buttons = _request_buttons(_as(chat, "U0CAROL").send("/tracker link amartin"))
    approved = _as(chat, "U0ADMIN").click(buttons[ids.LINK_APPROVE])
    (answer,) = approved.of("response_url")
    assert refused in answer["text"] and answer["replace_original"] is False  # the request stays, undecided
    assert not approved.of("chat.postMessage")  # Carol is told nothing was decided: nothing was
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0CAROL")) is None
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0ADMIN")) is None
    assert lookups_of(slack_state, "alice@example.com") == 3

    assert _note_by(chat, issuetrak_server, "U0ALICE")[1] == "amartin"
    assert _note_by(chat, issuetrak_server, "U0CAROL")[1] is None
    # A user nobody holds by email is given as before; so is the email owner's own user to them.
    assert "now writes in Issuetrak as *dokafor*" in _as(chat, "U0ADMIN").send("/tracker link <@U0CAROL> dokafor").text
    assert _note_by(chat, issuetrak_server, "U0CAROL")[1] == "dokafor"


def test_a_deactivated_slack_account_holds_no_user_by_email(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    slack_state.users["U0ALICE"].deleted = True
    _admins(chat)
    assert "now writes in Issuetrak as *amartin*" in _as(chat, "U0ADMIN").send("/tracker link <@U0NOBODY> amartin").text
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] == "amartin"
    reply, author = _note_by(chat, issuetrak_server, "U0ALICE")
    assert author is None and messages.SLACK_ACCOUNT_DEACTIVATED in reply.text


def test_while_slack_cannot_say_who_holds_a_user_by_email_nothing_is_linked(
    chat: Chat, issuetrak_server: IssuetrakServer, slack_state: SlackState
) -> None:
    _admins(chat)
    busy = messages.LINK_OWNER_UNKNOWN.format(user="dokafor")
    slack_state.rate_limits["users.lookupByEmail"] = 4  # the first try and every retry the client makes
    assert busy in _as(chat, "U0ADMIN").send("/tracker link <@U0NOBODY> dokafor").text
    slack_state.failures["users.lookupByEmail"] = [503]
    buttons = _request_buttons(_as(chat, "U0NOBODY").send("/tracker link dokafor"))
    assert busy in _as(chat, "U0ADMIN").click(buttons[ids.LINK_APPROVE]).of("response_url")[0]["text"]
    assert _store(chat, lambda s: s.identity_link(TEAM, "U0NOBODY")) is None
    approved = chat.click(buttons[ids.LINK_APPROVE])  # Slack answers again: the same click decides it
    assert "Approved by <@U0ADMIN>" in approved.of("response_url")[0]["text"]
    assert _note_by(chat, issuetrak_server, "U0NOBODY")[1] == "dokafor"


def lookups_of(slack_state: SlackState, email: str) -> int:
    return sum(args.get("email") == email for args in slack_state.of("users.lookupByEmail"))
