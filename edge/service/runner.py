"""The appliance loop: frames in, decisions out.

Per frame: detect and describe (vision) -> track -> quality gates -> identify through the
backend chain -> presentation attacks (PAD, per track) -> one observation per tracked face ->
the multi-frame decision -> events to the
sinks. The capture thread (``FrameReader``) keeps only the newest frame. With a cloud backend
first in the chain, the cloud is asked per track, off the loop's thread
(:mod:`edge.identify.tracks`): the loop never waits for it, and the cloud's answer about a track
teaches the local cache only once PAD judged the track bona fide for good, on a frame that shows
the face at the door (:meth:`Appliance._teach`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import cv2
import numpy as np

from edge.access.decision import DecisionEngine, Observation
from edge.access.event import AccessEvent
from edge.access.tracker import Track, Tracker
from edge.access.zone import DoorZone
from edge.capture.base import Frame
from edge.capture.reader import FrameReader
from edge.capture.sensors import Sensors
from edge.config.settings import Settings
from edge.errors import BackendUnavailable
from edge.events.base import EventSink, FaceKeepingSink
from edge.gallery.cohort import CohortStore
from edge.gallery.learn import CloudTeacher
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import door_local_backend
from edge.identify.fusion import TrackFusion
from edge.identify.thresholds import policy_allows
from edge.identify.tracks import CloudSaid, CloudTracks, Held, OnDevice, TrackFace
from edge.identify.verdict import Judge, Verdict
from edge.service.metrics import Metrics
from edge.service.watchdog import Heartbeat
from edge.vision.pad.base import PadFrame
from edge.vision.pad.site import load_offset, site_path
from edge.vision.pad.stage import PadStage, PadVerdict
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Face

log = logging.getLogger(__name__)

FACE_MARGIN = 0.25  # of the box's size on each side: the kept crop shows the whole head


class GalleryDirectory:
    """Who a person is (name, groups), from the local gallery."""

    def __init__(self, store: GalleryStore) -> None:
        self.store = store

    def person(self, person_id: str) -> tuple[str, list[str]] | None:
        person = self.store.person(person_id)
        return (person.name, list(person.groups)) if person else None


def face_crop_jpeg(image: np.ndarray, box: Box) -> bytes:
    """The JPEG of ``box`` in ``image`` widened by :data:`FACE_MARGIN`, clipped to the frame."""
    height, width = image.shape[:2]
    mx, my = box.w * FACE_MARGIN, box.h * FACE_MARGIN
    x0, y0 = max(0, int(box.x - mx)), max(0, int(box.y - my))
    x1, y1 = min(width, int(box.x + box.w + mx)), min(height, int(box.y + box.h + my))
    ok, encoded = cv2.imencode(".jpg", image[y0:y1, x0:x1])
    if not ok:
        raise ValueError("the face crop could not be encoded as JPEG")
    return encoded.tobytes()


Identity = Verdict | Held | None  # None: no backend answered, the frame says nothing about who it is
Released = dict[int, list[tuple[Observation, Verdict]]]  # track -> its held frames, now judged
FINAL = ("granted", "presentation_attack")  # decisions after which a track is never asked about again


@dataclass(frozen=True)
class SeenFace:
    """One face of a frame as the loop saw it, for a live viewer."""

    box: Box
    track: int
    usable: bool
    verdict: Verdict | None


class FrameViewer(Protocol):
    """Someone watching the loop (the console's live view). ``watching`` is read on every frame
    and must be cheap; ``show`` is called only while it is true and must not block."""

    @property
    def watching(self) -> bool: ...

    def show(self, frame: Frame, faces: list[SeenFace]) -> None: ...


def _described(face: Face) -> np.ndarray:
    """A usable face's descriptor (the analyzer describes every face the quality gates pass)."""
    if face.embedding is None:
        raise ValueError("a usable face without a descriptor")
    return face.embedding


@dataclass
class Appliance:
    settings: Settings
    analyzer: FaceAnalyzer
    chain: BackendChain
    gallery: GalleryStore
    sinks: Sequence[EventSink]
    metrics: Metrics | None = None
    backlog: Callable[[], int] | None = None  # events not yet acknowledged by the broker
    cohort: CohortStore | None = None  # unidentified tracks' descriptors, for the site calibration
    viewer: FrameViewer | None = None
    sensors: Sensors | None = None  # IR / depth cameras for the hardware PAD methods
    tracker: Tracker = field(init=False)
    engine: DecisionEngine = field(init=False)
    fusion: TrackFusion = field(init=False)
    pad: PadStage | None = field(init=False)
    _judge: Judge = field(init=False)
    cloud: CloudTracks[Observation] | None = field(init=False)  # per-track cloud calls, when a cloud is first
    teacher: CloudTeacher | None = field(init=False)  # the cloud-taught cache: a cloud first and PAD on
    _failures_seen: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        access = self.settings.access
        self.fusion = TrackFusion(access.window_frames, access.window_s)
        self._judge = Judge(access, self.gallery, self._report_policy)
        self.tracker = Tracker(max_gap_s=max(1.0, self.settings.access.window_s))
        self.door_zone = DoorZone(self.settings.access.door_zone)
        self.engine = DecisionEngine(
            self.settings.access,
            device=self.settings.device.id,
            door=self.settings.device.door,
            directory=GalleryDirectory(self.gallery),
            pad_undecided=self.settings.vision.pad.undecided,
        )
        pad = self.settings.vision.pad
        self.pad = (PadStage.from_settings(pad, load_offset(site_path(pad, self.settings.service.state_dir)))
                    if pad.enabled else None)
        self.cloud = self._cloud_tracks() if self.chain.cloud_first else None
        self.teacher = (CloudTeacher(self.gallery, self.settings.gallery, access.groups)
                        if self.cloud is not None and self.pad is not None else None)

    def _cloud_tracks(self) -> CloudTracks[Observation]:
        """Per-track cloud calls; a frame shows the face the cloud was asked about when their
        descriptors pass the local calibration's cut for one comparison at the door's policy (a cut
        that cannot meet the policy verifies nothing: the cloud's answers then grant nobody)."""
        access = self.settings.access
        cut = door_local_backend(self.settings, self.gallery).threshold(access.max_false_accept, 1)
        same_face_cut = cut.score
        if not policy_allows(cut.far, access.max_false_accept, access.accept_false_accept_up_to):
            log.error("the local calibration's one-to-one cut stands for a false-accept rate of %.2g, above "
                      "access.max_false_accept %g: frames cannot be verified against the cloud's answers",
                      cut.far, access.max_false_accept)
            same_face_cut = float("inf")
        return CloudTracks(self.chain, same_face_cut, reask_s=self.settings.identify.cloud_reask_s,
                           disagree_frames=access.min_frames, observer=self.metrics)

    # -- one frame ---------------------------------------------------------------------------
    def process(self, frame: Frame) -> list[AccessEvent]:
        faces = self.analyzer.analyze(frame.image, describe_rejected=False, on_stage=self._record_stage)
        tracks = self.tracker.update([f.detection.box for f in faces], frame.time)
        self.engine.forget_tracks(set(self.tracker.tracks))
        self.fusion.forget(set(self.tracker.tracks))
        usable = [i for i, face in enumerate(faces) if face.quality.ok]
        own = {i: _described(faces[i]) for i in usable}  # each usable face's own descriptor, before fusion
        faces = [self._fused(face, track, frame.time) if i in usable else face
                 for i, (face, track) in enumerate(zip(faces, tracks))]
        released: Released = {}
        if self.cloud is None:
            verdicts = self._identify(frame, [faces[i] for i in usable])
            identities: list[Identity] = list(verdicts) if verdicts is not None else [None] * len(usable)
        else:
            self.cloud.forget(set(self.tracker.tracks))
            identities, released = self._identify_tracks(
                frame, [TrackFace(tracks[i].id, faces[i], own[i]) for i in usable])
        pad = self._pad(frame, faces, [t.id for t in tracks])
        height, width = frame.image.shape[:2]
        at_door = self.door_zone.at_door([f.detection.box for f in faces], width, height)
        started = time.perf_counter()
        events: list[tuple[AccessEvent, Box]] = []
        seen: list[SeenFace] = []
        for index, (face, track) in enumerate(zip(faces, tracks)):
            identity = identities[usable.index(index)] if index in usable else None
            verdict = identity if isinstance(identity, Verdict) else None
            seen.append(SeenFace(face.detection.box, track.id, index in usable, verdict))
            if index in usable:
                self._teach(track.id, own[index], pad[index], at_door[index])
            for held, judged in released.get(track.id, []):  # decided now: this face, PAD's verdict now
                self._observe(replace(held, time=frame.time, box=face.detection.box, pad=pad[index],
                                      at_door=at_door[index], person_id=judged.person_id, match=judged.match,
                                      policy_unreachable=judged.policy_unreachable), face, events)
            if index in usable and identity is None:
                continue  # no backend answered: this frame says nothing about who it is
            observation = Observation(
                time=frame.time,
                track=track,
                box=face.detection.box,
                usable=index in usable,
                quality_reasons=face.quality.reasons,
                person_id=verdict.person_id if verdict else None,
                match=verdict.match if verdict else None,
                liveness=face.liveness,
                pad=pad[index],
                policy_unreachable=verdict.policy_unreachable if verdict else False,
                at_door=at_door[index],
            )
            if isinstance(identity, Held) and self.cloud is not None:
                self.cloud.hold(track.id, observation, own[index])
                continue  # the cloud's answer about this track is on its way
            self._observe(observation, face, events)
        for event, box in events:
            self._publish(event, frame.image, box)
        self._stage("decide", started)
        if self.viewer is not None and self.viewer.watching:
            self.viewer.show(frame, seen)
        return [event for event, _ in events]

    def _observe(self, observation: Observation, face: Face, events: list[tuple[AccessEvent, Box]]) -> None:
        """One observation into the decision; its event, if any, onto ``events``."""
        event = self.engine.observe(observation)
        if event is None:
            return
        events.append((event, face.detection.box))
        if event.reason == "unknown" and self.cohort is not None and face.embedding is not None:
            self.cohort.add(face.embedding)  # a face the door never identified: its population
        if self.cloud is not None and (event.decision in FINAL or event.reason in FINAL):
            self.cloud.settle(observation.track.id)

    def _teach(self, track: int, own: np.ndarray, pad: PadVerdict | None, at_door: bool) -> None:
        """The one place the cloud-taught cache learns: the cloud's answer about ``track`` (once per
        answer), only when PAD's verdict on the track is bona fide for good (never while undecided
        or provisional, never on an attack, never with PAD off), on a frame whose face (``own``: its
        own descriptor) is the face the cloud was asked about and the face at the door."""
        if self.teacher is None or self.cloud is None or not at_door:
            return
        if pad is None or pad.outcome != "bona_fide" or not pad.final:
            return
        lesson = self.cloud.lesson(track, own)
        if lesson is None:
            return
        answer = lesson.answer
        try:
            self.teacher.observe(answer.backend, lesson.face, answer.identifications[0])
        except Exception:  # a cache that cannot learn must not stop the door
            log.exception("learning from %s's answer failed", answer.backend_name)

    def _fused(self, face: Face, track: Track, now: float) -> Face:
        """The face with its track's fused descriptor (quality-weighted by the detector's score):
        the door decides on the evidence of the track's recent frames, not of one frame."""
        if face.embedding is None:
            return face
        fused, _ = self.fusion.add(track.id, now, face.embedding, face.detection.score)
        return replace(face, embedding=fused)

    def _pad(self, frame: Frame, faces: list[Face], track_ids: list[int]) -> list[PadVerdict | None]:
        """Each face's track judged by the PAD stage (None for every face when PAD is off)."""
        if self.pad is None:
            return [None] * len(faces)
        started = time.perf_counter()
        self.pad.forget(set(self.tracker.tracks))
        ir, depth = self.sensors.read() if self.sensors else (None, None)
        verdicts: list[PadVerdict | None] = [
            self.pad.observe(tid, PadFrame(frame.time, frame.image, face.detection, ir, depth))
            for face, tid in zip(faces, track_ids)
        ]
        self._stage("pad", started)
        return verdicts

    def _identify(self, frame: Frame, faces: list[Face]) -> list[Verdict] | None:
        if not faces:
            return []
        started = time.perf_counter()
        try:
            answer = self.chain.identify(frame.image, faces)
        except BackendUnavailable as exc:
            log.warning("no identification for this frame: %s", exc)
            return None
        finally:
            self._stage("identify", started)
            self._count_backend_errors()
        return self._judge(answer)

    def _identify_tracks(self, frame: Frame, faces: list[TrackFace]) -> tuple[list[Identity], Released]:
        """Each usable face's identity from its track's cloud answer (held while the first call is
        in flight; the device's answer when no cloud answered), and the held frames now judged."""
        assert self.cloud is not None
        started = time.perf_counter()
        steps = self.cloud.rule(frame.image, faces)
        identities: list[Identity] = []
        for face, step in zip(faces, steps):
            ruling = step.ruling
            if isinstance(ruling, OnDevice):
                identities.append(self._identify_on_device(frame, face.face, ruling.offline))
            else:
                identities.append(ruling if isinstance(ruling, Held) else self._cloud_verdict(ruling))
        released = {face.track: [(held, self._cloud_verdict(said)) for held, said in step.released]
                    for face, step in zip(faces, steps) if step.released}
        self._stage("identify", started)
        self._count_backend_errors()
        return identities, released

    def _identify_on_device(self, frame: Frame, face: Face, offline: bool) -> Verdict | None:
        try:
            return self._judge(self.chain.identify_local(frame.image, [face], offline=offline))[0]
        except BackendUnavailable as exc:
            log.warning("no identification for this face: %s", exc)
            return None

    def _cloud_verdict(self, said: CloudSaid) -> Verdict:
        """The cloud's verdict on the track, for a frame; a frame that does not show the face the
        cloud was asked about gets neither its name nor its score."""
        verdict = self._judge(said.answer)[0]
        return verdict if said.same_face else Verdict(None, None, verdict.policy_unreachable)

    def _count_backend_errors(self) -> None:
        if not self.metrics:
            return
        for name, failures in self.chain.failures().items():
            new = failures - self._failures_seen.get(name, 0)
            if new:
                self.metrics.backend_error(name, new)
            self._failures_seen[name] = failures

    def _report_policy(self, backend: str, far: float, unreachable: bool) -> None:
        if self.metrics is None:
            return
        self.metrics.false_accept_in_force(backend, far)
        if self.metrics.health is not None:
            reason = (f"{backend}: the calibration stands for a 1:N false-accept rate of {far:.2g}, above "
                      f"access.max_false_accept {self.settings.access.max_false_accept:g}: nobody is let in")
            self.metrics.health.problem("policy_unreachable", reason if unreachable else None)

    def _publish(self, event: AccessEvent, image: np.ndarray, box: Box) -> None:
        log.info(
            "%s %s: %s", event.decision, event.reason, event.person_name or event.person_id or "-",
            extra={"fields": {"event_id": event.id, "track": event.track}},
        )
        if self.metrics:
            self.metrics.decision(event.decision, event.reason)
        face_jpeg = face_crop_jpeg(image, box) if self.settings.service.keep_face_images else None
        for sink in self.sinks:
            name = type(sink).__name__
            try:
                if face_jpeg is not None and isinstance(sink, FaceKeepingSink):
                    sink.handle_with_face(event, face_jpeg)
                else:
                    sink.handle(event)
            except Exception as exc:  # one sink failing must not silence the others or stop the door
                log.exception("event sink %s failed", name)
                if self.metrics:
                    self.metrics.sink_failed(name, str(exc))
            else:
                if self.metrics:
                    self.metrics.sink_failed(name, None)

    def _stage(self, name: str, started: float) -> None:
        self._record_stage(name, time.perf_counter() - started)

    def _record_stage(self, name: str, seconds: float) -> None:
        if self.metrics:
            self.metrics.stage(name, seconds)

    # -- the loop ----------------------------------------------------------------------------
    def run(self, reader: FrameReader, stop: threading.Event, heartbeat: Heartbeat | None = None,
            max_frames: int | None = None) -> int:
        """Process frames until ``stop`` is set or a finite source ends; returns frames processed."""
        processed = 0
        while not stop.is_set() and (max_frames is None or processed < max_frames):
            frame = reader.next(timeout=1.0)
            if heartbeat and (frame is not None or not reader.stats.connected):
                # proof of life: a frame, or a lost camera being reopened (reported, not stuck);
                # a camera that is open but silent stops the beats and systemd restarts us
                heartbeat.beat()
            if frame is None:
                if reader.ended:
                    break
                continue
            if self.metrics:
                self.metrics.frame()
            self.process(frame)
            processed += 1
            if self.metrics:
                for name, state in self.chain.circuit_states().items():
                    self.metrics.circuit(name, state)
                if self.backlog:
                    self.metrics.outbox_depth(self.backlog())
        if self.cloud is not None:
            self.cloud.forget(set())  # the loop is over: so are its tracks
        return processed
