"""Links pasted into Slack become cards: signed `link_shared` events into the real app, the
trackers' contract servers behind it, and the one `chat.unfurl` the Slack stand-in records."""

from __future__ import annotations

import json
from typing import Any

from bot.demo import slack_payloads
from bot.demo.slack import SlackState
from bot.runtime import Runtime
from bot.services.unfurls import CARD_SECONDS, MAX_LINKS
from bot.views import ids
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.kitsu import KitsuServer
from tests.fixtures.projectrak import ProjectrakServer
from tests.slack.harness import Chat, Reply, blocks_text

MESSAGE_TS = "1700000000.000300"


def paste(chat: Chat, *urls: str, composer: bool = False, headers: dict[str, str] | None = None) -> Reply:
    """The person (`chat.user`) pastes `urls` in a message (or, `composer`, while still typing)."""
    payload = slack_payloads.link_shared(chat.who("ev"), MESSAGE_TS, urls, composer=composer)
    return chat._exchange(json.dumps(payload), "application/json", headers=headers)


def unfurled(reply: Reply) -> dict[str, Any]:
    """The one chat.unfurl the bot made: {"target": its other arguments, url: the card's text}."""
    [call] = reply.of("chat.unfurl")
    cards = {url: blocks_text(card["blocks"]) for url, card in call["unfurls"].items()}
    return {"target": {k: v for k, v in call.items() if k not in ("unfurls", "team_id")}, **cards}


def site(issuetrak_server: IssuetrakServer) -> str:
    """The Issuetrak site root the cards link to (the API root without /api/v1)."""
    return issuetrak_server.url.removesuffix("/api/v1")


def kitsu_ids(kitsu_server: KitsuServer, production: str, asset: str) -> tuple[str, str]:
    data = kitsu_server.state.data
    project = next(p for p in data["projects"] if p["name"] == production)
    found = next(a for a in data["assets"] if a["name"] == asset and a["project_id"] == project["id"])
    return project["id"], found["id"]


def test_issuetrak_issue_and_project_links_become_their_cards_in_one_unfurl(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1001"
    project = f"{site(issuetrak_server)}/Project_View.asp?ID=1"
    reply = paste(chat, issue, project)
    assert reply.status == 200
    cards = unfurled(reply)
    assert cards["target"] == {"channel": "C0GENERAL", "ts": MESSAGE_TS}
    assert "Render node rn-07 drops off the farm overnight" in cards[issue]
    assert "Issuetrak #1001" in cards[issue]
    assert "Studio network refresh" in cards[project]
    assert not reply.text, "nothing is said in the channel: the cards go under the links"
    [call] = reply.of("chat.unfurl")
    actions = {
        element.get("action_id")
        for block in call["unfurls"][issue]["blocks"]
        for element in block.get("elements", [])
        if isinstance(element, dict)
    }
    assert {ids.CARD_ASSIGN_ME, ids.CARD_PRIORITY, ids.CARD_SUBSTATUS} <= actions  # the card a command shows


def test_an_issue_card_unfurled_never_shows_a_private_note(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1006"
    card = unfurled(paste(chat, issue))[issue]
    assert "Storage quota warning" in card
    assert "Archived 2 TB" not in json.dumps(chat.slack.calls[-1].args)


def test_kitsu_production_and_asset_links_become_their_cards(chat: Chat, kitsu_server: KitsuServer) -> None:
    production, asset = kitsu_ids(kitsu_server, "Moonrise", "Lunar Rover")
    production_url = f"{kitsu_server.url}/productions/{production}"
    asset_url = f"{kitsu_server.url}/productions/{production}/assets/{asset}"
    cards = unfurled(paste(chat, production_url, asset_url))
    assert "Moonrise" in cards[production_url] and "Overdue tasks" in cards[production_url]
    assert "Lunar Rover" in cards[asset_url] and "Six-wheeled rover" in cards[asset_url]


def test_a_canceled_or_unknown_kitsu_asset_stays_a_plain_link(chat: Chat, kitsu_server: KitsuServer) -> None:
    production, canceled = kitsu_ids(kitsu_server, "Moonrise", "Moth Swarm")
    _, elsewhere = kitsu_ids(kitsu_server, "Tidepool", "Rowboat")
    reply = paste(
        chat,
        f"{kitsu_server.url}/productions/{production}/assets/{canceled}",
        f"{kitsu_server.url}/productions/{production}/assets/{elsewhere}",  # an asset of another production
    )
    assert reply.status == 200 and not reply.of("chat.unfurl")


def test_jira_links_of_projects_projectrak_knows_become_their_cards(
    chat: Chat, projectrak_server: ProjectrakServer
) -> None:
    jira = projectrak_server.state.site_url
    known, unknown = f"{jira}/browse/WEB", f"{jira}/browse/NOPE"
    other_site = "https://elsewhere.atlassian.net/browse/MOB"
    cards = unfurled(paste(chat, known, unknown, other_site))
    assert set(cards) == {"target", known}
    assert projectrak_server.state.projects["WEB"].name in cards[known]
    assert "Projectrak" in cards[known]


def test_links_typed_in_the_composer_unfurl_by_their_unfurl_id(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1002"
    cards = unfurled(paste(chat, issue, composer=True))
    assert cards["target"] == {"unfurl_id": f"C-U0ALICE-{MESSAGE_TS}", "source": "composer"}
    assert "VPN disconnects" in cards[issue]


def test_links_of_other_sites_are_left_alone_without_a_tracker_call(
    chat: Chat, issuetrak_server: IssuetrakServer, kitsu_server: KitsuServer
) -> None:
    root = site(issuetrak_server)
    host = root.split("//", 1)[1].split("/", 1)[0]
    looks_like = [
        "https://example.com/helpdesk/Issue_View.asp?ID=1001",  # another host
        root.replace("/helpdesk", "/other") + "/Issue_View.asp?ID=1001",  # another root path
        root.replace("http://", "https://") + "/Issue_View.asp?ID=1001",  # another scheme
        root.replace(host, f"alice:pw@{host}") + "/Issue_View.asp?ID=1001",  # user info
        root.replace(host, host.rsplit(":", 1)[0] + ":1") + "/Issue_View.asp?ID=1001",  # another port
        f"{root}/Issue_View.asp?ID=1001&ID=1002",  # which one?
        f"{root}/Issue_View.asp?ID=１００１",  # full-width digits
        f"{root}/Issue_View.asp?ID=10000000000",  # longer than an issue number
        f"{root}/Issue_Edit.asp?ID=1001",  # another page
        f"{kitsu_server.url}/productions/not-a-uuid",
        "not a url at all",
        "javascript:alert(1)",
    ]
    before = (len(issuetrak_server.state.received), kitsu_server.state.logins)
    reply = paste(chat, *looks_like)
    assert reply.status == 200
    assert not reply.of("chat.unfurl")
    assert (len(issuetrak_server.state.received), kitsu_server.state.logins) == before


def test_many_links_read_only_a_few_cards(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    """A forged event with 500 links reads `MAX_LINKS` issues, not 500."""
    links = [f"{site(issuetrak_server)}/Issue_View.asp?ID={1001 + n}" for n in range(500)]
    reply = paste(chat, *links)
    issue_reads = [r for r in issuetrak_server.state.received if r[0] == "GET" and "/issues/" in r[1]]
    assert len(issue_reads) == MAX_LINKS
    assert set(unfurled(reply)) - {"target"} == set(links[:MAX_LINKS])


def test_the_same_link_pasted_again_is_read_once(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1003"
    first = unfurled(paste(chat, issue))
    reads = len([r for r in issuetrak_server.state.received if r[1].endswith("/1003")])
    again = unfurled(paste(chat, issue, issue))  # and twice in one message
    assert again[issue] == first[issue]
    assert len([r for r in issuetrak_server.state.received if r[1].endswith("/1003")]) == reads == 1


def test_a_slack_retry_of_the_event_unfurls_the_same_cards(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1004"
    first = unfurled(paste(chat, issue))
    again = unfurled(paste(chat, issue, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}))
    assert again == first


def test_an_event_that_is_not_signed_unfurls_nothing(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    payload = slack_payloads.link_shared(chat.who("ev"), MESSAGE_TS, [f"{site(issuetrak_server)}/Issue_View.asp?ID=1"])
    reply = chat._exchange(json.dumps(payload), "application/json", signature="v0=" + "0" * 64)
    assert reply.status == 401 and not reply.of("chat.unfurl")


def test_slack_refusing_the_unfurl_is_logged_and_nothing_else(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer, runtime: Runtime
) -> None:
    slack_state.failures["chat.unfurl"] = ["cannot_unfurl_message"]
    reply = paste(chat, f"{site(issuetrak_server)}/Issue_View.asp?ID=1005")
    assert [c.method for c in reply.calls if c.method.startswith("chat.")] == ["chat.unfurl:cannot_unfurl_message"]
    assert not runtime.tasks


# --- who may see what a link shows -------------------------------------------------------------


def _posted_anything(reply: Reply) -> list[str]:
    """Every call that would show something in Slack (an unfurl, a message, an ephemeral)."""
    shown = ("chat.unfurl", "chat.postMessage", "chat.postEphemeral", "response_url")
    return [c.method for c in reply.calls if c.method.split(":")[0] in shown]


def test_an_issue_link_unfurls_only_for_someone_who_may_read_issues(
    chat: Chat, issuetrak_server: IssuetrakServer
) -> None:
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1001"
    project = f"{site(issuetrak_server)}/Project_View.asp?ID=1"
    chat.user = "U0NOBODY"  # no Issuetrak user has Nora's email
    refused = paste(chat, issue)
    assert refused.status == 200 and not _posted_anything(refused)
    both = unfurled(paste(chat, issue, project))  # a project card needs no identity, as `/tracker project`
    assert set(both) == {"target", project}
    assert "Render node" not in json.dumps(chat.slack.calls[-1].args)

    chat.runtime.settings.OPEN_READS = True
    assert "Render node rn-07" in unfurled(paste(chat, issue))[issue]


def test_a_guest_unfurls_nothing_unless_guests_are_allowed(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer, kitsu_server: KitsuServer
) -> None:
    slack_state.add_user("U0CAM", "Camille Dubois", "camille.dubois@example.com").is_restricted = True  # cdubois
    chat.user = "U0CAM"
    production, _ = kitsu_ids(kitsu_server, "Moonrise", "Luna")
    links = (f"{site(issuetrak_server)}/Issue_View.asp?ID=1001", f"{kitsu_server.url}/productions/{production}")
    refused = paste(chat, *links)
    assert refused.status == 200 and not _posted_anything(refused)
    assert kitsu_server.state.logins == 0  # nothing was read for the guest

    chat.runtime.settings.ALLOW_GUESTS = True
    assert set(unfurled(paste(chat, *links))) == {"target", *links}  # Camille's email is cdubois's


def test_a_tracker_that_is_down_leaves_its_links_plain_and_says_nothing(
    chat: Chat, issuetrak_server: IssuetrakServer, kitsu_server: KitsuServer
) -> None:
    production, _ = kitsu_ids(kitsu_server, "Tidepool", "Rowboat")
    kitsu_link = f"{kitsu_server.url}/productions/{production}"
    issuetrak_server.state.faults.fail_rate = 1.0  # every Issuetrak request answered 503
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1001"
    reply = paste(chat, issue, f"{site(issuetrak_server)}/Project_View.asp?ID=2", kitsu_link)
    assert set(unfurled(reply)) == {"target", kitsu_link}
    assert _posted_anything(reply) == ["chat.unfurl"]

    kitsu_server.state.faults.fail_rate = 1.0
    assert not _posted_anything(paste(chat, issue, kitsu_link.replace(production, production[:-1] + "0")))


def test_a_tracker_slower_than_the_deadline_leaves_its_link_plain(
    chat: Chat, issuetrak_server: IssuetrakServer, projectrak_server: ProjectrakServer
) -> None:
    projectrak_server.state.faults.latency = CARD_SECONDS + 1
    issue = f"{site(issuetrak_server)}/Issue_View.asp?ID=1007"
    jira = f"{projectrak_server.state.site_url}/browse/OPS"
    assert set(unfurled(paste(chat, issue, jira))) == {"target", issue}


def test_an_unknown_issue_stays_a_plain_link(chat: Chat, issuetrak_server: IssuetrakServer) -> None:
    known = f"{site(issuetrak_server)}/Issue_View.asp?ID=1009"
    assert set(unfurled(paste(chat, f"{site(issuetrak_server)}/Issue_View.asp?ID=999", known))) == {"target", known}


def test_when_slack_cannot_say_who_pasted_nothing_unfurls(
    chat: Chat, slack_state: SlackState, issuetrak_server: IssuetrakServer
) -> None:
    slack_state.rate_limits["users.info"] = 4  # the first try and every retry the client makes
    reply = paste(chat, f"{site(issuetrak_server)}/Project_View.asp?ID=1")
    assert reply.status == 200 and not _posted_anything(reply)
