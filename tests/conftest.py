"""Fixtures shared by every test package."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Broker, running_broker

FIXTURES = Path(__file__).parent / "fixtures"

# Servers under test run in threads, where uvicorn and anyio import these lazily on the first
# request. Importing in several threads at once under pytest's import hook has crashed CPython
# 3.11 ("SystemError: AST constructor recursion depth mismatch"), so import them here, once.
for _module in (
    "anyio._backends._asyncio", "anyio.to_thread", "h11", "python_multipart", "starlette.formparsers",
    "uvicorn.lifespan.on", "uvicorn.loops.asyncio", "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.auto",
):
    importlib.import_module(_module)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh anonymous Mosquitto on a free loopback port."""
    with running_broker(tmp_path) as running:
        yield running
