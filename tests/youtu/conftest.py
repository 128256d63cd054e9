"""One YouTu emulator per module on a free loopback port, real vision, real face photos."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from edge.emulators.common import ServerThread, TlsFiles
from edge.emulators.youtu.app import create_app
from edge.emulators.youtu.engine import FaceEngine, VisionEngine
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store
from edge.identify.thresholds import FarTable
from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE, YoutuBackendConfig
from edge.identify.youtu.signature import SignatureVerifier
from edge.vision.config import VisionSettings

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
APPID = "1250000000"
SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "SECRETKEYEXAMPLE"


def photo(name: str) -> bytes:
    """e.g. ``photo("Barack_Obama/1")``."""
    return (FACES / f"{name}.jpg").read_bytes()


@pytest.fixture(scope="session")
def engine() -> VisionEngine:
    return VisionEngine.shipped(VisionSettings(), FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE))


@contextmanager
def running_emulator(engine: FaceEngine, data_dir: Path, limits: Limits,
                     tls: TlsFiles | None = None) -> Iterator[ServerThread]:
    store = Store(data_dir / "youtu.sqlite")
    service = YoutuService(store, engine, limits)
    app = create_app(service, SignatureVerifier(APPID, {SECRET_ID: SECRET_KEY}))
    try:
        with ServerThread(app, tls=tls) as running:
            yield running
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(engine: VisionEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A fresh emulator (empty state) for each test module, with the documented limits."""
    with running_emulator(engine, tmp_path_factory.mktemp("youtu"), Limits()) as running:
        yield running


def youtu_config(base_url: str, **overrides: object) -> YoutuBackendConfig:
    fields: dict[str, object] = {
        "base_url": base_url,
        "appid": APPID,
        "secret_id": SECRET_ID,
        "secret_key": SecretStr(SECRET_KEY),
        "backoff_s": 0.01,
        **overrides,
    }
    return YoutuBackendConfig.model_validate(fields)


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[YoutuClient]:
    with YoutuClient(youtu_config(server.url)) as running:
        yield running


@pytest.fixture
def make_client() -> Iterator[Callable[..., YoutuClient]]:
    made: list[YoutuClient] = []

    def make(base_url: str, **overrides: object) -> YoutuClient:
        made.append(YoutuClient(youtu_config(base_url, **overrides)))
        return made[-1]

    yield make
    for each in made:
        each.close()
