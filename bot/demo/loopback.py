"""Serve an ASGI app on 127.0.0.1 in a background thread (tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn


@contextmanager
def serve_in_thread(
    app: Any, *, log_level: str = "warning", lifespan: Literal["auto", "on", "off"] = "off"
) -> Iterator[str]:
    """Run `app` under uvicorn on a free loopback port; yield its base URL. `lifespan="on"`
    runs the app's start-up and shutdown as a real server would."""
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only then, and keep-alive answers
    # would otherwise wait for the client's delayed ACK (~40 ms each).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan=lifespan, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("loopback server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # uvicorn notices within its 0.1 s tick and closes the socket itself; not waiting for
        # that keeps a test suite that starts hundreds of servers from idling in teardowns.
        server.should_exit = True
