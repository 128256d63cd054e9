"""The door's decision per track: several frames must agree before anyone gets in.

Grant only when at least K of the last M usable frames of a track (within ``window_s``) name the
same person above the policy's threshold, the face is the one at the door (in the door zone,
close enough, the nearest: :mod:`edge.access.zone`), the PAD stage (when on) judged the track a
bona fide presentation, the person is in a group allowed at this door and inside its schedule,
and is not in cooldown. A track PAD judges an attack is denied (``presentation_attack``) and
never granted; while PAD cannot decide, the track waits or is denied (``vision.pad.undecided``).
A track grants at most once; each denial reason is announced at most once per track, and
unknown-face, no-usable-face and outside-the-door-zone events are also rate-limited across tracks.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from edge.access.config import AccessSettings
from edge.access.event import AccessEvent, Decision, Match, PadEvidence, PadMethodScore, Reason
from edge.access.schedule import Schedules
from edge.access.tracker import Track
from edge.vision.pad.stage import PadVerdict
from edge.vision.types import Box, Liveness


class PersonDirectory(Protocol):
    def person(self, person_id: str) -> tuple[str, list[str]] | None:
        """(name, groups) of an enrolled person, or None if unknown here."""
        ...


@dataclass(frozen=True)
class Observation:
    """What one frame says about one tracked face."""

    time: float
    track: Track
    box: Box
    usable: bool
    quality_reasons: tuple[str, ...] = ()
    person_id: str | None = None  # the best candidate, only if above the policy's threshold
    match: Match | None = None  # how the best candidate scored, named or not
    liveness: Liveness = field(default_factory=Liveness)  # recorded only: not a defence
    pad: PadVerdict | None = None  # the PAD stage's verdict on the track so far; None = PAD off
    policy_unreachable: bool = False  # the deciding backend's cut cannot meet the policy
    at_door: bool = True  # the face deciding for the door (edge.access.zone); others never grant


@dataclass
class _TrackState:
    usable: deque[Observation]
    announced: set[Reason | str] = field(default_factory=set)
    outside: int = 0  # usable frames in which this face was not the one at the door


class DecisionEngine:
    def __init__(
        self,
        access: AccessSettings,
        *,
        device: str,
        door: str,
        directory: PersonDirectory,
        wall_clock: Callable[[], datetime] | None = None,
        pad_undecided: str = "wait",
    ) -> None:
        self.access = access
        self.device = device
        self.door = door
        self.directory = directory
        self.schedules = Schedules(access.schedules)
        # schedules read the door's wall clock (access.timezone, else the host's zone)
        self.wall_clock = wall_clock or (lambda: datetime.now().astimezone(access.zone))
        self.pad_undecided = pad_undecided
        self._tracks: dict[int, _TrackState] = {}
        self._last_grant: dict[str, float] = {}
        self._last_rate_limited: dict[str, float] = {}

    def forget_tracks(self, live_ids: set[int]) -> None:
        """Drop the state of tracks that ended."""
        for tid in list(self._tracks):
            if tid not in live_ids:
                del self._tracks[tid]

    def observe(self, obs: Observation) -> AccessEvent | None:
        state = self._tracks.setdefault(
            obs.track.id, _TrackState(deque(maxlen=self.access.window_frames))
        )
        if not obs.usable:
            return self._no_usable_face(obs, state)
        if not obs.at_door:
            return self._outside_door_zone(obs, state)
        state.usable.append(obs)
        while state.usable and obs.time - state.usable[0].time > self.access.window_s:
            state.usable.popleft()
        if "granted" in state.announced:
            return None
        if obs.policy_unreachable:
            return self._deny_once(obs, state, "policy_unreachable", [obs])
        votes = Counter(o.person_id for o in state.usable if o.person_id is not None)
        if obs.pad is not None and obs.pad.is_attack:
            person_id = votes.most_common(1)[0][0] if votes else None
            return self._deny_once(obs, state, "presentation_attack", list(state.usable),
                                   person_id=person_id)
        if votes:
            person_id, count = votes.most_common(1)[0]
            if count >= self.access.min_frames:
                frames = [o for o in state.usable if o.person_id == person_id]
                return self._recognized(obs, state, person_id, frames)
        if len(state.usable) >= self.access.window_frames:
            return self._deny_once(obs, state, "unknown", list(state.usable), rate_limited=True)
        return None

    # -- outcomes ----------------------------------------------------------------------------
    def _recognized(
        self, obs: Observation, state: _TrackState, person_id: str, frames: list[Observation]
    ) -> AccessEvent | None:
        if "presentation_attack" in state.announced:
            return None  # judged an attack (or undecided under 'deny'): never granted
        if obs.pad is not None and obs.pad.outcome != "bona_fide":
            if self.pad_undecided == "wait":
                return None  # PAD cannot decide yet: no grant until it does
            return self._deny_once(obs, state, "presentation_attack", frames, person_id=person_id)
        known = self.directory.person(person_id)
        name, groups = known if known else (None, [])
        allowed = [g for g in groups if g in self.access.groups]
        if not allowed:
            return self._deny_once(obs, state, "not_allowed", frames, person_id=person_id)
        if not self.schedules.allows(allowed, self.wall_clock()):
            return self._deny_once(obs, state, "outside_schedule", frames, person_id=person_id)
        state.announced.add("granted")
        last = self._last_grant.get(person_id)
        if last is not None and obs.time - last < self.access.cooldown_s:
            return None  # granted moments ago at this door: the door is already open
        self._last_grant[person_id] = obs.time
        return self._event(obs, "granted", "recognized", frames, person_id, name, allowed)

    def _outside_door_zone(self, obs: Observation, state: _TrackState) -> AccessEvent | None:
        """A window's worth of frames away from the door: said once (rate-limited), never granted;
        no name either, since one frame's candidate is not a decision."""
        state.outside += 1
        if state.outside < self.access.window_frames:
            return None
        return self._deny_once(obs, state, "outside_door_zone", [obs], rate_limited=True)

    def _no_usable_face(self, obs: Observation, state: _TrackState) -> AccessEvent | None:
        if state.usable or state.announced:
            return None
        if obs.time - obs.track.first_seen < self.access.window_s:
            return None
        return self._deny_once(obs, state, "low_quality", [obs], rate_limited=True)

    def _deny_once(
        self,
        obs: Observation,
        state: _TrackState,
        reason: Reason,
        frames: list[Observation],
        *,
        person_id: str | None = None,
        rate_limited: bool = False,
    ) -> AccessEvent | None:
        if reason in state.announced:
            return None
        state.announced.add(reason)
        if rate_limited:
            last = self._last_rate_limited.get(reason)
            if last is not None and obs.time - last < self.access.unknown_event_interval_s:
                return None
            self._last_rate_limited[reason] = obs.time
        known = self.directory.person(person_id) if person_id else None
        name, groups = known if known else (None, [])
        return self._event(obs, "denied", reason, frames, person_id, name, groups)

    def _event(
        self,
        obs: Observation,
        decision: Decision,
        reason: Reason,
        frames: list[Observation],
        person_id: str | None,
        name: str | None,
        groups: list[str],
    ) -> AccessEvent:
        scored = [o for o in frames if o.match is not None]
        best = max(scored, key=lambda o: o.match.score if o.match else 0.0) if scored else None
        live = [o.liveness.live for o in frames if o.liveness.live is not None]
        spoof = [o.liveness.antispoof for o in frames if o.liveness.antispoof is not None]
        liveness = {}
        if live:
            liveness["live"] = round(sum(live) / len(live), 4)
        if spoof:
            liveness["antispoof"] = round(sum(spoof) / len(spoof), 4)
        return AccessEvent(
            device=self.device,
            door=self.door,
            track=obs.track.id,
            decision=decision,
            reason=reason,
            person_id=person_id,
            person_name=name,
            groups=groups,
            match=best.match if best else None,
            frames_used=len(frames),
            liveness=liveness,
            pad=_pad_evidence(obs.pad) if obs.pad else None,
            latency_ms=round((obs.time - obs.track.first_seen) * 1000, 1),
            box=obs.box.as_list(),
            quality_reasons=sorted({r for o in frames for r in o.quality_reasons})
            if reason == "low_quality" else [],
        )


def _pad_evidence(verdict: PadVerdict) -> PadEvidence:
    return PadEvidence(
        verdict=verdict.outcome,
        score=None if verdict.score is None else round(verdict.score, 4),
        frames=verdict.frames,
        methods={s.method: PadMethodScore(attack=round(s.attack, 4), threshold=s.threshold,
                                          frames_used=s.frames_used, details=s.details)
                 for s in verdict.scores},
    )
