"""A tracker's own pages read back from pasted URLs: each card's link is recognised as the page
it shows, and nothing else is, whatever the text (never an exception)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.kitsu import ASSET_PAGE, PROJECT_PAGE, KitsuClient
from bot.trackers.models import Page, PageKind, TrackerName
from bot.trackers.pages import below
from bot.trackers.projectrak import BROWSE_URL, ProjectrakClient

ISSUETRAK = IssuetrakClient("https://it.example.com/helpdesk/api/v1", "key")
KITSU = KitsuClient("https://kitsu.example.com/api", token="t")
PROJECTRAK = ProjectrakClient("https://profields.example.com", "id", "key")
PRODUCTION, ASSET = "0b9d3b4e-4f37-5b7a-9d6f-2f1f5c6a7e01", "9a8b7c6d-1e2f-5a3b-8c4d-5e6f7a8b9c0d"


def test_each_cards_link_is_the_page_it_shows() -> None:
    issue, project = ISSUETRAK.issue_url(1001), ISSUETRAK.project_url(7)
    assert ISSUETRAK.page_of(issue) == Page(tracker=TrackerName.ISSUETRAK, kind=PageKind.ISSUE, ref="1001", url=issue)
    assert ISSUETRAK.page_of(project) == Page(
        tracker=TrackerName.ISSUETRAK, kind=PageKind.PROJECT, ref="7", url=project
    )
    assert ISSUETRAK.page_of(issue.replace("Issue_View", "issue_view")) is not None  # IIS: any case
    production = PROJECT_PAGE.format(web=KITSU.web, project_id=PRODUCTION)
    asset = ASSET_PAGE.format(web=KITSU.web, project_id=PRODUCTION, asset_id=ASSET)
    assert KITSU.page_of(production) == Page(
        tracker=TrackerName.KITSU, kind=PageKind.PROJECT, ref=PRODUCTION, url=production
    )
    assert KITSU.page_of(asset) == Page(
        tracker=TrackerName.KITSU, kind=PageKind.ASSET, ref=ASSET, parent=PRODUCTION, url=asset
    )
    jira = BROWSE_URL.format(site="https://acme.atlassian.net", key="WEB")
    assert PROJECTRAK.page_of(jira) == Page(tracker=TrackerName.PROJECTRAK, kind=PageKind.PROJECT, ref="WEB", url=jira)


def test_once_projectrak_names_its_jira_site_other_sites_are_not_its_pages() -> None:
    client = ProjectrakClient("https://profields.example.com", "id", "key")
    client.site_url = "https://acme.atlassian.net/jira"
    assert client.page_of("https://acme.atlassian.net/jira/browse/WEB") is not None
    assert client.page_of("https://acme.atlassian.net/browse/WEB") is None
    assert client.page_of("https://evil.example/jira/browse/WEB") is None


def test_slacks_escaped_ampersand_is_read_as_one() -> None:
    assert ISSUETRAK.page_of("https://it.example.com/helpdesk/Issue_View.asp?x=1&amp;ID=5") is not None
    assert below("https://it.example.com/helpdesk/a?x=1&amp;y=2", "https://it.example.com/helpdesk") is not None


@given(st.text(max_size=300))
def test_no_text_is_a_page_by_accident_or_raises(text: str) -> None:
    for client in (ISSUETRAK, KITSU, PROJECTRAK):
        page = client.page_of(text)
        assert page is None or page.url == text


@given(st.text(alphabet="/?&=#:@%.abcdeIDVw_0123456789", max_size=80))
def test_urls_of_the_site_with_any_tail_never_raise(tail: str) -> None:
    for text in ("https://it.example.com/helpdesk/" + tail, "https://kitsu.example.com/" + tail):
        for client in (ISSUETRAK, KITSU, PROJECTRAK):
            client.page_of(text)
