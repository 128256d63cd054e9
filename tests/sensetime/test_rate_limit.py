"""The rate limit: headers on every answer, 403 over the limit, and a client that waits it out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from edge.identify.sensetime.errors import RateLimitExceeded
from tests.sensetime.conftest import API_ID, API_SECRET, Emulator

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}


@pytest.fixture
def limited(start_emulator: Callable[..., Any]) -> Iterator[Emulator]:
    with start_emulator(rate_limit="5q/1s") as emulator:
        yield emulator


@pytest.fixture
def slow_window(start_emulator: Callable[..., Any]) -> Iterator[Emulator]:
    """5 calls per 5 s: a few calls never straddle two windows, even on a loaded machine."""
    with start_emulator(rate_limit="5q/5s") as emulator:
        yield emulator


def test_every_answer_carries_the_headers_and_the_sixth_call_is_refused(slow_window: Emulator) -> None:
    answers = [httpx.get(f"{slow_window.url}/info/api", params=CREDENTIALS) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [403]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "5" for a in answers)
    assert all(1 <= int(a.headers["X-RateLimit-Reset"]) <= 5 for a in answers)
    assert answers[-1].json()["status"] == "RATE_LIMIT_EXCEEDED"


def test_failed_calls_count_too(slow_window: Emulator) -> None:
    for _ in range(5):
        assert httpx.get(f"{slow_window.url}/info/api", params={"api_id": "wrong"}).status_code == 401
    assert httpx.get(f"{slow_window.url}/info/api", params=CREDENTIALS).status_code == 403


class Recording(httpx.HTTPTransport):
    """A real transport that notes the status of every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


def test_a_burst_waits_for_the_reset_and_completes(limited: Emulator) -> None:
    transport = Recording()
    with limited.client(timeout_s=10.0, transport=transport) as client:
        start = time.monotonic()
        names = [client.group_create(f"group {k}") for k in range(12)]
        elapsed = time.monotonic() - start
        assert sorted(g.name for g in client.list_groups()) == sorted(f"group {k}" for k in range(12))
    assert len(set(names)) == 12
    assert elapsed >= 2.0  # 12 calls at 5 per second need three windows
    assert 403 not in transport.statuses  # it waited for the reset instead of hammering


@pytest.fixture
def two_second_window(start_emulator: Callable[..., Any]) -> Iterator[Emulator]:
    with start_emulator(rate_limit="5q/2s") as emulator:
        yield emulator


def test_a_refused_call_is_retried_after_the_reset(two_second_window: Emulator) -> None:
    transport = Recording()
    with two_second_window.client(timeout_s=5.0, transport=transport) as client:
        for _ in range(5):  # someone else spends the window
            httpx.get(f"{two_second_window.url}/info/api", params=CREDENTIALS)
        assert client.info_api().api_id == API_ID
    assert transport.statuses == [403, 200]


def test_no_retry_past_the_callers_deadline(two_second_window: Emulator) -> None:
    with two_second_window.client() as client:
        for _ in range(5):
            httpx.get(f"{two_second_window.url}/info/api", params=CREDENTIALS)
        with pytest.raises(RateLimitExceeded) as error:
            client.info_api(timeout_s=0.3)
    assert error.value.http_status == 403
