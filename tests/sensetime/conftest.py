"""SenseTime emulators on free loopback ports (real vision core, real face photos), clients on them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from edge.emulators.common import ServerThread
from edge.emulators.sensetime.app import create_app
from edge.emulators.sensetime.engine import VisionEngine
from edge.emulators.sensetime.settings import EmulatorSettings, RateLimit
from edge.identify.sensetime.client import SenseTimeClient
from edge.vision.config import VisionSettings

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
API_ID = "0123456789abcdef0123456789abcdef"
API_SECRET = "fedcba9876543210fedcba9876543210"


def photo(name: str) -> bytes:
    """e.g. ``photo("Barack_Obama/1")``."""
    return (FACES / f"{name}.jpg").read_bytes()


class Clock:
    """Wall time plus an offset the test moves forward (face expiry, task lifetime)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Emulator:
    def __init__(self, server: ServerThread, settings: EmulatorSettings, clock: Clock) -> None:
        self.server, self.settings, self.clock = server, settings, clock
        self.url = server.url

    def client(self, **options: Any) -> SenseTimeClient:
        options.setdefault("timeout_s", 10.0)
        options.setdefault("poll_interval_s", 0.05)
        return SenseTimeClient(API_ID, API_SECRET, base_url=self.url, **options)


@pytest.fixture(scope="session")
def engine() -> VisionEngine:
    return VisionEngine(VisionSettings())


@pytest.fixture(scope="session")
def start_emulator(engine: VisionEngine, tmp_path_factory: pytest.TempPathFactory
                   ) -> Callable[..., Any]:
    """``with start_emulator(rate_limit="5q/1s") as emulator: ...``; ``data_dir`` to reuse state."""

    @contextmanager
    def start(data_dir: Path | None = None, rate_limit: str = "1000q/1s", **overrides: Any
              ) -> Iterator[Emulator]:
        settings = EmulatorSettings(API_ID, API_SECRET, data_dir or tmp_path_factory.mktemp("sensetime"),
                                    RateLimit.parse(rate_limit), train_delay_s=0.3)
        settings = replace(settings, **overrides)
        clock = Clock()
        with ServerThread(create_app(settings, engine, clock)) as server:
            yield Emulator(server, settings, clock)

    return start


@pytest.fixture(scope="module")
def emulator(start_emulator: Callable[..., Any]) -> Iterator[Emulator]:
    """One emulator per test module (state shared by its tests)."""
    with start_emulator() as running:
        yield running


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Iterator[SenseTimeClient]:
    with emulator.client() as running:
        yield running


@pytest.fixture(scope="module")
def faces(client: SenseTimeClient) -> dict[str, str]:
    """One detected face_id per fixture photo, e.g. ``faces["Barack_Obama/1"]``."""
    found = {}
    for path in sorted(FACES.glob("*/*.jpg")):
        name = f"{path.parent.name}/{path.stem}"
        (face,) = client.detect(path.read_bytes()).faces
        found[name] = face.face_id
    return found
