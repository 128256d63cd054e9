"""The cloud-taught cache learns from a track only once PAD judged it bona fide, at the door (issue
#16 item 7): the appliance as ``edge run`` wires it (:func:`edge.service.main.assemble`), the real
YouTu backend first in the chain and the YouTu emulator on loopback, a real Mosquitto carrying the
door commands, real models on the committed clips.

The cloud names the person strictly (at ``gallery.learn_max_false_accept``) in every case; only
the real person's track at the door may teach the local gallery.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.access.event import AccessEvent
from edge.capture.opencv import DEMO_CLIP
from edge.config.settings import Settings, load_settings
from edge.emulators.common import ServerThread
from edge.emulators.youtu.app import build
from edge.events.memory import ListSink
from edge.events.mqtt import MqttSink
from edge.events.topics import Topics
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.youtu.backend import YoutuBackend
from edge.identify.youtu.config import YoutuBackendConfig
from edge.service.demo import DEMO_DIR
from edge.service.main import assemble
from edge.vision.pipeline import FaceAnalyzer
from tests.events.helpers import Received, Subscriber
from tests.loop.conftest import loop_settings
from tests.support.mosquitto import Broker
from tests.support.print_attack import FIXTURE_CLIP, FIXTURE_PHOTO

APPID, SECRET_ID, SECRET_KEY = "1250000000", "AKIDTEACHTEST", "teach-test-secret"
DRIVER = DEMO_DIR / "people" / "carphone-driver" / "frame110.jpg"  # later than the frames played
CLIP_FRAMES = 60
OBAMA = ("obama", "Barack Obama", FIXTURE_PHOTO)  # the photo the print shows
CARPHONE_DRIVER = ("carphone-driver", "Carphone driver", DRIVER)
Person = tuple[str, str, Path]


@pytest.fixture
def cloud_url(tmp_path: Path) -> Iterator[str]:
    """The YouTu emulator (the CLI's own build) on loopback."""
    state = tmp_path / "cloud"
    state.mkdir()
    with ServerThread(build(loop_settings(state), state, APPID, {SECRET_ID: SECRET_KEY})) as server:
        yield server.url


def door_settings(tmp_path: Path, cloud_url: str, broker: Broker, clip: Path, **access: object) -> Settings:
    """The door's settings: the clip as its camera, PAD on (the default), the cloud first."""
    youtu = {"type": "youtu", "base_url": cloud_url, "appid": APPID, "secret_id": SECRET_ID,
             "secret_key": SECRET_KEY, "group_ids": ["default"], "retries": 0}
    return load_settings(
        None,
        camera={"source": {"type": "opencv", "uri": str(clip), "realtime": False}},
        device={"id": "door-test", "door": "front"},
        service={"state_dir": str(tmp_path / "state"), "health_port": 0},
        mqtt={"host": broker.host, "port": broker.port, "door_secret": "door-secret-for-tests",
              "drives_door": True, "homeassistant": {"discovery": False}},
        identify={"backends": [youtu, {"type": "local"}], "deadline_ms": 3000},
        access={"groups": ["default"], **access},
    )


def cloud(settings: Settings) -> YoutuBackend:
    config = settings.identify.backends[0]
    assert isinstance(config, YoutuBackendConfig)
    return YoutuBackend(config)


def enroll(settings: Settings, analyzer: FaceAnalyzer, person: Person) -> None:
    """The door's one person (the teacher's strict rate over a gallery of one is the YouTu
    table's last row, 90 for 1e-5), in its gallery and in the cloud."""
    person_id, name, photo = person
    youtu = cloud(settings)
    with GalleryStore.from_settings(settings) as store:
        enrollment = Enrollment(store, analyzer, settings.gallery, [youtu])
        accepted, refused = enrollment.examine_files([photo])
        assert accepted and not refused
        assert not enrollment.add(person_id, name, ["default"], accepted).cloud_errors
    youtu.client.close()


def play(settings: Settings, broker: Broker) -> tuple[list[AccessEvent], list[Received]]:
    """The door over the clip's first frames: its decisions and the door commands it published
    (waited for until every decision has reached the broker: a command goes out before its event)."""
    sink = ListSink()
    topics = Topics(f"edge/{settings.device.id}")
    watcher = Subscriber(broker, topics.access, topics.door_command)
    try:
        with assemble(settings, [sink]) as running:
            mqtt = next(s for s in running.appliance.sinks if isinstance(s, MqttSink))
            assert mqtt.connection.wait_connected(5)  # a grant's command is never dropped here
            running.appliance.run(running.reader, threading.Event(), max_frames=CLIP_FRAMES)
            assert watcher.wait_for(lambda: len(watcher.on(topics.access)) == len(sink.events))
        return sink.events, watcher.on(topics.door_command)
    finally:
        watcher.close()


def learned(settings: Settings, person: Person) -> int:
    with GalleryStore.from_settings(settings) as store:
        return store.require_person(person[0]).learned_faces


def named_strictly(settings: Settings, event: AccessEvent) -> bool:
    """Whether the cloud named the event's person at the teacher's strict rate."""
    youtu = cloud(settings)
    try:
        strict = youtu.threshold(settings.gallery.learn_max_false_accept, 1)
    finally:
        youtu.client.close()
    match = event.match
    return (match is not None and match.backend == "youtu" and match.score >= strict.score
            and strict.far <= settings.gallery.learn_max_false_accept)


def test_a_printed_photo_the_cloud_names_teaches_nothing(
        tmp_path: Path, analyzer: FaceAnalyzer, cloud_url: str, broker: Broker) -> None:
    """PAD judges the print an attack: the door stays shut and the cache learns nothing from the
    cloud's strict answer about it."""
    settings = door_settings(tmp_path, cloud_url, broker, FIXTURE_CLIP)
    enroll(settings, analyzer, OBAMA)
    events, commands = play(settings, broker)
    assert [(e.decision, e.reason, e.person_id) for e in events] == [
        ("denied", "presentation_attack", "obama")]
    assert named_strictly(settings, events[0])
    assert commands == []
    assert learned(settings, OBAMA) == 0


@pytest.mark.parametrize("pad_frames, teaches", [(10, True), (CLIP_FRAMES + 1, False)])
def test_the_real_person_at_the_door_teaches_once_pad_is_sure(
        tmp_path: Path, analyzer: FaceAnalyzer, cloud_url: str, broker: Broker, pad_frames: int,
        teaches: bool) -> None:
    """The same door and cloud rules, a real person (the bundled clip): granted, and the cloud's
    answer about the track joins the person's faces once PAD's bona fide verdict is final (at
    ``vision.pad.max_frames`` frames); a verdict that is still provisional teaches nothing."""
    settings = door_settings(tmp_path, cloud_url, broker, DEMO_CLIP)
    settings.vision.pad = settings.vision.pad.model_copy(update={"max_frames": pad_frames})
    enroll(settings, analyzer, CARPHONE_DRIVER)
    events, commands = play(settings, broker)
    granted = [e for e in events if e.decision == "granted"]
    assert [(e.reason, e.person_id) for e in granted] == [("recognized", "carphone-driver")]
    assert named_strictly(settings, granted[0])
    assert len(commands) == 1 and commands[0].json()["event_id"] == granted[0].id
    assert learned(settings, CARPHONE_DRIVER) == int(teaches)


def test_a_face_the_cloud_names_outside_the_door_zone_teaches_nothing(
        tmp_path: Path, analyzer: FaceAnalyzer, cloud_url: str, broker: Broker) -> None:
    """The real person again, the door zone now the right quarter of the frame (the driver sits
    in the middle): named by the cloud, judged bona fide, but not the face at the door."""
    beside = [(0.75, 0.0), (1.0, 0.0), (1.0, 1.0), (0.75, 1.0)]
    settings = door_settings(tmp_path, cloud_url, broker, DEMO_CLIP, door_zone={"polygon": beside})
    enroll(settings, analyzer, CARPHONE_DRIVER)
    events, commands = play(settings, broker)
    assert [(e.decision, e.reason) for e in events] == [("denied", "outside_door_zone")]
    assert commands == []
    assert learned(settings, CARPHONE_DRIVER) == 0
