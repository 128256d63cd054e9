"""The three emulators on loopback with real vision, each with a raw HTTP sender and its state.

``Target.send(endpoint, ...)`` makes a request exactly as given (body, content type) but with
valid credentials, so malformed input reaches the API's own checks; ``Target.state()`` reads the
emulator's SQLite file from outside (every table but usage counters and used signatures).
"""

from __future__ import annotations

import json
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from edge.emulators.body import BoundedBody
from edge.emulators.common import ServerThread, TlsFiles
from edge.emulators.iai.app import ACTIONS, IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.emulators.sensetime.app import create_app as sensetime_app
from edge.emulators.sensetime.engine import VisionEngine as SenseTimeEngine
from edge.emulators.sensetime.settings import EmulatorSettings, RateLimit
from edge.emulators.youtu.app import create_app as youtu_app
from edge.emulators.youtu.engine import VisionEngine as YoutuEngine
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store as YoutuStore
from edge.identify.local.calibration import load_calibration
from edge.identify.thresholds import FarTable
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE
from edge.identify.youtu.signature import SignatureVerifier, sign
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.iai import conftest as iai
from tests.sensetime import conftest as sensetime
from tests.youtu import conftest as youtu

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
Credentials = tuple[dict[str, str], dict[str, str]]  # headers, query string
UNCOUNTED = {"usage", "used_signatures"}  # calls are counted, failed or not (SenseTime's quota)


def photo(name: str) -> bytes:
    return (FACES / f"{name}.jpg").read_bytes()


def dump(db_file: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables if t not in UNCOUNTED}


@dataclass
class Target:
    """One running emulator as a client sees it."""

    name: str
    url: str
    db_file: Path
    sign: Callable[[str, bytes], Credentials]
    path: Callable[[str], str]
    endpoints: list[str]
    cafile: Path | None = None  # the certificate to trust when the emulator serves HTTPS
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        verify = ssl.create_default_context(cafile=str(self.cafile)) if self.cafile else True
        self.http = httpx.Client(timeout=60, verify=verify)

    def send(self, endpoint: str, body: bytes | dict[str, object] = b"",
             content_type: str = "application/json", signed: bool = True) -> httpx.Response:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        headers, query = self.sign(endpoint, raw) if signed else ({}, {})
        headers = {**headers, "content-type": content_type}
        return self.http.post(self.url + self.path(endpoint), content=raw, headers=headers, params=query)

    def state(self) -> dict[str, list[tuple[object, ...]]]:
        return dump(self.db_file)


def _youtu_sign(endpoint: str, body: bytes) -> Credentials:
    now = int(time.time())
    value = sign(appid=youtu.APPID, bucket="", secret_id=youtu.SECRET_ID, secret_key=youtu.SECRET_KEY,
                 now=now, expiry=now + 600, rand=1)
    return {"authorization": value}, {}


def _iai_sign(endpoint: str, body: bytes) -> Credentials:
    headers = iai.signed_headers("127.0.0.1", body, endpoint)  # the TC3 signature covers content-type
    return {k: v for k, v in headers.items() if k != "content-type"}, {}


def _sensetime_sign(endpoint: str, body: bytes) -> Credentials:
    return {}, {"api_id": sensetime.API_ID, "api_secret": sensetime.API_SECRET}


@contextmanager
def _target(*fields: Any) -> Iterator[Target]:
    target = Target(*fields)
    try:
        yield target
    finally:
        target.http.close()


@pytest.fixture(scope="session")
def vision() -> VisionSettings:
    return VisionSettings()


@contextmanager
def youtu_emulator(vision: VisionSettings, folder: Path, limits: Limits) -> Iterator[Target]:
    """The YouTu emulator over ``folder`` with ``limits``, as a :class:`Target`."""
    store = YoutuStore(folder / "youtu.sqlite")
    engine = YoutuEngine.shipped(vision, FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE))
    service = YoutuService(store, engine, limits)
    verifier = SignatureVerifier(youtu.APPID, {youtu.SECRET_ID: youtu.SECRET_KEY}, first_use=store.first_use)
    with ServerThread(youtu_app(service, verifier)) as server, \
            _target("youtu", server.url, folder / "youtu.sqlite", _youtu_sign, lambda e: f"/face/{e}",
                    list(service.actions)) as target:
        yield target
    store.close()


@pytest.fixture(scope="module")
def youtu_target(vision: VisionSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with youtu_emulator(vision, tmp_path_factory.mktemp("youtu"), Limits(faces_per_person=3)) as target:
        yield target


@contextmanager
def sensetime_emulator(vision: VisionSettings, folder: Path, faces_per_person: int | None = None
                       ) -> Iterator[Target]:
    """The SenseTime emulator over ``folder`` (its quotas, unless ``faces_per_person`` is given)."""
    settings = EmulatorSettings(sensetime.API_ID, sensetime.API_SECRET, folder, RateLimit.parse("100000q/1s"),
                                train_delay_s=0.1)
    if faces_per_person is not None:
        settings.quota["faces_per_person"] = faces_per_person
    app = sensetime_app(settings, SenseTimeEngine(vision))
    assert isinstance(app, BoundedBody) and isinstance(app.app, Starlette)
    paths = [route.path for route in app.app.routes if isinstance(route, Route) and "{" not in route.path]
    with ServerThread(app) as server, \
            _target("sensetime", server.url, folder / "sensetime.sqlite", _sensetime_sign, lambda e: e,
                    paths) as target:
        yield target


@pytest.fixture(scope="module")
def sensetime_target(vision: VisionSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with sensetime_emulator(vision, tmp_path_factory.mktemp("sensetime"), faces_per_person=3) as target:
        yield target


@contextmanager
def iai_emulator(vision: VisionSettings, folder: Path, tls: TlsFiles | None = None) -> Iterator[Target]:
    """The IAI emulator over ``folder``, as a :class:`Target`; over HTTPS with ``tls``."""
    scorer = Scorer(load_calibration(None, vision))
    server = IaiServer({iai.SECRET_ID: iai.SECRET_KEY}, folder, FaceAnalyzer(vision), scorer)
    with ServerThread(server.app, tls=tls) as running, \
            _target("iai", running.url, folder / "iai.sqlite", _iai_sign, lambda e: "/",
                    list(ACTIONS), tls.cert if tls else None) as target:
        yield target
    server.close()


@pytest.fixture(scope="module")
def iai_target(vision: VisionSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with iai_emulator(vision, tmp_path_factory.mktemp("iai")) as target:
        yield target
