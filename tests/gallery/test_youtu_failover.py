"""Failover and revocation with the real YouTu backend against the YouTu emulator on loopback; who
gets in is the appliance's own decision (tests/gallery/door.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from edge.emulators.common import ServerThread
from edge.emulators.youtu.app import create_app
from edge.emulators.youtu.engine import VisionEngine
from edge.emulators.youtu.ratelimit import RateLimit
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store
from edge.gallery.config import GallerySettings
from edge.gallery.enroll import Accepted, Enrollment, cloud_jpeg
from edge.gallery.store import GalleryStore
from edge.gallery.sync import sync_once
from edge.identify.chain import BackendChain, CircuitState
from edge.identify.local.backend import LocalBackend
from edge.identify.thresholds import FarTable
from edge.identify.youtu.backend import YoutuBackend
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE, YoutuBackendConfig
from edge.identify.youtu.signature import SignatureVerifier
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.gallery.conftest import FACES, Photo
from tests.gallery.door import DoorLoop
from tests.gallery.test_enroll import edge
from tests.gallery.test_failover import GROUPS, LOCAL_TABLE, MAX_AGE, POLICY, SETTINGS

APPID, SECRET_ID, SECRET_KEY = "1250000000", "AKIDEXAMPLE", "SECRETKEYEXAMPLE"


class Emulator:
    """The YouTu emulator; ``stop``/``start`` keep its port and its state, like a cloud outage."""

    def __init__(self, data: Path) -> None:
        youtu_table = FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE)
        engine = VisionEngine(VisionSettings(descriptor="dlib"), LOCAL_TABLE, youtu_table)  # as conftest's
        self.store = Store(data / "youtu.sqlite")
        self.app = create_app(YoutuService(self.store, engine, Limits()),
                              SignatureVerifier(APPID, {SECRET_ID: SECRET_KEY}))
        self.server = ServerThread(self.app).start()
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = ServerThread(self.app, port=self.server.port).start()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    running = Emulator(tmp_path)
    yield running
    running.stop()
    running.store.close()


def test_youtu_outage_falls_back_to_the_gallery_and_revocation_follows_the_cloud(
        tmp_path: Path, emulator: Emulator, analyzer: FaceAnalyzer, photos: dict[str, list[Photo]]) -> None:
    youtu = YoutuBackend(YoutuBackendConfig(base_url=emulator.url, appid=APPID, secret_id=SECRET_ID,
                                            secret_key=SecretStr(SECRET_KEY), group_ids=GROUPS,
                                            backoff_s=0.01))
    gallery = GalleryStore(tmp_path / "gallery.sqlite")
    enrollment = Enrollment(gallery, analyzer, GallerySettings(), [youtu])
    for person_id, photo in [("obama", photos["Barack_Obama"][0]), ("biden", photos["Joe_Biden"][0])]:
        report = enrollment.add(person_id, person_id.title(), GROUPS,
                                [Accepted(str(photo.path), photo.face, cloud_jpeg(photo.image))])
        assert not report.cloud_errors and gallery.require_person(person_id).remote[0].state == "synced"
    local = LocalBackend(gallery, LOCAL_TABLE, None, max_age=MAX_AGE)
    chain = BackendChain([youtu, local], SETTINGS)
    door = DoorLoop(tmp_path, analyzer, chain, gallery, GROUPS, POLICY)

    obama, biden = photos["Barack_Obama"][2], photos["Joe_Biden"][1]
    try:
        assert door.visit(obama) == ("granted", "recognized", "obama", "youtu", False)
        emulator.stop()
        assert door.visit(obama) == ("granted", "recognized", "obama", "local", True)
        times = door.identify_times()
        assert times["1.0"] == times["+Inf"]  # no frame waited for the gone cloud past its deadline
        emulator.start()
        youtu.delete_person("biden")  # revoked in the cloud while the door is up
        assert sync_once(enrollment, GROUPS).removed == ["biden"]
        time.sleep(SETTINGS.breaker_reset_s)
        assert door.visit(obama) == ("granted", "recognized", "obama", "youtu", False)
        assert chain.circuit_states()["youtu"] is CircuitState.CLOSED
        emulator.stop()
        assert door.visit(biden) == ("denied", "unknown", None, "local", True)  # after the sync
    finally:
        chain.close()
        youtu.client.close()
        gallery.close()


def test_people_commands_keep_the_cloud_in_step(tmp_path: Path, emulator: Emulator,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(f"""
[service]
state_dir = "{tmp_path / 'state'}"
[access]
groups = ["staff"]
[[identify.backends]]
type = "youtu"
base_url = "{emulator.url}"
appid = "{APPID}"
secret_id = "{SECRET_ID}"
secret_key = "{SECRET_KEY}"
group_ids = ["staff"]
backoff_s = 0.01
[[identify.backends]]
type = "local"
""")
    code, out, err = edge(capsys, config, "people", "add", "--id", "obama", "--name", "Barack Obama",
                          str(FACES / "Barack_Obama" / "1.jpg"), str(FACES / "Barack_Obama" / "2.jpg"))
    assert (code, out) == (0, "obama: 2 face(s) enrolled\n"), err
    assert "youtu: synced as obama" in edge(capsys, config, "people", "show", "obama")[1]
    emulator.stop()
    code, out, err = edge(capsys, config, "people", "add", "--id", "biden", "--name", "Joe Biden",
                          str(FACES / "Joe_Biden" / "1.jpg"))
    assert code == 0 and "youtu: pending (" in err and "'edge people sync' will finish it" in err
    emulator.start()
    youtu = YoutuBackend(YoutuBackendConfig(base_url=emulator.url, appid=APPID, secret_id=SECRET_ID,
                                            secret_key=SecretStr(SECRET_KEY), group_ids=GROUPS))
    youtu.delete_person("obama")  # revoked by an administrator in the cloud
    code, out, err = edge(capsys, config, "people", "sync")
    assert code == 0, err
    assert out == ("confirmed 1, removed 1, completed 1, deletions done 0\n"
                   "removed obama: no longer in the cloud\n")
    assert sorted(youtu.list_persons(GROUPS)) == ["biden"]
    youtu.client.close()


def test_a_rate_limited_cloud_opens_its_circuit(tmp_path: Path, photos: dict[str, list[Photo]]) -> None:
    """Rate limits and server errors are the vendor failing, not the request (issue #21 item 2):
    they count against the breaker, so the door stops waiting on a cloud that refuses it."""
    youtu_table = FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE)
    store = Store(tmp_path / "youtu.sqlite")
    service = YoutuService(store, VisionEngine(VisionSettings(), LOCAL_TABLE, youtu_table), Limits())
    app = create_app(service, SignatureVerifier(APPID, {SECRET_ID: SECRET_KEY}), RateLimit(per_second=1))
    gallery = GalleryStore(tmp_path / "gallery.sqlite")
    with ServerThread(app) as server:
        youtu = YoutuBackend(YoutuBackendConfig(base_url=server.url, appid=APPID, secret_id=SECRET_ID,
                                                secret_key=SecretStr(SECRET_KEY), group_ids=GROUPS,
                                                backoff_s=0.01))
        chain = BackendChain([youtu, LocalBackend(gallery, LOCAL_TABLE, None, max_age=MAX_AGE)], SETTINGS)
        photo = photos["Barack_Obama"][0]
        try:
            first = chain.identify(photo.image, [photo.face])  # answered: its groups do not exist
            assert (first.backend_name, first.offline) == ("local", False)
            assert chain.circuit_states()["youtu"] is CircuitState.CLOSED
            for _ in range(SETTINGS.breaker_failures):  # code 15: over the emulator's rate
                assert chain.identify(photo.image, [photo.face]).offline
            assert chain.circuit_states()["youtu"] is CircuitState.OPEN
        finally:
            chain.close()
            youtu.client.close()
            gallery.close()
            store.close()
