"""Every tracker demo server takes the one latency-and-fault knob (`state.faults`, bot.demo.knobs.Faults):
a failure rate set on it makes each server answer 503, seen by each client as Unavailable."""

from __future__ import annotations

import pytest

from bot.demo.knobs import Faults
from bot.trackers.aip import AipClient
from bot.trackers.capabilities import Probe
from bot.trackers.errors import Unavailable
from bot.trackers.issuetrak import IssuetrakClient
from bot.trackers.kitsu import KitsuClient
from bot.trackers.projectrak import ProjectrakClient
from tests.fixtures.aip import AipServer
from tests.fixtures.issuetrak import IssuetrakServer
from tests.fixtures.kitsu import KitsuServer
from tests.fixtures.projectrak import ProjectrakServer


async def test_every_demo_server_fails_at_the_rate_its_knob_says(
    issuetrak_server: IssuetrakServer,
    issuetrak_client: IssuetrakClient,
    projectrak_server: ProjectrakServer,
    projectrak_client: ProjectrakClient,
    aip_server: AipServer,
    aip_client: AipClient,
    kitsu_server: KitsuServer,
    kitsu_client: KitsuClient,
) -> None:
    pairs: list[tuple[Faults, Probe]] = [
        (issuetrak_server.state.faults, issuetrak_client),
        (projectrak_server.state.faults, projectrak_client),
        (aip_server.state.faults, aip_client),
        (kitsu_server.state.faults, kitsu_client),
    ]
    for faults, client in pairs:
        assert await client.ping(), client.name
        faults.fail_rate = 1.0
        with pytest.raises(Unavailable):
            await client.ping()
        faults.fail_rate = 0.0
        assert await client.ping(), client.name
