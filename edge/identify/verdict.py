"""The door's verdict on a backend's answer: who each face is under the policy, and the match
every event records.

One rule for every backend: the deciding backend's threshold for ``access.max_false_accept``
over the people the door searches (:func:`edge.identify.thresholds.door_threshold`, so the
match's ``false_accept`` is always the door's 1:N rate, docs/risk.md); a candidate is named only
at or above it; nobody is named when the cut stands for a weaker rate than the policy
(``policy_unreachable``) unless ``access.accept_false_accept_up_to`` accepts that rate. A
cloud's person ids become the appliance's through the gallery's records of each cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.access.config import AccessSettings
from edge.access.event import Match
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend
from edge.identify.chain import ChainAnswer
from edge.identify.thresholds import Threshold, policy_allows

# backend name, the 1:N rate its threshold stands for, whether that rate is above the policy
PolicyReport = Callable[[str, float, bool], None]


@dataclass
class Verdict:
    person_id: str | None  # named: the best candidate reached the policy's threshold
    match: Match | None
    policy_unreachable: bool = False  # the cut stands for a weaker rate than the door may grant on


def _ignore(backend: str, far: float, unreachable: bool) -> None:
    """The default :data:`PolicyReport`: nobody listens."""


class Judge:
    """Turns a :class:`ChainAnswer` into one :class:`Verdict` per face; ``report`` hears the
    rate in force at every answer (metrics, ``/healthz``)."""

    def __init__(self, access: AccessSettings, gallery: GalleryStore, report: PolicyReport = _ignore) -> None:
        self.access = access
        self.gallery = gallery
        self.report = report

    def __call__(self, answer: ChainAnswer) -> list[Verdict]:
        threshold, allowed = self.threshold(answer.backend)
        unreachable = not allowed
        self.report(answer.backend_name, threshold.far, unreachable)
        verdicts = []
        for identification in answer.identifications:
            best = identification.best
            if best is None:
                verdicts.append(Verdict(None, None))
                continue
            person_id = self.person_id(answer.backend, best.person_id)
            match = Match(
                backend=answer.backend_name,
                score=round(best.score, 4),
                scale=identification.scale,
                threshold=round(threshold.score, 4),
                false_accept=threshold.far,
                calibration=threshold.calibration,
                offline=answer.offline,
            )
            named = best.score >= threshold.score and person_id is not None and not unreachable
            verdicts.append(Verdict(person_id if named else None, match, unreachable))
        return verdicts

    def threshold(self, backend: Backend) -> tuple[Threshold, bool]:
        """The backend's cut for the policy over the people searched now, and whether the door
        may grant on it (its 1:N rate meets the policy, or the rate the operator accepted)."""
        access = self.access
        threshold = backend.threshold(access.max_false_accept, self.gallery_size())
        allowed = policy_allows(threshold.far, access.max_false_accept, access.accept_false_accept_up_to)
        return threshold, allowed

    def gallery_size(self) -> int:
        """People one search compares against (the local gallery mirrors the cloud's groups)."""
        return max(1, self.gallery.snapshot().n_persons(None))

    def person_id(self, backend: Backend, backend_id: str) -> str | None:
        """The appliance's id of the person ``backend`` names ``backend_id`` (None: unknown here)."""
        if not backend.cloud or self.gallery.person(backend_id) is not None:
            return backend_id
        return self.gallery.person_for_remote(backend.name, backend_id)
