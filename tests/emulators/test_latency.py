"""An emulator's added latency (``--latency-ms``) over real HTTP: each request waits, side by side."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.emulators.latency import AddedLatency, with_latency


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


def test_concurrent_requests_wait_side_by_side() -> None:
    with ServerThread(with_latency(APP, 500)) as server, httpx.Client(timeout=5) as client:
        started = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda _: client.get(server.url).text, range(3)))
        took = time.monotonic() - started
    assert answers == ["hello"] * 3
    assert 0.5 <= took < 1.0  # one latency, not three in a row


def test_no_latency_is_the_app_itself_and_a_negative_one_is_refused() -> None:
    assert with_latency(APP, 0) is APP
    with pytest.raises(ValueError, match="negative"):
        AddedLatency(APP, -0.1)
