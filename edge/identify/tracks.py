"""Per-track cloud identification: the cloud is asked about a person once, not about every frame.

When a cloud backend comes first in the chain it is asked about a *track* (one face followed
across frames, :mod:`edge.access.tracker`), never frame by frame:

- once, when the track shows its first usable face, with that frame; tracks that show their first
  usable face in the same frame share one call (the backends send several faces as one
  multi-face search);
- again only when the track's face stops being the face the cloud was asked about
  (``disagree_frames`` frames in a row fail the 1:1 check below, as when the tracker jumps to
  another person), with the frame that disagrees; or ``reask_s`` after the last answer, with the
  best usable frame since (the largest interocular distance: the face's resolution, the gates
  having judged blur, pose and light); a granted track is not asked again;
- at most one call in flight per track. Calls run on the chain's worker threads
  (:meth:`BackendChain.submit_cloud`, failover and circuit breakers as for any call); the loop only
  looks whether an answer has arrived and never waits for one.

The answer rules on every frame of the track: each frame's own descriptor is compared with the
descriptor of the face the cloud was asked about, at the local calibration's cut for one
comparison at the door's policy (``same_face_cut``), so the K-of-M rule sees every frame, and a
frame showing another face never counts for the person the cloud named. Frames seen while the
first call is in flight are held and ruled on when its answer arrives. A track whose call found no
cloud answering is identified frame by frame on the device (the chain's local backends; frames
held for that call said nothing) until a later call is answered.

Each answer is also handed out once as a :class:`Lesson` (the face asked about and the cloud's
answer) for the cloud-taught cache, on a frame that shows that face; the runner decides when the
track may teach (:meth:`edge.service.runner.Appliance._teach`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Generic, Protocol, TypeVar

import numpy as np

from edge.identify.chain import BackendChain, ChainAnswer, NoAnswer
from edge.vision.types import Face

T = TypeVar("T")


@dataclass(frozen=True)
class TrackFace:
    """A usable face of the current frame and its track."""

    track: int
    face: Face  # carrying the track's fused descriptor: what the cloud and the cloud-taught cache get
    own: np.ndarray  # (D,) float32 unit vector: this frame's own descriptor, for the 1:1 check

    @property
    def resolution(self) -> float:
        """Interocular distance in pixels (the detector's box width when not measured)."""
        return self.face.quality.measures.get("interocular_px", self.face.detection.box.w)


@dataclass(frozen=True)
class Held:
    """The track's first call is in flight: hold the frame until :attr:`Step.released`."""


@dataclass(frozen=True)
class CloudSaid:
    """The cloud's answer about the track (one identification) and whether this frame shows the
    face it was asked about."""

    answer: ChainAnswer
    same_face: bool


@dataclass(frozen=True)
class Lesson:
    """A cloud's answer about a track and the face it was asked about (with the track's fused
    descriptor), for the cloud-taught cache (:class:`edge.gallery.learn.CloudTeacher`)."""

    face: Face
    answer: ChainAnswer


@dataclass(frozen=True)
class OnDevice:
    """No cloud answered about the track: identify this frame with the chain's local backends;
    ``offline`` when a cloud was out of reach (not merely refusing the request)."""

    offline: bool


Ruling = Held | CloudSaid | OnDevice
HELD = Held()


@dataclass(frozen=True)
class Step(Generic[T]):
    """The ruling on a face of this frame, and the frames of its track held until now, ruled on
    (oldest first)."""

    ruling: Ruling
    released: list[tuple[T, CloudSaid]]


class CallObserver(Protocol):
    """Where the cost of the calls goes (the service's metrics)."""

    def cloud_call(self, backend: str | None, seconds: float) -> None:
        """One per-track call took ``seconds``; ``backend`` answered it (None: no cloud did)."""
        ...

    def track_calls(self, calls: int) -> None:
        """A track that ended cost ``calls`` cloud calls."""
        ...


@dataclass(frozen=True)
class _Call:
    future: Future[ChainAnswer | NoAnswer]
    index: int  # the track's face among the call's faces
    reference: np.ndarray  # own descriptor of the face asked about
    face: Face  # the face asked about


@dataclass(frozen=True)
class _Answer:
    ruling: CloudSaid | OnDevice  # same_face of a CloudSaid is filled in per frame
    reference: np.ndarray
    at: float
    lesson: Lesson | None = None  # a cloud's answer, until handed out by CloudTracks.lesson


@dataclass
class _Track(Generic[T]):
    """What is known and asked about one track."""

    best: tuple[np.ndarray, TrackFace] | None = None  # best usable frame since the last call
    call: _Call | None = None
    answer: _Answer | None = None
    disagreeing: int = 0  # frames in a row that are not the face the cloud answered about
    calls: int = 0
    settled: bool = False
    held: list[tuple[T, np.ndarray]] = field(default_factory=list)


class CloudTracks(Generic[T]):
    """Per-track calls to the chain's clouds; ``T`` is what the caller holds for a frame."""

    def __init__(self, chain: BackendChain, same_face_cut: float, *, reask_s: float, disagree_frames: int,
                 observer: CallObserver | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """``same_face_cut``: cosine similarity at or above which two descriptors show one face;
        ``reask_s`` 0 = ask again only on disagreement."""
        self._chain = chain
        self._cut = same_face_cut
        self._reask_s = reask_s
        self._disagree_frames = disagree_frames
        self._observer = observer
        self._clock = clock
        self._tracks: dict[int, _Track[T]] = {}

    def rule(self, image: np.ndarray, faces: Sequence[TrackFace]) -> list[Step[T]]:
        """A step per face of this frame (BGR ``image``), in order; sends the calls due now."""
        now = self._clock()
        asks: dict[int, tuple[np.ndarray, list[TrackFace]]] = {}  # frame -> faces, one call each
        steps = []
        for tf in faces:
            state = self._tracks.setdefault(tf.track, _Track())
            self._collect(state, now)
            if state.best is None or tf.resolution > state.best[1].resolution:
                state.best = (image, tf)
            ruling = self._ruling(state, tf.own)
            released = self._release(state) if state.answer is not None else []
            due = self._due(state, now, (image, tf))
            if due is not None:
                asks.setdefault(id(due[0]), (due[0], []))[1].append(due[1])
            steps.append(Step(ruling, released))
        for frame, asked_faces in asks.values():
            self._send(frame, asked_faces)
        return steps

    def hold(self, track: int, item: T, own: np.ndarray) -> None:
        """Keep ``item`` (a frame ruled :class:`Held`) until the track's answer arrives."""
        self._tracks[track].held.append((item, own))

    def lesson(self, track: int, own: np.ndarray) -> Lesson | None:
        """The track's newest cloud answer and the face it was about, once per answer, when this
        frame's descriptor ``own`` shows that face (None otherwise, or when no cloud answered)."""
        state = self._tracks.get(track)
        answer = state.answer if state is not None else None
        if answer is None or answer.lesson is None or not self._same_face(answer, own):
            return None
        assert state is not None
        state.answer = replace(answer, lesson=None)
        return answer.lesson

    def settle(self, track: int) -> None:
        """The track is decided for good (granted, or judged an attack): never ask about it again."""
        if track in self._tracks:
            self._tracks[track].settled = True

    def forget(self, live: set[int]) -> None:
        """Drop the tracks that ended (an answer still in flight for them is ignored)."""
        for track in [t for t in self._tracks if t not in live]:
            state = self._tracks.pop(track)
            if state.calls and self._observer is not None:
                self._observer.track_calls(state.calls)

    # -- inside ------------------------------------------------------------------------------
    def _collect(self, state: _Track[T], now: float) -> None:
        call = state.call
        if call is None or not call.future.done():
            return
        state.call = None
        cancelled = call.future.cancelled()  # never sent: the chain closed
        result = NoAnswer(("the chain closed",), False) if cancelled else call.future.result()
        if isinstance(result, NoAnswer):
            state.held.clear()  # no backend answered for them: they say nothing
            state.answer = _Answer(OnDevice(result.offline), call.reference, now)
        else:
            one = ChainAnswer([result.identifications[call.index]], result.backend, result.offline)
            state.answer = _Answer(CloudSaid(one, same_face=True), call.reference, now,
                                   lesson=Lesson(call.face, one))
        state.disagreeing = 0  # counted against the new reference from now on

    def _same_face(self, answer: _Answer, own: np.ndarray) -> bool:
        return float(own @ answer.reference) >= self._cut

    def _ruling(self, state: _Track[T], own: np.ndarray) -> Ruling:
        answer = state.answer
        if answer is None:
            return HELD
        if isinstance(answer.ruling, OnDevice):
            return answer.ruling
        same = self._same_face(answer, own)
        state.disagreeing = 0 if same else state.disagreeing + 1
        return CloudSaid(answer.ruling.answer, same)

    def _release(self, state: _Track[T]) -> list[tuple[T, CloudSaid]]:
        answer = state.answer
        assert answer is not None
        said = answer.ruling
        released = ([(item, CloudSaid(said.answer, self._same_face(answer, own))) for item, own in state.held]
                    if isinstance(said, CloudSaid) else [])
        state.held.clear()
        return released

    def _due(self, state: _Track[T], now: float, current: tuple[np.ndarray, TrackFace]
             ) -> tuple[np.ndarray, TrackFace] | None:
        """The (frame, face) to ask the cloud about for this track now, if a call is due."""
        if state.call is not None or state.settled:
            return None
        if state.answer is None or state.disagreeing >= self._disagree_frames:
            return current  # a new track (its first usable frame is its best so far), or another face
        if self._reask_s > 0 and now - state.answer.at >= self._reask_s:
            return state.best
        return None

    def _send(self, frame: np.ndarray, asked: list[TrackFace]) -> None:
        started = self._clock()
        future = self._chain.submit_cloud(frame, [tf.face for tf in asked])
        if self._observer is not None:
            future.add_done_callback(lambda done: self._report(done, started))
        for index, tf in enumerate(asked):
            state = self._tracks[tf.track]
            state.call = _Call(future, index, tf.own, tf.face)
            state.calls += 1
            state.best = None
            state.disagreeing = 0

    def _report(self, done: Future[ChainAnswer | NoAnswer], started: float) -> None:
        assert self._observer is not None
        if done.cancelled():  # never sent: the chain closed first
            return
        result = done.result()
        backend = None if isinstance(result, NoAnswer) else result.backend_name
        self._observer.cloud_call(backend, self._clock() - started)
