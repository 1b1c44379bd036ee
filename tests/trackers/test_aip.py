"""AipClient against the AIP contract server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.settings import SettingsError, load_settings
from bot.trackers.aip import AipClient, asset_page, check_asset_url
from bot.trackers.errors import AuthenticationRefused, InvalidInput, NotFound, TimedOut, Unavailable
from bot.trackers.http_client import HttpOptions
from tests.fixtures.aip import AipServer
from tests.fixtures.projectrak import FAST_RETRIES


def _client(server: AipServer, token: str | None = None, options: HttpOptions = FAST_RETRIES) -> AipClient:
    return AipClient(server.url, token if token is not None else server.state.token, options=options)


async def test_an_asset_maps_onto_the_card(aip_client: AipClient) -> None:
    asset = await aip_client.get_asset("LAPTOP-0042")
    assert (asset.key, asset.name, asset.status) == ("LAPTOP-0042", "MacBook Pro 14 (Alice)", "In use")
    assert asset.id == "5012" and asset.collection == "Collection 1"  # no collections endpoint: the id shows
    assert list(asset.attributes)[:5] == ["Serial number", "Assignee", "Location", "Purchase date", "Warranty until"]
    assert asset.attributes["Assignee"] == "Alice Martin"
    assert asset.attributes["Company"] == "Northwind Studio"  # a global attribute, sent as a dict
    assert asset.created_by == "Farid Haddad"
    assert asset.created_at is not None and asset.created_at.tzinfo is not None
    assert asset.attachments == 0


async def test_an_empty_attribute_is_left_out(aip_client: AipClient) -> None:
    spare = await aip_client.get_asset("LAPTOP-0038")
    assert spare.status == "In stock" and "Assignee" not in spare.attributes


async def test_an_unknown_key_is_not_found(aip_client: AipClient) -> None:
    with pytest.raises(NotFound) as caught:
        await aip_client.get_asset("LAPTOP-9999")
    assert str(caught.value) == "Asset LAPTOP-9999 does not exist in AIP."


async def test_paging_through_a_search_covers_every_match_once(aip_server: AipServer, aip_client: AipClient) -> None:
    first = await aip_client.search("laptop")
    assert (first.start_at, first.total, len(first.assets), first.has_more) == (0, 12, 10, True)
    keys: list[str | None] = []
    start = 0
    while True:
        page = await aip_client.search("laptop", start_at=start, max_result=5)
        assert page.start_at == start
        keys += [a.key for a in page.assets]
        if not page.has_more:
            break
        start += len(page.assets)
    assert len(keys) == len(set(keys)) == 12
    assert all(key and key.startswith("LAPTOP-") for key in keys)
    assert [r.params["startAt"] for r in aip_server.state.received("GET", "/assets/search")] == ["0", "0", "5", "10"]


async def test_search_matches_attribute_values_in_any_case(aip_client: AipClient) -> None:
    assert {a.key for a in (await aip_client.search("ALICE")).assets} == {"LAPTOP-0042", "MON-0101"}
    assert (await aip_client.search("submarine")).total == 0


async def test_the_server_caps_pages_and_refuses_bad_paging(aip_server: AipServer, aip_client: AipClient) -> None:
    headers = {"Authorization": f"Bearer {aip_server.state.token}"}
    async with httpx.AsyncClient(base_url=aip_server.url, headers=headers) as http:
        answer = (await http.get("/assets/search", params={"query": "", "maxResult": 200})).json()
    assert (answer["maxResult"], answer["total"], len(answer["values"])) == (50, 30, 30)
    with pytest.raises(InvalidInput):
        await aip_client.search("laptop", start_at=-1)


async def test_ping_counts_assets(aip_client: AipClient) -> None:
    assert await aip_client.ping() == "30 assets"


async def test_a_wrong_token_is_refused_once_without_replay(aip_server: AipServer) -> None:
    client = _client(aip_server, token="not-the-t0ken")
    try:
        with pytest.raises(AuthenticationRefused) as caught:
            await client.get_asset("LAPTOP-0042")
    finally:
        await client.aclose()
    assert "not-the-t0ken" not in str(caught.value)
    assert [r.status for r in aip_server.state.requests] == [401]


async def test_an_expired_token_is_refused_and_reported(aip_server: AipServer) -> None:
    token = aip_server.state.new_token(timedelta(seconds=-60))
    client = _client(aip_server, token)
    try:
        with pytest.raises(AuthenticationRefused):
            await client.ping()
        warning = client.token_expiry_warning()
    finally:
        await client.aclose()
    assert warning is not None and warning.startswith("The AIP token expired on ")


async def test_the_token_expiry_warning_comes_from_the_jwt_exp(aip_server: AipServer) -> None:
    client = _client(aip_server, aip_server.state.new_token(timedelta(days=5)))
    try:
        expires = client.token_expires_at
        assert expires is not None
        assert abs(expires - (datetime.now(UTC) + timedelta(days=5))) < timedelta(seconds=5)
        now = expires - timedelta(days=5)
        day = expires.date().isoformat()
        assert client.token_expiry_warning(now) == (
            f"The AIP token expires in 5 days ({day}); create a new one in AIP › Settings › API Token."
        )
        tomorrow = client.token_expiry_warning(expires - timedelta(days=1))
        assert tomorrow is not None and tomorrow.startswith("The AIP token expires tomorrow")
        assert client.token_expiry_warning(now, within_days=4) is None
        assert (await client.ping()).startswith("30 assets; The AIP token expires in 5 days")  # valid, but say so
    finally:
        await client.aclose()


@pytest.mark.parametrize("expiry", [None, "opaque"])
async def test_no_warning_for_a_token_that_never_expires(aip_server: AipServer, expiry: str | None) -> None:
    state = aip_server.state
    state.token = "an-opaque-token" if expiry == "opaque" else state.new_token(None)
    client = _client(aip_server)
    try:
        assert client.token_expires_at is None and client.token_expiry_warning() is None
        assert await client.ping() == "30 assets"
    finally:
        await client.aclose()


async def test_a_503_on_a_read_is_retried(aip_server: AipServer, aip_client: AipClient) -> None:
    aip_server.state.faults.fail_next = [503]
    assert (await aip_client.get_asset("VEH-0301")).name == "Renault Master (camera van)"
    assert [r.status for r in aip_server.state.requests] == [503, 200]


async def test_a_server_that_keeps_failing_is_unavailable(aip_server: AipServer, aip_client: AipClient) -> None:
    aip_server.state.faults.fail_next = [503, 502, 500]
    with pytest.raises(Unavailable):
        await aip_client.search("laptop")
    assert len(aip_server.state.requests) == FAST_RETRIES.attempts


async def test_a_slow_answer_times_out(aip_server: AipServer) -> None:
    aip_server.state.faults.latency = 0.3
    client = _client(aip_server, options=HttpOptions(read_timeout=0.05, attempts=1))
    try:
        with pytest.raises(TimedOut):
            await client.search("laptop")
    finally:
        await client.aclose()


# --- AIP_ASSET_URL: an asset's page ----------------------------------------------------------------
PAGE = "https://example.atlassian.net/plugins/servlet/ac/aip/asset?assetKey={key}"


async def test_with_a_page_template_every_asset_has_its_page(aip_server: AipServer) -> None:
    client = AipClient(aip_server.url, aip_server.state.token, asset_url=PAGE, options=FAST_RETRIES)
    try:
        assert (await client.get_asset("LAPTOP-0042")).url == PAGE.format(key="LAPTOP-0042")
        page = await client.search("laptop")
        assert [a.url for a in page.assets] == [PAGE.format(key=a.key) for a in page.assets]
    finally:
        await client.aclose()


async def test_without_a_page_template_no_asset_has_a_page(aip_client: AipClient) -> None:
    assert (await aip_client.get_asset("LAPTOP-0042")).url is None
    assert all(a.url is None for a in (await aip_client.search("laptop")).assets)


def test_the_key_and_id_are_url_quoted_into_the_template() -> None:
    template = "https://aip.example.com/a/{id}?assetKey={key}&x={{literal}}"
    assert asset_page(template, "A&B/1 #2?", "7 8") == (
        "https://aip.example.com/a/7%208?assetKey=A%26B%2F1%20%232%3F&x={literal}"
    )
    assert asset_page(template, "A-1", None) is None  # the template needs an id the asset lacks
    assert asset_page(None, "A-1", "7") is None


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("http://aip.example.com/{key}", "must be an https URL"),
        ("javascript:alert(1)//{key}", "http(s) URL"),
        ("https://{key}.example.com/", "must name its host as is"),
        ("https://aip.example.com/assets", "must contain {key}"),
        ("https://aip.example.com/{name}?k={key}", "may name only {key} and {id}"),
        ("https://aip.example.com/{key.__class__}", "may name only {key} and {id}"),
        ("https://aip.example.com/{key!r}", "may name only {key} and {id}"),
        ("https://aip.example.com/{key", "may name only {key} and {id}"),
    ],
)
def test_a_bad_page_template_stops_the_start_with_the_other_problems(template: str, why: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _env_file=None, AIP_URL="https://aip.example.com", AIP_TOKEN="t0ken", AIP_ASSET_URL=template, PORT="0"
        )
    assert len(caught.value.problems) == 2 and caught.value.problems[0].startswith("PORT")
    assert "AIP_ASSET_URL" in caught.value.problems[1] and why in caught.value.problems[1]


def test_a_page_template_may_be_plain_http_on_loopback_only() -> None:
    for host in ("127.0.0.1:8080", "localhost", "[::1]"):
        assert check_asset_url(f"http://{host}/a?key={{key}}") == f"http://{host}/a?key={{key}}"
