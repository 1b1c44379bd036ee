"""Clients that hold connections without finishing a request, on a real `python -m bot` held to
128 descriptors (so its connection cap is 64): a request head must arrive whole within
HEAD_SECONDS of the connection opening or of the previous answer, however its bytes trickle in;
beyond the cap a new connection is still accepted, the one waiting longest for a head closed to
make room, or, when every connection has a request in flight, the new one answered 503; and
`/healthz` and signed commands are answered while many slow connections are open."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.process import bot_command
from bot.demo.loopback import serve_in_thread
from bot.demo.slack import SlackState
from bot.demo.slack import create_app as create_slack_standin
from bot.running.web import HEAD_SECONDS
from tests.bot_processes import ROOT, bot_environment, bot_process, free_port, send_command

DESCRIPTORS = 128
CAP = DESCRIPTORS // 2  # bot.running.web.connection_cap
LATE_SECONDS = 3.0  # how late a closing may be read on a loaded machine
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """(port, Slack stand-in URL) of `python -m bot` held to DESCRIPTORS open files."""
    state = SlackState()
    state.add_user("U0ALICE", "Alice Martin", "alice@example.com")
    with serve_in_thread(create_slack_standin(state)) as slack_url:
        port = free_port()
        env = bot_environment(port, f"sqlite:///{tmp_path / 'bot.db'}", slack_url)
        with bot_process(env, port, tmp_path / "bot.log", descriptors=DESCRIPTORS):
            yield port, slack_url


async def _closed(stream: Stream, trickle: bool) -> float:
    """Read until the bot closes the connection, sending a header line every 0.5 s if `trickle`;
    the monotonic time it closed. Anything the bot answers first fails the test."""
    reader, writer = stream
    while True:
        try:
            data = await asyncio.wait_for(reader.read(1024), 0.5)
        except TimeoutError:
            if trickle:
                writer.write(b"X-Slow: 1\r\n")
            continue
        except ConnectionResetError:
            data = b""
        assert data == b"", data
        writer.close()
        return time.monotonic()


async def _get(port: int, path: str) -> bytes:
    """A whole GET on a fresh connection; the answer's status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET %s HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n" % path.encode())
        return (await reader.readuntil(b"\r\n")).strip()
    finally:
        writer.close()


async def test_a_head_still_arriving_or_never_started_is_closed_at_the_deadline(bot: tuple[int, str]) -> None:
    """A connection that sends nothing, one that trickles a head a header line at a time (uvicorn's
    keep-alive timeout restarts at every byte, so it never closed this one), and one that had an
    answer and then trickles its next head: each is closed HEAD_SECONDS after it began to wait."""
    port, _slack_url = bot
    idle = await asyncio.open_connection("127.0.0.1", port)
    idle_since = time.monotonic()
    trickling = await asyncio.open_connection("127.0.0.1", port)
    trickling_since = time.monotonic()
    trickling[1].write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n")
    kept = await asyncio.open_connection("127.0.0.1", port)
    kept[1].write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
    head = await kept[0].readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    await kept[0].readexactly(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]))
    kept_since = time.monotonic()
    kept[1].write(b"GET /healthz HTTP/1.1\r\n")

    closed = await asyncio.gather(_closed(idle, False), _closed(trickling, True), _closed(kept, True))
    waited = [end - since for end, since in zip(closed, (idle_since, trickling_since, kept_since), strict=True)]
    assert all(HEAD_SECONDS - 0.5 < seconds < HEAD_SECONDS + LATE_SECONDS for seconds in waited), waited


async def test_beyond_the_cap_the_longest_waiting_is_closed_and_healthz_and_commands_answer(
    bot: tuple[int, str],
) -> None:
    """Three times the cap of slow connections (more than the bot's descriptors): each one past
    the cap closes the connection waiting longest, at once, not at the deadline; `/healthz` and a
    signed command are answered while the cap's worth of slow connections stay open."""
    port, slack_url = bot
    slow: list[tuple[Stream, float]] = []
    for _ in range(3 * CAP):
        stream = await asyncio.open_connection("127.0.0.1", port)
        stream[1].write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n")
        slow.append((stream, time.monotonic()))

    assert await _get(port, "/healthz") == b"HTTP/1.1 200 OK"
    answer = await asyncio.to_thread(send_command, port, slack_url, "help", "slow-help")
    assert answer.status_code == 200 and "/tracker" in answer.text

    # The oldest two caps' worth (and one per request above) were closed to make room, well
    # before their deadline; the newest are still open.
    evicted = slow[: 2 * CAP]
    ends = await asyncio.gather(*(_closed(stream, False) for stream, _ in evicted))
    assert max(end - since for end, (_, since) in zip(ends, evicted, strict=True)) < HEAD_SECONDS - 1
    newest_reader = slow[-1][0][0]
    assert not newest_reader.at_eof()
    for (_, writer), _ in slow:
        writer.close()


async def test_beyond_the_cap_with_every_request_in_flight_a_new_connection_gets_503(bot: tuple[int, str]) -> None:
    """When every connection up to the cap has a request in flight (its body still arriving),
    there is none to close: a new connection is still accepted, not refused, and answered 503;
    once those requests end, `/healthz` answers 200 again."""
    port, _slack_url = bot
    busy: list[Stream] = []
    for _ in range(CAP):
        stream = await asyncio.open_connection("127.0.0.1", port)
        stream[1].write(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"
        )
        busy.append(stream)
    for reader, _ in busy:  # the bot is reading each body: every request is in flight
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100 ")

    assert await _get(port, "/healthz") == b"HTTP/1.1 503 Service Unavailable"

    for _, writer in busy:
        writer.close()
    deadline = time.monotonic() + 10
    while (status := await _get(port, "/healthz")) != b"HTTP/1.1 200 OK":
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.1)


def test_the_connection_cap_is_half_the_descriptor_limit_at_most_4096() -> None:
    """Read in a child process held to each limit, as the bot is (so the cap the tests above rely
    on is the bot's own)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for limit, cap in ((128, 64), (1024, 512), (9000, 4096)):
        if hard != resource.RLIM_INFINITY and limit > hard:
            continue  # this machine cannot raise it so far
        command = [
            *bot_command(limit)[:-2],
            "-c",
            "from bot.running.web import connection_cap; print(connection_cap())",
        ]
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        assert int(out.stdout) == cap, (limit, out)
