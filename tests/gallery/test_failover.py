"""Failover, revocation and offline expiry against a real cloud service on loopback; who gets in
is the appliance's own decision (tests/gallery/door.py), not a rule restated here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from edge.emulators.common import ServerThread
from edge.gallery.config import GallerySettings
from edge.gallery.enroll import Accepted, Enrollment, cloud_jpeg
from edge.gallery.store import GalleryStore
from edge.gallery.sync import sync_once
from edge.identify.chain import BackendChain, CircuitState
from edge.identify.config import IdentifySettings
from edge.identify.local.backend import LocalBackend
from edge.identify.thresholds import FarTable
from edge.vision.pipeline import FaceAnalyzer
from tests.gallery.cloud import CloudClient, CloudState, cloud_app
from tests.gallery.conftest import Photo
from tests.gallery.door import DoorLoop

GROUPS = ["staff"]
POLICY = 1e-4  # access.max_false_accept
# A cosine table of the descriptor's order of magnitude (the shipped calibration is tested elsewhere),
# reaching low enough for the policy over this gallery's few people: the runner grants nobody on a
# cut that stands for a 1:N rate above the policy (policy_unreachable), as a table ending at 1e-4
# per comparison would.
LOCAL_TABLE = FarTable.from_pairs("cosine", [(0.90, 1e-2), (0.93, 1e-3), (0.95, 1e-4), (0.955, 1e-6)])
SETTINGS = IdentifySettings(deadline_ms=600, breaker_failures=2, breaker_reset_s=0.3)
MAX_AGE = timedelta(days=7)


@dataclass
class Door:
    state: CloudState
    server: ServerThread
    cloud: CloudClient
    store: GalleryStore
    enrollment: Enrollment
    local: LocalBackend
    chain: BackendChain
    loop: DoorLoop

    def restart_cloud(self) -> None:
        self.server = ServerThread(cloud_app(self.state), port=self.server.port).start()


def enroll(door_enrollment: Enrollment, person_id: str, photo: Photo) -> None:
    accepted = Accepted(str(photo.path), photo.face, cloud_jpeg(photo.image))
    report = door_enrollment.add(person_id, person_id.title(), GROUPS, [accepted])
    assert report.added and not report.cloud_errors


@pytest.fixture
def door(tmp_path: Path, analyzer: FaceAnalyzer, photos: dict[str, list[Photo]]) -> Iterator[Door]:
    state = CloudState(analyzer)
    server = ServerThread(cloud_app(state)).start()
    cloud = CloudClient(server.url, GROUPS)
    store = GalleryStore(tmp_path / "g.sqlite")
    enrollment = Enrollment(store, analyzer, GallerySettings(), [cloud])
    enroll(enrollment, "obama", photos["Barack_Obama"][0])
    enroll(enrollment, "biden", photos["Joe_Biden"][0])
    enroll(enrollment, "collins", photos["Eileen_Collins"][0])
    local = LocalBackend(store, LOCAL_TABLE, GROUPS, max_age=MAX_AGE)
    chain = BackendChain([cloud, local], SETTINGS)
    door = Door(state, server, cloud, store, enrollment, local, chain,
                DoorLoop(tmp_path, analyzer, chain, store, GROUPS, POLICY))
    yield door
    chain.close()
    cloud.close()
    door.server.stop()
    store.close()


def test_cloud_outage_mid_run_falls_back_to_the_local_cache_and_back(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    obama = photos["Barack_Obama"][2]  # a photo enrolled nowhere
    assert door.loop.visit(obama) == ("granted", "recognized", "obama", "testcloud", False)

    door.server.stop()  # the cloud goes away mid-run
    for _ in range(2):
        assert door.loop.visit(obama) == ("granted", "recognized", "obama", "local", True)
    times = door.loop.identify_times()
    assert times["1.0"] == times["+Inf"]  # no frame waited for the gone cloud past its deadline
    # opened by the failed calls (half open again once breaker_reset_s has passed during a visit)
    assert door.chain.circuit_states()["testcloud"] is not CircuitState.CLOSED
    assert door.chain.health()["testcloud"].error_rate > 0

    door.restart_cloud()
    time.sleep(SETTINGS.breaker_reset_s)
    assert door.chain.circuit_states()["testcloud"] is CircuitState.HALF_OPEN
    assert door.loop.visit(obama) == ("granted", "recognized", "obama", "testcloud", False)
    assert door.chain.circuit_states()["testcloud"] is CircuitState.CLOSED


def test_a_hanging_cloud_never_holds_up_the_loop(door: Door, photos: dict[str, list[Photo]]) -> None:
    """The cloud answers after 1 s, past the 0.6 s deadline: the gallery decides, offline, and no
    frame's identification waited for the cloud (it is asked off the loop's thread)."""
    door.state.delay_s = 1.0
    assert door.loop.visit(photos["Joe_Biden"][1]) == ("granted", "recognized", "biden", "local", True)
    times = door.loop.identify_times()
    assert times["0.5"] == times["+Inf"] > 0


def test_removed_in_the_cloud_is_denied_offline_after_the_next_sync(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    biden = photos["Joe_Biden"][1]
    door.cloud.delete_person("biden")  # an administrator revokes Biden in the cloud
    report = sync_once(door.enrollment, GROUPS)
    assert report.removed == ["biden"] and report.confirmed == ["collins", "obama"]
    assert door.store.person("biden") is None
    door.server.stop()
    assert door.loop.visit(biden) == ("denied", "unknown", None, "local", True)


def test_an_entry_older_than_max_age_does_not_open_offline(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    obama = photos["Barack_Obama"][2]
    door.server.stop()
    granted_offline = ("granted", "recognized", "obama", "local", True)
    assert door.loop.visit(obama) == granted_offline  # confirmed at enrollment, moments ago
    later = time.time() + MAX_AGE.total_seconds() + 3600
    door.local._clock = lambda: later  # eight days without a word from the cloud
    assert door.loop.visit(obama) == ("denied", "unknown", None, None, None)  # no candidate at all
    door.restart_cloud()
    sync_once(door.enrollment, GROUPS, now=later)  # the cloud confirms them again
    door.server.stop()
    time.sleep(0.05)
    assert door.loop.visit(obama) == granted_offline


def test_local_only_gallery_is_authoritative(tmp_path: Path, door: Door, analyzer: FaceAnalyzer,
                                             photos: dict[str, list[Photo]]) -> None:
    local_only = LocalBackend(door.store, LOCAL_TABLE, GROUPS, max_age=None,
                              clock=lambda: time.time() + 365 * 86400)
    chain = BackendChain([local_only], SETTINGS)
    loop = DoorLoop(tmp_path / "local-only", analyzer, chain, door.store, GROUPS, POLICY)
    try:  # a year without a cloud: no cloud to expire it, so the gallery still opens, online
        assert loop.visit(photos["Barack_Obama"][2]) == ("granted", "recognized", "obama", "local", False)
    finally:
        chain.close()


def test_without_pad_the_cloud_teaches_the_local_cache_nothing(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    """The door's PAD is off (still photos): a strict cloud match grants, but no track is ever
    judged bona fide, so nothing is learned (what does teach: tests/loop/test_cloud_teacher.py)."""
    decided = door.loop.visit(photos["Barack_Obama"][1])  # the cloud names Obama, strictly
    assert decided == ("granted", "recognized", "obama", "testcloud", False)
    assert all(door.store.require_person(p).learned_faces == 0 for p in ("obama", "biden", "collins"))


def test_a_failed_cloud_step_stays_pending_until_sync(door: Door, photos: dict[str, list[Photo]]) -> None:
    door.server.stop()
    photo = photos["Barack_Obama"][3]  # any face will do as "a new person" for the bookkeeping
    enrolled = door.enrollment.add("newcomer", "New Comer", GROUPS,
                                   [Accepted(str(photo.path), photo.face, cloud_jpeg(photo.image))])
    assert enrolled.added and "testcloud" in enrolled.cloud_errors
    assert door.store.require_person("newcomer").sync_pending
    owed = door.enrollment.remove("collins")
    assert owed == ["testcloud"] and door.store.pending_deletes() == [("testcloud", "collins")]
    door.restart_cloud()
    report = sync_once(door.enrollment, GROUPS)
    assert report.completed == ["newcomer"] and report.deletions_done == 1 and report.ok
    assert not door.store.require_person("newcomer").sync_pending
    assert sorted(door.cloud.list_persons(GROUPS)) == ["biden", "newcomer", "obama"]


def test_sync_keeps_people_of_other_groups_the_cloud_still_holds(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    guest = photos["Barack_Obama"][3]
    door.enrollment.add("guest", "Guest", ["visitors"], [Accepted(str(guest.path), guest.face,
                                                                  cloud_jpeg(guest.image))])
    report = sync_once(door.enrollment, GROUPS)
    assert report.removed == [] and "guest" in report.confirmed
    door.cloud.delete_person("guest")
    assert sync_once(door.enrollment, GROUPS).removed == ["guest"]
