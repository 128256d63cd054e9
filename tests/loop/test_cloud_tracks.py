"""The cloud asked once per track, off the loop (issue #21 item 1): the real loop, the real YouTu
backend and the YouTu emulator on loopback answering late, real models on the fixture photos.

Frames are handed to ``Appliance.process`` as a camera at 15 frames per second would (monotonic
capture times, the next frame when it is due or as soon as the loop is free), so the loop's pace
while a call is in flight is measured, not assumed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.access.event import AccessEvent
from edge.capture.base import Frame
from edge.config.settings import Settings
from edge.emulators.common import ServerThread
from edge.emulators.latency import AddedLatency
from edge.emulators.youtu.app import build
from edge.eval.bench.device import sampled_frames
from edge.events.memory import ListSink
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends
from edge.identify.local.config import LocalBackendConfig
from edge.identify.youtu.backend import YoutuBackend
from edge.identify.youtu.config import YoutuBackendConfig
from edge.service.metrics import Metrics
from edge.service.runner import Appliance
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import FACES, frame_of, loop_settings
from tests.support.mosquitto import free_port
from tests.support.print_attack import FIXTURE_CLIP

APPID, SECRET_ID, SECRET_KEY = "1250000000", "AKIDLOOPTEST", "loop-test-secret"
OBAMA = FACES / "Barack_Obama" / "3.jpg"  # not an enrollment photo
BIDEN = FACES / "Joe_Biden" / "2.jpg"  # enrolled, but not in the door's cloud group
CAMERA_FPS = 15.0


class CountedRequests:
    """ASGI middleware counting the requests by path (the calls the cloud would bill)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)

    @property
    def searches(self) -> int:
        return self.paths["/face/identify"] + self.paths["/face/multidentify"]


@dataclass
class Cloud:
    url: str
    latency: AddedLatency
    requests: CountedRequests
    gallery: GalleryStore


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, analyzer: FaceAnalyzer) -> Iterator[Cloud]:
    """The YouTu emulator (the CLI's own build) and a gallery mirroring it: Obama in the door's
    group 'default', Biden in 'visitors' only."""
    state = tmp_path_factory.mktemp("cloud")
    settings = loop_settings(state)
    latency = AddedLatency(build(settings, state, APPID, {SECRET_ID: SECRET_KEY}), 0.0)
    requests = CountedRequests(latency)  # counted as they arrive
    with ServerThread(requests) as server:
        gallery = GalleryStore(state / "gallery.sqlite")
        youtu = YoutuBackend(youtu_config(server.url))
        enrollment = Enrollment(gallery, analyzer, settings.gallery, [youtu])
        for person_id, name, group, photo in [("obama", "Barack Obama", "default", "1.jpg"),
                                              ("biden", "Joe Biden", "visitors", "1.jpg")]:
            accepted, _ = enrollment.examine_files([FACES / name.replace(" ", "_") / photo])
            report = enrollment.add(person_id, name, [group], accepted)
            assert not report.cloud_errors
        youtu.client.close()
        yield Cloud(server.url, latency, requests, gallery)
        gallery.close()


def youtu_config(url: str, secret_key: str = SECRET_KEY) -> YoutuBackendConfig:
    return YoutuBackendConfig(base_url=url, appid=APPID, secret_id=SECRET_ID,
                              secret_key=SecretStr(secret_key), group_ids=["default"], retries=0)


def door(tmp_path: Path, backends: list[object], **identify: object) -> Settings:
    settings = loop_settings(tmp_path)
    return settings.model_copy(update={"identify": settings.identify.model_copy(
        update={"backends": backends, "deadline_ms": 3000, **identify})})


@dataclass
class Played:
    events: list[AccessEvent]
    took_s: list[float]  # each frame's processing
    decided_at: int | None  # index of the frame that brought the first event


def play(appliance: Appliance, frames: list[np.ndarray], *, seconds: float = 0.0, at_least: int = 0,
         then_frames: int | None = None, max_s: float = 20.0) -> Played:
    """The frames, cycled, to ``appliance.process`` at the camera's pace for at least ``seconds``
    and ``at_least`` frames; with ``then_frames``, also until the first event and that many frames
    after it (at most ``max_s``: the machine may be loaded, so the tests count frames)."""
    events: list[AccessEvent] = []
    took: list[float] = []
    decided_at = None
    start = time.monotonic()
    index = 0
    while True:
        elapsed = time.monotonic() - start
        waiting = then_frames is not None and (decided_at is None or index - 1 - decided_at < then_frames)
        if elapsed >= max_s or (elapsed >= seconds and index >= at_least and not waiting):
            break
        due = start + index / CAMERA_FPS
        time.sleep(max(0.0, due - time.monotonic()))
        captured = time.monotonic()
        new = appliance.process(Frame(frames[index % len(frames)], index, captured))
        took.append(time.monotonic() - captured)
        if new and decided_at is None:
            decided_at = index
        events += new
        index += 1
    return Played(events, took, decided_at)


def appliance_for(settings: Settings, analyzer: FaceAnalyzer, gallery: GalleryStore,
                  metrics: Metrics | None = None) -> Appliance:
    return Appliance(settings, analyzer, BackendChain(build_backends(settings, gallery), settings.identify),
                     gallery, [ListSink()], metrics)


def outcomes(played: Played) -> list[tuple[str, str, str | None]]:
    return [(e.decision, e.reason, e.person_id) for e in played.events]


def faces(photo: Path) -> list[np.ndarray]:
    return [frame_of(photo, shift=2 * i) for i in range(5)]


def test_one_call_per_track_while_the_loop_keeps_its_pace(tmp_path: Path, analyzer: FaceAnalyzer,
                                                          cloud: Cloud) -> None:
    cloud.latency.seconds = 2.0
    before = cloud.requests.searches
    metrics = Metrics()
    settings = door(tmp_path, [youtu_config(cloud.url), LocalBackendConfig()], cloud_reask_s=0.3)
    appliance = appliance_for(settings, analyzer, cloud.gallery, metrics)
    try:
        played = play(appliance, faces(OBAMA), then_frames=10)
    finally:
        appliance.chain.close()
    assert outcomes(played) == [("granted", "recognized", "obama")]
    match = played.events[0].match
    assert match is not None and (match.backend, match.offline) == ("youtu", False)
    # one search for the track, also over the 10 frames after the grant (re-asks due every 0.3 s)
    assert cloud.requests.searches - before == 1
    # the loop never waited for the cloud: no frame took the call's 2 s, and frames went on being
    # processed while it was in flight (a loop waiting for it would decide on its first or second)
    assert max(played.took_s) < 2.0
    assert played.decided_at is not None and played.decided_at >= 3
    # decided on the answer (a frame captured up to one frame period before it arrived may carry it)
    assert played.events[0].latency_ms is not None and played.events[0].latency_ms >= 1800
    youtu = {"backend": "youtu"}
    assert metrics.registry.get_sample_value("edge_cloud_call_seconds_count", youtu) == 1
    assert (metrics.registry.get_sample_value("edge_cloud_call_seconds_sum", youtu) or 0) >= 2.0


def test_a_track_that_shows_another_face_is_asked_about_again(tmp_path: Path, analyzer: FaceAnalyzer,
                                                              cloud: Cloud) -> None:
    """Biden's face (not in the door's cloud group: nobody) and then, in the same place, Obama's:
    the tracker keeps one track, the frames stop matching the face the cloud was asked about, and
    the cloud is asked again, with the new face."""
    cloud.latency.seconds = 0.3
    before = cloud.requests.searches
    settings = door(tmp_path, [youtu_config(cloud.url), LocalBackendConfig()], cloud_reask_s=0)
    appliance = appliance_for(settings, analyzer, cloud.gallery)
    try:
        first = play(appliance, faces(BIDEN), then_frames=0)
        then = play(appliance, faces(OBAMA), then_frames=0)
    finally:
        appliance.chain.close()
    assert len({e.track for e in first.events + then.events}) == 1
    assert outcomes(first) + outcomes(then) == [("denied", "unknown", None),
                                                ("granted", "recognized", "obama")]
    assert cloud.requests.searches - before == 2


def test_a_track_nobody_was_named_for_is_asked_again_after_the_interval(
        tmp_path: Path, analyzer: FaceAnalyzer, cloud: Cloud) -> None:
    cloud.latency.seconds = 0.0
    before = cloud.requests.searches
    settings = door(tmp_path, [youtu_config(cloud.url), LocalBackendConfig()], cloud_reask_s=0.6)
    appliance = appliance_for(settings, analyzer, cloud.gallery)
    try:
        played = play(appliance, faces(BIDEN), seconds=2.0, then_frames=0)
    finally:
        appliance.chain.close()
    assert outcomes(played) == [("denied", "unknown", None)]
    searches = cloud.requests.searches - before
    assert 2 <= searches <= 4 and searches < len(played.took_s)  # every 0.6 s or so, not every frame


@pytest.mark.parametrize("trouble", ["refused", "unreachable"])
def test_a_failing_cloud_grants_nobody_without_a_local_gallery(tmp_path: Path, analyzer: FaceAnalyzer,
                                                               cloud: Cloud, trouble: str) -> None:
    """Cloud only: a cloud that refuses the door's credentials, or cannot be reached, answers
    nothing, and nothing else may: no grant, and the loop keeps its pace."""
    cloud.latency.seconds = 0.0
    url = cloud.url if trouble == "refused" else f"http://127.0.0.1:{free_port()}"
    config = youtu_config(url, secret_key="not-the-secret" if trouble == "refused" else SECRET_KEY)
    appliance = appliance_for(door(tmp_path, [config], cloud_reask_s=0.5), analyzer, cloud.gallery)
    try:
        played = play(appliance, faces(OBAMA), seconds=1.0, at_least=8)
    finally:
        appliance.chain.close()
    assert played.events == []  # 8 frames, more than a K-of-M window: no decision


def test_an_unreachable_cloud_leaves_the_track_to_the_local_gallery(tmp_path: Path, analyzer: FaceAnalyzer,
                                                                    cloud: Cloud) -> None:
    settings = door(tmp_path, [youtu_config(f"http://127.0.0.1:{free_port()}"), LocalBackendConfig()])
    appliance = appliance_for(settings, analyzer, cloud.gallery)
    try:
        played = play(appliance, faces(OBAMA), then_frames=0)
    finally:
        appliance.chain.close()
    assert outcomes(played) == [("granted", "recognized", "obama")]
    match = played.events[0].match
    assert match is not None and (match.backend, match.offline) == ("local", True)


def two_faces(left: Path, right: Path) -> np.ndarray:
    """A 640x480 frame with both photos' faces, side by side."""
    halves = [cv2.resize(frame_of(photo)[:, 160:480], (320, 480)) for photo in (left, right)]
    return np.hstack(halves)


def test_tracks_new_in_one_frame_share_one_call(tmp_path: Path, analyzer: FaceAnalyzer, cloud: Cloud) -> None:
    cloud.latency.seconds = 0.3
    before = Counter(cloud.requests.paths)
    frame = two_faces(BIDEN, OBAMA)
    assert len([f for f in analyzer.analyze(frame) if f.quality.ok]) == 2
    appliance = appliance_for(door(tmp_path, [youtu_config(cloud.url), LocalBackendConfig()]),
                              analyzer, cloud.gallery)
    try:
        played = play(appliance, [frame], seconds=1.0)
    finally:
        appliance.chain.close()
    assert cloud.requests.paths - before == Counter({"/face/multidentify": 1})
    assert ("granted", "recognized", "biden") not in outcomes(played)


def test_a_printed_photo_the_cloud_names_is_still_an_attack(tmp_path: Path, analyzer: FaceAnalyzer,
                                                            cloud: Cloud) -> None:
    """PAD judges the track on the frames it sees now: the cloud naming Obama (its answer arriving
    while the frames are held) does not open the door to his printed photo."""
    cloud.latency.seconds = 0.3
    before = cloud.requests.searches
    settings = door(tmp_path, [youtu_config(cloud.url), LocalBackendConfig()], cloud_reask_s=0.3)
    settings.vision.pad = settings.vision.pad.model_copy(update={"enabled": True})
    appliance = appliance_for(settings, analyzer, cloud.gallery)
    try:
        played = play(appliance, list(sampled_frames(FIXTURE_CLIP)), then_frames=10)
    finally:
        appliance.chain.close()
    assert outcomes(played) == [("denied", "presentation_attack", "obama")]
    assert cloud.requests.searches - before == 1  # judged an attack: never asked about again
