"""Failover, revocation and offline expiry against a real cloud service on loopback."""

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
from edge.gallery.learn import CloudTeacher
from edge.gallery.store import GalleryStore
from edge.gallery.sync import sync_once
from edge.identify.chain import BackendChain, ChainAnswer, CircuitState
from edge.identify.config import IdentifySettings
from edge.identify.local.backend import LocalBackend
from edge.identify.thresholds import FarTable
from edge.vision.pipeline import FaceAnalyzer
from tests.gallery.cloud import CloudClient, CloudState, cloud_app
from tests.gallery.conftest import Photo

GROUPS = ["staff"]
POLICY = 1e-4  # access.max_false_accept
# A cosine table of the descriptor's order of magnitude (the shipped calibration is tested elsewhere).
LOCAL_TABLE = FarTable.from_pairs("cosine", [(0.90, 1e-2), (0.93, 1e-3), (0.95, 1e-4)])
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

    def decide(self, photo: Photo) -> tuple[str | None, ChainAnswer]:
        """Who the door would let in for this photo: the deciding backend's best above its threshold."""
        answer = self.chain.identify(photo.image, [photo.face])
        best = answer.identifications[0].best
        threshold = answer.backend.threshold(POLICY, self.local.gallery_size())
        return (best.person_id if best and best.score >= threshold.score else None), answer

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
    teacher = CloudTeacher(store, GallerySettings(), GROUPS, min_live=0.1)
    chain = BackendChain([cloud, local], SETTINGS, on_cloud_answer=teacher)
    door = Door(state, server, cloud, store, enrollment, local, chain)
    yield door
    chain.close()
    cloud.close()
    door.server.stop()
    store.close()


def test_cloud_outage_mid_run_falls_back_to_the_local_cache_and_back(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    obama = photos["Barack_Obama"][2]  # a photo enrolled nowhere
    who, answer = door.decide(obama)
    assert (who, answer.backend_name, answer.offline) == ("obama", "testcloud", False)

    door.server.stop()  # the cloud goes away mid-run
    decision_times = []
    for _ in range(4):
        started = time.monotonic()
        who, answer = door.decide(obama)
        decision_times.append(time.monotonic() - started)
        assert (who, answer.backend_name, answer.offline) == ("obama", "local", True)
    assert max(decision_times) < SETTINGS.deadline_ms / 1000  # within one decision's deadline
    assert door.chain.circuit_states()["testcloud"] is CircuitState.OPEN
    assert door.chain.health()["testcloud"].error_rate > 0

    door.restart_cloud()
    time.sleep(SETTINGS.breaker_reset_s)
    assert door.chain.circuit_states()["testcloud"] is CircuitState.HALF_OPEN
    who, answer = door.decide(obama)
    assert (who, answer.backend_name, answer.offline) == ("obama", "testcloud", False)
    assert door.chain.circuit_states()["testcloud"] is CircuitState.CLOSED


def test_a_hanging_cloud_costs_at_most_the_deadline(door: Door, photos: dict[str, list[Photo]]) -> None:
    door.state.delay_s = 1.0
    started = time.monotonic()
    who, answer = door.decide(photos["Joe_Biden"][1])
    elapsed = time.monotonic() - started
    assert (who, answer.backend_name, answer.offline) == ("biden", "local", True)
    assert SETTINGS.deadline_ms / 1000 <= elapsed < SETTINGS.deadline_ms / 1000 + 0.4


def test_removed_in_the_cloud_is_denied_offline_after_the_next_sync(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    biden = photos["Joe_Biden"][1]
    door.cloud.delete_person("biden")  # an administrator revokes Biden in the cloud
    report = sync_once(door.enrollment, GROUPS)
    assert report.removed == ["biden"] and report.confirmed == ["collins", "obama"]
    assert door.store.person("biden") is None
    door.server.stop()
    who, answer = door.decide(biden)
    assert answer.backend_name == "local" and answer.offline
    assert who is None
    assert "biden" not in {c.person_id for c in answer.identifications[0].candidates}


def test_an_entry_older_than_max_age_does_not_open_offline(
        door: Door, photos: dict[str, list[Photo]]) -> None:
    obama = photos["Barack_Obama"][2]
    door.server.stop()
    assert door.decide(obama)[0] == "obama"  # confirmed at enrollment, moments ago
    later = time.time() + MAX_AGE.total_seconds() + 3600
    door.local._clock = lambda: later  # eight days without a word from the cloud
    who, answer = door.decide(obama)
    assert who is None and answer.identifications[0].candidates == ()
    door.restart_cloud()
    sync_once(door.enrollment, GROUPS, now=later)  # the cloud confirms them again
    door.server.stop()
    time.sleep(0.05)
    assert door.decide(obama)[0] == "obama"


def test_local_only_gallery_is_authoritative(door: Door, photos: dict[str, list[Photo]]) -> None:
    local_only = LocalBackend(door.store, LOCAL_TABLE, GROUPS, max_age=None,
                              clock=lambda: time.time() + 365 * 86400)
    chain = BackendChain([local_only], SETTINGS)
    answer = chain.identify(photos["Barack_Obama"][2].image, [photos["Barack_Obama"][2].face])
    assert answer.identifications[0].best is not None
    assert (answer.identifications[0].best.person_id, answer.offline) == ("obama", False)


def test_the_cloud_teaches_the_local_cache(door: Door, photos: dict[str, list[Photo]]) -> None:
    assert door.store.require_person("obama").learned_faces == 0
    who, answer = door.decide(photos["Barack_Obama"][1])  # the cloud names Obama, strictly
    assert (who, answer.backend_name) == ("obama", "testcloud")
    assert door.store.require_person("obama").learned_faces == 1
    learned = [f for f in door.store.faces("obama") if f.source == "learned"][0]
    assert float(learned.embedding @ photos["Barack_Obama"][1].embedding) > 0.999
    assert all(door.store.require_person(p).learned_faces == 0 for p in ("biden", "collins"))


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
