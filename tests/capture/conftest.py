"""Fixtures of the camera stand-ins (tests/support/cameras.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cameras import MjpegServer


@pytest.fixture
def silent_stream() -> Iterator[MjpegServer]:
    with MjpegServer(frames=0) as server:
        yield server


@pytest.fixture
def stalling_stream() -> Iterator[MjpegServer]:
    with MjpegServer(frames=20) as server:
        yield server
