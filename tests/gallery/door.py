"""The appliance itself (``edge.service.runner.Appliance``) at a door, for the failover tests.

Who gets in is decided by the product's own code: the runner judges each frame's answer against
the deciding backend's threshold for the policy, and the decision engine wants several agreeing
frames of one track. A visit shows one photo to the camera, a frame every 0.1 s on the monotonic
clock (a cloud's answer arrives while the loop goes on, as at a real door), until the door decides;
each visit is a new track (the frames' clock jumps a minute between visits).
"""

from __future__ import annotations

import time
from pathlib import Path

from edge.access.event import AccessEvent
from edge.capture.base import Frame
from edge.config.settings import load_settings
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.service.metrics import Metrics
from edge.service.runner import Appliance
from edge.vision.pipeline import FaceAnalyzer
from tests.gallery.conftest import Photo

VISIT_GAP_S = 60.0  # between visits: longer than the tracker's gap, the cooldown and the event interval
FRAME_S = 0.1  # 10 frames per second
VISIT_MAX_S = 15.0  # a visit without a decision by then has none (a loaded machine is slow)


class DoorLoop:
    """``Appliance.process`` over frames of fixture photos; ``metrics`` holds what it recorded."""

    def __init__(self, tmp_path: Path, analyzer: FaceAnalyzer, chain: BackendChain, gallery: GalleryStore,
                 groups: list[str], max_false_accept: float) -> None:
        self.settings = load_settings(
            None,
            vision={"descriptor": "dlib", "pad": {"enabled": False}},  # the analyzer's; still photos
            device={"id": "door-test", "door": "front"},
            service={"state_dir": str(tmp_path / "state"), "health_port": 0},
            mqtt={"enabled": False},
            access={"groups": groups, "max_false_accept": max_false_accept},
        )
        self.metrics = Metrics()
        self.appliance = Appliance(self.settings, analyzer, chain, gallery, [ListSink()], self.metrics)
        self._offset = 0.0  # added to the monotonic clock: each visit a minute after the last

    def visit(self, photo: Photo) -> Outcome | None:
        """The door's decision on ``photo`` (:func:`outcome`), or None if there was none within
        :data:`VISIT_MAX_S` (frames no backend answered say nothing)."""
        self._offset += VISIT_GAP_S
        started = time.monotonic()
        index = 0
        while time.monotonic() - started < VISIT_MAX_S:
            events = self.appliance.process(Frame(photo.image, index, self._offset + time.monotonic()))
            if events:
                (event,) = events
                return outcome(event)
            index += 1
            time.sleep(max(0.0, started + index * FRAME_S - time.monotonic()))
        return None

    def identify_times(self) -> dict[str, int]:
        """Frames identified within 0.5 s, within 1 s, and in all ("+Inf"): the cumulative buckets
        of the identify-stage histogram the runner records."""
        sample = self.metrics.registry.get_sample_value
        return {le: int(sample("edge_stage_seconds_bucket", {"stage": "identify", "le": le}) or 0)
                for le in ("0.5", "1.0", "+Inf")}


Outcome = tuple[str, str, str | None, str | None, bool | None]


def outcome(event: AccessEvent | None) -> Outcome | None:
    """(decision, reason, person, deciding backend, offline) of a decision event."""
    if event is None:
        return None
    match = event.match
    return (event.decision, event.reason, event.person_id,
            match.backend if match else None, match.offline if match else None)
