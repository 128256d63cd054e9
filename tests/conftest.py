"""Fixtures shared by every test package."""

from __future__ import annotations

import importlib
import os
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
def default_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Default settings only: no EDGE_* from the environment, an empty config file."""
    for key in [k for k in os.environ if k.startswith("EDGE_")]:
        monkeypatch.delenv(key)
    config = tmp_path / "edge.toml"
    config.write_text("")
    monkeypatch.setenv("EDGE_CONFIG", str(config))


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A fresh anonymous Mosquitto on a free loopback port."""
    with running_broker(tmp_path) as running:
        yield running
