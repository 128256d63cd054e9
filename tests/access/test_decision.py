"""The decision rules on exact observation sequences (the end-to-end scenarios on real photo
sequences live in tests/service/test_scenarios.py)."""

from __future__ import annotations

from datetime import datetime

from edge.access.config import AccessSettings
from edge.access.decision import DecisionEngine, Observation
from edge.access.event import Match
from edge.access.tracker import Track, Tracker
from edge.vision.pad.base import PadScore
from edge.vision.pad.stage import PadVerdict
from edge.vision.types import Box, Liveness

BOX = Box(100, 100, 80, 80)
MATCH = Match(backend="local", score=0.8, scale="cosine", threshold=0.6, false_accept=1e-4)


class Directory:
    def __init__(self, people: dict[str, tuple[str, list[str]]]) -> None:
        self.people = people

    def person(self, person_id: str) -> tuple[str, list[str]] | None:
        return self.people.get(person_id)


PEOPLE = Directory({"alice": ("Alice", ["default"]), "bob": ("Bob", ["visitors"])})
MONDAY_NOON = datetime(2026, 11, 23, 12, 0)


def engine(pad_undecided: str = "wait", **access: object) -> DecisionEngine:
    return DecisionEngine(AccessSettings(**access), device="d1", door="front", directory=PEOPLE,
                          wall_clock=lambda: MONDAY_NOON, pad_undecided=pad_undecided)


def obs(track: Track, t: float, person: str | None = "alice", *, usable: bool = True,
        pad: PadVerdict | None = None) -> Observation:
    return Observation(time=t, track=track, box=BOX, usable=usable, person_id=person if usable else None,
                       match=MATCH if usable else None, liveness=Liveness(0.9, 0.6), pad=pad)


SCORE = PadScore("rigid_motion", 0.9, 0.6, 4, {"ring_follows": 0.9})
ATTACK = PadVerdict("attack", 0.3, 4, (SCORE,))
BONA_FIDE = PadVerdict("bona_fide", -0.5, 4, (PadScore("rigid_motion", 0.1, 0.6, 4),))
UNDECIDED = PadVerdict("undecided", None, 2)


def run(e: DecisionEngine, observations: list[Observation]) -> list[tuple[str, str, str | None]]:
    events = [e.observe(o) for o in observations]
    return [(ev.decision, ev.reason, ev.person_id) for ev in events if ev is not None]


def test_grant_needs_k_agreeing_frames_and_happens_once() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, 0.0), obs(track, 0.1)]) == []
    assert run(e, [obs(track, 0.2)]) == [("granted", "recognized", "alice")]
    assert run(e, [obs(track, 0.3 + i / 10) for i in range(10)]) == []


def test_agreeing_frames_must_fall_within_the_window() -> None:
    e = engine(window_s=1.5)
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, 0.0), obs(track, 1.0), obs(track, 2.0), obs(track, 3.0)]) == []
    assert run(e, [obs(track, 3.5)]) == [("granted", "recognized", "alice")]


def test_single_good_frame_among_bad_ones_does_not_grant() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    seq = [obs(track, i / 10, usable=False) for i in range(5)] + [obs(track, 0.5)]
    seq += [obs(track, 0.6 + i / 10, usable=False) for i in range(10)]
    assert run(e, seq) == []


def test_mixed_names_are_unknown_once() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    names = ["alice", None, "bob", None, "alice", None, None]
    assert run(e, [obs(track, i / 10, n) for i, n in enumerate(names)]) == [("denied", "unknown", None)]


def test_not_allowed_and_outside_schedule() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, i / 10, "bob") for i in range(5)]) == [("denied", "not_allowed", "bob")]
    closed = engine(schedules={"default": ["sat-sun 08:00-12:00"]})
    track2 = Track(2, BOX, 0.0, 0.0)
    assert run(closed, [obs(track2, i / 10) for i in range(3)]) == [
        ("denied", "outside_schedule", "alice")
    ]


def test_liveness_signals_no_longer_deny() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    weak = [Observation(time=i / 10, track=track, box=BOX, usable=True, person_id="alice", match=MATCH,
                        liveness=Liveness(0.01, 0.01)) for i in range(3)]
    assert run(e, weak) == [("granted", "recognized", "alice")]


def test_presentation_attack_is_denied_with_the_evidence_and_never_granted() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    events = [e.observe(obs(track, i / 10, pad=ATTACK)) for i in range(3)]
    (event,) = [ev for ev in events if ev is not None]
    assert (event.decision, event.reason, event.person_id) == ("denied", "presentation_attack", "alice")
    assert event.pad is not None and event.pad.verdict == "attack" and event.pad.frames == 4
    assert event.pad.methods["rigid_motion"].attack == 0.9
    assert event.pad.methods["rigid_motion"].details == {"ring_follows": 0.9}
    assert run(e, [obs(track, 0.3 + i / 10, pad=BONA_FIDE) for i in range(5)]) == []


def test_undecided_waits_then_grants_once_pad_decides() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, i / 10, pad=UNDECIDED) for i in range(4)]) == []
    events = [e.observe(obs(track, 0.4, pad=BONA_FIDE))]
    assert [(ev.decision, ev.reason) for ev in events if ev] == [("granted", "recognized")]
    assert events[0] is not None and events[0].pad is not None and events[0].pad.verdict == "bona_fide"


def test_undecided_denies_when_set_to_deny_and_stays_denied() -> None:
    e = engine(pad_undecided="deny")
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, i / 10, pad=UNDECIDED) for i in range(3)]) == [
        ("denied", "presentation_attack", "alice")
    ]
    assert run(e, [obs(track, 0.3 + i / 10, pad=BONA_FIDE) for i in range(3)]) == []


def test_attack_of_an_unknown_face_is_reported_as_an_attack() -> None:
    e = engine()
    track = Track(1, BOX, 0.0, 0.0)
    assert run(e, [obs(track, 0.0, person=None, pad=ATTACK)]) == [("denied", "presentation_attack", None)]


def test_cooldown_holds_across_tracks() -> None:
    e = engine(cooldown_s=10)
    first, second, third = Track(1, BOX, 0, 0), Track(2, BOX, 5, 5), Track(3, BOX, 20, 20)
    assert len(run(e, [obs(first, i / 10) for i in range(3)])) == 1
    assert run(e, [obs(second, 5 + i / 10) for i in range(5)]) == []
    assert run(e, [obs(third, 20 + i / 10) for i in range(3)]) == [("granted", "recognized", "alice")]


def test_no_usable_face_is_reported_after_the_window_and_rate_limited() -> None:
    e = engine(window_s=1.0, unknown_event_interval_s=10)
    t1, t2 = Track(1, BOX, 0, 0), Track(2, BOX, 2, 2)
    seq = [obs(t1, i / 10, usable=False) for i in range(15)]
    assert run(e, seq) == [("denied", "low_quality", None)]
    assert run(e, [obs(t2, 2 + i / 10, usable=False) for i in range(15)]) == []


def test_event_records_how_it_was_decided() -> None:
    e = engine()
    track = Track(7, BOX, 0.0, 0.0)
    events = [e.observe(obs(track, t)) for t in (0.0, 0.2, 0.4)]
    event = events[-1]
    assert event is not None and event.match == MATCH
    assert event.frames_used == 3 and event.latency_ms == 400.0 and event.track == 7
    assert event.liveness == {"live": 0.9, "antispoof": 0.6}


def test_tracker_follows_moving_face_and_splits_far_ones() -> None:
    tracker = Tracker()
    a = tracker.update([Box(100, 100, 80, 80), Box(400, 100, 80, 80)], 0.0)
    b = tracker.update([Box(410, 105, 80, 80), Box(105, 102, 80, 80)], 0.1)
    assert [t.id for t in b] == [a[1].id, a[0].id]
    c = tracker.update([Box(105, 102, 80, 80)], 2.0)
    assert c[0].id not in {a[0].id, a[1].id}
