"""The access event: what the door decided, handed to every sink (MQTT, JSON lines, audit)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

Decision = Literal["granted", "denied"]
Reason = Literal[
    "recognized",  # granted
    "unknown",  # no enrolled person above the policy's threshold
    "low_quality",  # no usable frame (blur, size, pose, exposure, occlusion)
    "presentation_attack",  # the PAD stage judged the track an attack (or could not decide)
    "not_allowed",  # recognized, but not in a group allowed at this door
    "outside_schedule",  # recognized and allowed, but not now
    "policy_unreachable",  # the calibration cannot meet access.max_false_accept: nobody is let in
    "outside_door_zone",  # a face seen but not the one at the door (zone, size, a nearer face)
]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id(now: float | None = None) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, sortable by time."""
    millis = int((time.time() if now is None else now) * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class Match(BaseModel):
    """How the backend that decided scored the face, and what the threshold stands for."""

    backend: str
    score: float
    scale: str
    threshold: float
    false_accept: float = Field(description="The 1:N false-accept rate the threshold stands for")
    calibration: str = Field(
        "documented", description="Which table set the threshold: the vendor's documented one, the "
        "'shipped' one, or 'site+shipped' (the stricter of the door's site calibration and the shipped one)"
    )
    offline: bool = Field(False, description="The cloud was not reachable; the local cache decided")


class PadMethodScore(BaseModel):
    """One PAD method's judgement of the track (0..1, attack when ``attack >= threshold``)."""

    attack: float
    threshold: float
    frames_used: int
    details: dict[str, float] = Field(default_factory=dict)


class PadEvidence(BaseModel):
    """What the PAD stage saw: its verdict, the fused score and each method's score."""

    verdict: Literal["bona_fide", "attack", "undecided"]
    score: float | None = Field(None, description="Fused margin over the methods' thresholds")
    frames: int = Field(description="Frames of the track the stage judged")
    methods: dict[str, PadMethodScore] = Field(default_factory=dict)


class AccessEvent(BaseModel):
    """One decision at the door. Schema version 1; never carries an image unless enabled."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=new_event_id)
    time: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    device: str
    door: str
    track: int | None = None
    decision: Decision
    reason: Reason
    person_id: str | None = None
    person_name: str | None = None
    groups: list[str] = Field(default_factory=list)
    match: Match | None = None
    frames_used: int = 0
    liveness: dict[str, float] = Field(
        default_factory=dict, description="Weak per-frame signals, recorded only (no defence)"
    )
    pad: PadEvidence | None = Field(None, description="Presentation-attack detection, when on")
    latency_ms: float | None = Field(None, description="First sighting of the track to decision")
    box: list[float] | None = Field(None, description="[x, y, w, h] of the face in the frame")
    quality_reasons: list[str] = Field(
        default_factory=list, description="low_quality: the gates that refused the face "
        "(too_small, blurry, pose, too_dark, too_bright, occluded)",
    )
