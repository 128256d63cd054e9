"""Population-adaptive calibration: the door measures the impostor scores of its own population.

The shipped table is measured on LFW; other populations score higher against each other (East
Asian faces passed the LFW threshold for 1e-4 about a thousand times as often). So the door also
measures its own people: every enrolled face against every *other* person's template, and every
face of its cohort (faces it saw and never identified, plus an optional site folder of
non-enrolled photos) against every template. The upper tail of those impostor scores is fitted
(:mod:`edge.identify.tail`) to reach 1e-6 to 1e-8 per comparison, at an upper confidence bound.
The door uses, rate by rate, the stricter of this site table and the shipped one.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from edge.errors import ConfigError
from edge.gallery.search import GroupView
from edge.identify.tail import bound_tail
from edge.identify.thresholds import FarTable

SCALE = "cosine"
# per-comparison rates the site table reports (a door of N people at 1:N policy F needs F / N)
LADDER = tuple(10.0 ** -(e / 2) for e in range(4, 19))  # 1e-2 ... 1e-9
EMPIRICAL_MIN_EXCEEDING = 10  # below this many measured impostors above a cut, the fitted tail decides
MIN_IMPOSTOR_SCORES = 500  # fewer: no site table yet (the shipped table alone, reported as such)
CONFIDENCE = 0.95
MAX_SCORES = 400_000
MAX_SCORE = 1.0  # cosine similarity cannot exceed it: a cut at or above it is a rate not reachable

CalibrationSource = Literal["shipped", "site+shipped"]


def impostor_scores(view: GroupView, cohort: np.ndarray | None = None) -> np.ndarray:
    """1-D: every enrolled face against every other person's template, and every cohort row
    ((n, D) unit vectors) against every template — the scores of people who are not the one
    searched, exactly as the door's search scores them."""
    if view.n_persons == 0:
        return np.zeros(0)
    scores = view.matrix @ view.templates.T  # (faces, persons)
    counts = np.diff(np.append(view.starts, len(view.matrix)))
    owner = np.repeat(np.arange(view.n_persons), counts)
    parts = [scores[owner[:, None] != np.arange(view.n_persons)[None, :]]]
    if cohort is not None and len(cohort):
        parts.append((np.asarray(cohort, np.float32) @ view.templates.T).ravel())
    return np.concatenate(parts).astype(np.float64)


@dataclass(frozen=True)
class SiteCalibration:
    """The site's per-comparison table, and what it was measured on (no biometric data)."""

    rows: tuple[tuple[float, float], ...]  # (threshold, per-comparison false-accept rate)
    n_impostor: int
    n_people: int
    n_cohort: int
    gallery: str  # fingerprint of the people and face counts it was measured on
    created: float  # unix seconds

    @property
    def table(self) -> FarTable | None:
        """None when too few impostor scores were measured to calibrate."""
        return FarTable(SCALE, self.rows) if len(self.rows) >= 2 else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> SiteCalibration:
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(rows=tuple((float(t), float(f)) for t, f in data["rows"]),
                       **{k: data[k] for k in ("n_impostor", "n_people", "n_cohort", "gallery", "created")})
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError([f"site calibration {source}: not a site calibration file ({exc})"]) from exc

    def describe(self) -> str:
        table = self.table
        reach = f"down to {table.lowest_far:.0e} per comparison" if table else "not yet (too few faces)"
        return (f"site calibration: {self.n_impostor} impostor comparisons ({self.n_people} people, "
                f"{self.n_cohort} cohort faces), reaches {reach}")


def gallery_fingerprint(view: GroupView) -> str:
    """Changes whenever a person or a face is added or removed (recalibration is due)."""
    counts = np.diff(np.append(view.starts, len(view.matrix))) if view.n_persons else np.zeros(0, int)
    text = "\n".join(f"{pid}\t{count}" for pid, count in zip(view.person_ids, counts))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def calibrate_site(view: GroupView, cohort: np.ndarray | None, now: float | None = None) -> SiteCalibration:
    """The site table from the gallery view the door searches and its cohort.

    A rate that at least :data:`EMPIRICAL_MIN_EXCEEDING` measured impostors exceed is read off
    the measured scores; a lower one comes from the fitted tail at a 95% upper bound. Rates whose
    cut would reach a cosine of 1 are left out: the site cannot promise them.
    """
    scores = impostor_scores(view, cohort)
    if len(scores) > MAX_SCORES:  # a large door: a fixed random sample keeps the fit fast
        scores = np.random.default_rng(0).choice(scores, MAX_SCORES, replace=False)
    rows: list[tuple[float, float]] = []
    if len(scores) >= MIN_IMPOSTOR_SCORES:
        ordered = np.sort(scores)[::-1]
        tail = bound_tail(scores)
        for rate in LADDER:
            k = int(rate * len(scores))
            cut = (float((ordered[k - 1] + ordered[k]) / 2) if k >= EMPIRICAL_MIN_EXCEEDING
                   else tail.score_for(rate, CONFIDENCE))
            if cut >= MAX_SCORE:
                break
            if rows and cut <= rows[-1][0]:
                cut = np.nextafter(rows[-1][0], np.inf)  # keep the table strictly monotone
            rows.append((round(float(cut), 6), rate))
    return SiteCalibration(tuple(rows), len(scores), view.n_persons,
                           0 if cohort is None else len(cohort), gallery_fingerprint(view),
                           time.time() if now is None else now)


def stricter(site: FarTable, shipped: FarTable) -> FarTable:
    """Rate by rate the higher cut of the two tables, down to the rate the site table reaches.

    Below the shipped table's last row the shipped table says nothing but that its last cut is
    a lower bound; there the site's own fitted tail decides, never below that bound.
    """
    rates = sorted({f for _, f in (*site.points, *shipped.points) if f >= site.lowest_far}, reverse=True)
    points: list[tuple[float, float]] = []
    for rate in rates:
        cut = max(site.threshold_for(rate).score, shipped.threshold_for(rate).score)
        if points and cut <= points[-1][0]:
            cut = float(np.nextafter(points[-1][0], np.inf))
        points.append((cut, rate))
    return FarTable(SCALE, tuple(points))


def read_site_calibration(path: Path) -> SiteCalibration | None:
    """The stored site calibration, or None when there is none yet."""
    try:
        return SiteCalibration.from_json(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError([f"site calibration {path}: cannot read: {exc.strerror}"]) from exc
