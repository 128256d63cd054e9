"""Every backend behind one harness: the same behavioural tests run against each.

A :class:`Harness` is one backend as the appliance builds it (its registry record, from an
``identify.backends`` entry), the door's gallery and enrollment (which push to the cloud, as
``edge people add`` does), the local gallery backend beside it for failover, and the verdict
:class:`~edge.identify.verdict.Judge`. Cloud backends talk real HTTP on loopback to their
emulators (real vision, the committed fixture photos). :class:`FaultSwitch` makes an emulator's
face engine fail inside the emulator, which answers with its API's own server error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from edge.config.settings import Settings, load_settings
from edge.emulators.common import ServerThread
from edge.emulators.iai.app import IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.emulators.sensetime.app import create_app as sensetime_app
from edge.emulators.sensetime.engine import VisionEngine as SenseTimeEngine
from edge.emulators.sensetime.settings import EmulatorSettings
from edge.emulators.sensetime.settings import RateLimit as SenseTimeRateLimit
from edge.emulators.youtu.app import create_app as youtu_app
from edge.emulators.youtu.engine import VisionEngine as YoutuEngine
from edge.emulators.youtu.ratelimit import RateLimit as YoutuRateLimit
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store as YoutuStore
from edge.errors import RemoteError
from edge.gallery.config import GallerySettings
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend
from edge.identify.factory import build_backend
from edge.identify.local.calibration import load_calibration
from edge.identify.plugin import BuildContext
from edge.identify.registry import plugin_for
from edge.identify.thresholds import FarTable
from edge.identify.verdict import Judge
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE
from edge.identify.youtu.signature import SignatureVerifier
from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Face

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
DOOR = "front-door"  # the door's group, in the gallery and in every cloud
POLICY = 1e-4
APPID, SECRET_ID, SECRET_KEY = "1250000000", "AKIDEXAMPLE", "SECRETKEYEXAMPLE"
API_ID, API_SECRET = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
BACKENDS = ["local", "youtu", "sensetime", "iai"]


class FaultSwitch:
    """An emulator's face engine; while ``failing``, each of its calls raises inside the emulator."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.failing = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.failing:
                raise RuntimeError("the vendor's face service failed")
            return attribute(*args, **kwargs)

        return call


Served = tuple[str, FaultSwitch]  # the emulator's URL, its engine's fault switch
Serve = Callable[[Path, bool], AbstractContextManager[Served]]  # (state folder, throttled)


@dataclass(frozen=True)
class Emulated:
    """How a cloud's emulator is served and how the appliance's settings point at it."""

    serve: Serve
    entry: Callable[[str], dict[str, Any]]  # URL -> the identify.backends entry
    unknown_group: dict[str, Any]  # entry overrides that point the door at a group the cloud lacks


@dataclass
class Harness:
    name: str
    backend: Backend
    local: Backend  # the gallery on the device (the backend itself for "local")
    gallery: GalleryStore
    enrollment: Enrollment
    judge: Judge
    settings: Settings
    fault: FaultSwitch | None
    variant: Callable[..., Backend]  # the same backend with other settings (entry overrides)

    def held(self) -> set[str]:
        """The ids of the people the backend can name, in its own terms."""
        if not self.enrollment.enrollers:
            return {person.id for person in self.gallery.people()}
        (cloud,) = self.enrollment.enrollers
        return set(cloud.list_persons([DOOR]))

    def backend_id(self, person_id: str) -> str:
        """The id the backend knows an enrolled person by."""
        if not self.backend.cloud:
            return person_id
        (record,) = [r for r in self.gallery.require_person(person_id).remote if r.backend == self.name]
        assert record.remote_id is not None
        return record.remote_id


def photo(name: str) -> np.ndarray:
    return read_image(FACES / f"{name}.jpg", max_pixels=VisionSettings().max_image_pixels)


def side_by_side(*names: str) -> np.ndarray:
    """One frame with the photos next to each other, left to right."""
    images = [photo(name) for name in names]
    height = min(image.shape[0] for image in images)
    return cv2.hconcat([cv2.resize(i, (round(i.shape[1] * height / i.shape[0]), height)) for i in images])


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


def faces_of(analyzer: FaceAnalyzer, frame: np.ndarray) -> list[Face]:
    """The frame's faces, left to right."""
    return sorted(analyzer.analyze(frame), key=lambda face: face.detection.box.x)


@pytest.fixture(scope="session")
def emulated(analyzer: FaceAnalyzer) -> dict[str, Emulated]:
    """Each cloud's emulator on the default descriptor, engines loaded once for the session."""
    vision = VisionSettings()
    youtu_engine = YoutuEngine.shipped(vision, FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE))
    sensetime_engine = SenseTimeEngine(vision)
    scorer = Scorer(load_calibration(None, vision))

    @contextmanager
    def youtu(folder: Path, throttled: bool) -> Iterator[Served]:
        engine = FaultSwitch(youtu_engine)
        store = YoutuStore(folder / "youtu.sqlite")
        verifier = SignatureVerifier(APPID, {SECRET_ID: SECRET_KEY}, first_use=store.first_use)
        limit = YoutuRateLimit(0.01) if throttled else None  # 0.01 a second: refused from the first
        try:
            with ServerThread(youtu_app(YoutuService(store, engine, Limits()), verifier, limit)) as server:
                yield server.url, engine
        finally:
            store.close()

    @contextmanager
    def sensetime(folder: Path, throttled: bool) -> Iterator[Served]:
        engine = FaultSwitch(sensetime_engine)
        limit = SenseTimeRateLimit.parse("1q/600s" if throttled else "100000q/1s")
        settings = EmulatorSettings(API_ID, API_SECRET, folder, limit, train_delay_s=0.1)
        with ServerThread(sensetime_app(settings, engine)) as server:
            yield server.url, engine

    @contextmanager
    def iai(folder: Path, throttled: bool) -> Iterator[Served]:
        engine = FaultSwitch(analyzer)
        server = IaiServer({SECRET_ID: SECRET_KEY}, folder, engine, scorer,
                           rate_limit=0.001 if throttled else None)
        try:
            with ServerThread(server.app) as running:
                yield running.url, engine
        finally:
            server.close()

    return {
        "youtu": Emulated(youtu, lambda url: {
            "type": "youtu", "base_url": url, "appid": APPID, "secret_id": SECRET_ID,
            "secret_key": SECRET_KEY, "group_ids": [DOOR], "retries": 0}, {"group_ids": ["nowhere"]}),
        "sensetime": Emulated(sensetime, lambda url: {
            "type": "sensetime", "base_url": url, "api_id": API_ID, "api_secret": API_SECRET,
            "group_id": DOOR, "poll_interval_s": 0.05}, {"group_id": "nowhere"}),
        "iai": Emulated(iai, lambda url: {
            "type": "iai", "endpoint": url.removeprefix("http://"), "scheme": "http",
            "secret_id": SECRET_ID, "secret_key": SECRET_KEY, "group_ids": [DOOR]},
            {"group_ids": ["nowhere"]}),
    }


def door_settings(folder: Path, entry: dict[str, Any] | None) -> Settings:
    """The appliance's settings: the cloud (if any) first, then the local gallery."""
    backends = ([entry] if entry else []) + [{"type": "local"}]
    return load_settings(None, identify={"backends": backends}, access={"max_false_accept": POLICY},
                         service={"state_dir": str(folder / "state")})


def build(settings: Settings, entry: dict[str, Any], gallery: GalleryStore) -> Backend:
    """A backend from an ``identify.backends`` entry, through the registry (as ``edge run`` does)."""
    (config, *_) = load_settings(None, identify={"backends": [entry]}).identify.backends
    return build_backend(config, BuildContext(settings, gallery))


@pytest.fixture(scope="module", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            analyzer: FaceAnalyzer, emulated: dict[str, Emulated]) -> Iterator[Harness]:
    """One backend with Barack Obama and Joe Biden enrolled at the door (one photo each)."""
    name: str = request.param
    folder = tmp_path_factory.mktemp(name)
    gallery = GalleryStore(folder / "gallery.sqlite")
    with _served(emulated.get(name), folder) as served:
        entry = emulated[name].entry(served[0]) if served else None
        settings = door_settings(folder, entry)
        local = build(settings, {"type": "local"}, gallery)
        backend = build(settings, entry, gallery) if entry else local
        enrollers = [backend] if entry else []
        enrollment = Enrollment(gallery, analyzer, GallerySettings(), enrollers)  # type: ignore[arg-type]
        harness = Harness(name, backend, local, gallery, enrollment, Judge(settings.access, gallery),
                          settings, served[1] if served else None,
                          lambda **changes: build(settings, {**(entry or {}), **changes}, gallery))
        for person_id, name_, source in [("obama", "Barack Obama", "Barack_Obama/1"),
                                         ("biden", "Joe Biden", "Joe_Biden/1")]:
            enroll(harness, person_id, name_, source)
        yield harness
    gallery.close()


@contextmanager
def _served(emulator: Emulated | None, folder: Path) -> Iterator[Served | None]:
    if emulator is None:
        yield None
        return
    with emulator.serve(folder / "cloud", False) as served:
        yield served


def enroll(harness: Harness, person_id: str, name: str, source: str) -> None:
    """``edge people add``: the gallery and the cloud; a cloud error fails the test."""
    accepted = harness.enrollment.examine(photo(source), source)
    report = harness.enrollment.add(person_id, name, [DOOR], [accepted])
    assert not report.cloud_errors, report.cloud_errors


@pytest.fixture
def throttled(harness: Harness, emulated: dict[str, Emulated], tmp_path: Path) -> Iterator[Backend]:
    """The harness's cloud at a second emulator whose rate limit is spent (the doctor's harmless
    call took the one request it allows)."""
    if not harness.backend.cloud:
        pytest.skip("the gallery on the device has no vendor to refuse it")
    emulator = emulated[harness.name]
    with emulator.serve(tmp_path, True) as (url, _):
        entry = emulator.entry(url)
        backend = build(harness.settings, entry, harness.gallery)
        (config,) = load_settings(None, identify={"backends": [entry]}).identify.backends
        with contextlib.suppress(RemoteError):  # YouTu's limit here refuses even the first request
            plugin_for(harness.name).check(config)
        yield backend
