"""Choosing the PAD stage's default methods and thresholds on a tuning split, and reporting the
choice on a held-out split that played no part in it.

Step 1 (``scores``): every candidate method scores every track of a split once at each arrival
(``frames[:k]``, k = ``min_frames`` .. ``max_frames``, as at the door); each track keeps each
method's score per arrival (``None`` where it did not decide). Written as JSON.

Step 2 (``choose``): with the ``any`` fusion (the default: an attack if any method says so), a
track's score is the fused margin ``max over deciding methods of (attack - threshold)`` at the
first arrival where any method decides: the door acts on that first verdict
(:func:`edge.eval.pad.track_score`). Every subset of up to three candidate methods and every
threshold on a grid of each method's tuning-split scores is tried; the choice is the combination
with the lowest tuning APCER whose tuning BPCER is at most ``--bpcer``, a method more only when
it takes at least ``--min-gain`` off that APCER (see :func:`choose`). The held-out figures of
that one choice are then computed, once. Tracks no method judged count as rejected (``edge eval
pad``'s rule)::

    python -m edge.eval.pad_tuning scores --bona-fide DIR... --attacks DIR... --out tune.json
    python -m edge.eval.pad_tuning choose --tune tune.json --held-out held.json... [--bpcer 0.05]
    python -m edge.eval.pad_tuning report --scores held.json... --thresholds rigid_motion=0.35 ...
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from edge.eval.pad import PadRates, pad_frames, rates, read_track, track_folders
from edge.vision.liveness import LivenessSignals
from edge.vision.pad.base import PadFrame, PadMethod, PadScore
from edge.vision.pad.blink import BlinkSettings
from edge.vision.pad.edges import PrintFrameSettings
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.motion import RigidMotionSettings
from edge.vision.pad.plugin import MethodSettings
from edge.vision.pad.specular import SpecularSettings
from edge.vision.pad.texture import TextureSettings
from edge.vision.types import Liveness

CANDIDATES = (RigidMotionSettings(), PrintFrameSettings(), TextureSettings(), SpecularSettings(),
              BlinkSettings())
GRID = 8  # quantiles of a method's tuning scores tried as thresholds (and the midpoints)
MIN_FRAMES, MAX_FRAMES = 3, 10  # the stage's defaults (vision.pad)

Series = dict[str, list[float | None]]  # method -> its attack score at each arrival (None: undecided)


def track_series(methods: Sequence[PadMethod], frames: Sequence[PadFrame],
                 thresholds: dict[str, float]) -> Series:
    """Per method, its attack score on ``frames[:k]`` for k = 3..10 (None where it did not decide);
    the threshold each decided by goes into ``thresholds``."""
    series: Series = {m.name: [] for m in methods}
    for end in range(MIN_FRAMES, min(len(frames), MAX_FRAMES) + 1):
        for method in methods:
            score = method.score(frames[:end])
            series[method.name].append(None if score is None else score.attack)
            if score is not None:
                thresholds[method.name] = score.threshold
    return series


class RetiredSignal:
    """The old single-frame ``liveness`` or ``antispoof`` model as a PAD method, for measurement
    only (issue 16 item 7: retired as a defence unless measured to add): attack = 1 - the mean of
    the model's "live" / "real" output over the track's frames. Threshold 0.5."""

    threshold = 0.5
    window = 1

    def __init__(self, name: str, signals: LivenessSignals) -> None:
        self.name, self.signals = name, signals
        self._frames: FrameMemo[Liveness] = FrameMemo()

    def _signals(self, frame: PadFrame) -> Liveness:
        return self.signals.score(frame.image, [frame.detection])[0]

    def digest(self, frame: PadFrame) -> Liveness:
        return self._frames.get((frame,), partial(self._signals, frame))

    def score(self, track: Sequence[PadFrame]) -> PadScore:
        values = [getattr(self.digest(f), self.name) for f in track]
        return PadScore(self.name, round(1 - float(np.mean(values)), 4), self.threshold, len(track))


def score_split(roots: dict[str, list[Path]], retired: bool = False) -> dict[str, Any]:
    """{"bona_fide": [...], "attacks": [...]}: each track's per-method scores per arrival, the
    candidates' and (``retired``) the old liveness / antispoof signals'."""
    from edge.vision.config import VisionSettings
    from edge.vision.pipeline import FaceAnalyzer

    analyzer = FaceAnalyzer(VisionSettings(liveness={"enabled": retired}))
    out: dict[str, Any] = {"thresholds": {}}
    for kind, folders in roots.items():
        out[kind] = []
        for root in folders:
            for folder in track_folders(root):
                # fresh per track: no memo crosses tracks
                methods: list[PadMethod] = [] if retired else [s.build() for s in CANDIDATES]
                if retired and analyzer.liveness is not None:
                    methods += [RetiredSignal(name, analyzer.liveness) for name in ("live", "antispoof")]
                frames = pad_frames(read_track(folder), analyzer.detect)
                out[kind].append({"root": str(root), "track": folder.name,
                                  "series": track_series(methods, frames, out["thresholds"])})
                print(kind, folder.name, out[kind][-1]["series"], file=sys.stderr, flush=True)
    return out


def tensor(tracks: list[dict[str, Any]], methods: Sequence[str]) -> np.ndarray:
    """(tracks, arrivals, methods) float64 of the methods' scores, NaN where one did not decide."""
    out = np.full((len(tracks), MAX_FRAMES - MIN_FRAMES + 1, len(methods)), np.nan)
    for t, track in enumerate(tracks):
        for m, method in enumerate(methods):
            for k, value in enumerate(track["series"][method]):
                if value is not None:
                    out[t, k, m] = value
    return out


def fused(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Each track's ``any``-fused margin at its first decided arrival (+inf: never decided)."""
    margins = scores - thresholds
    decided = ~np.isnan(margins).all(axis=2)  # (tracks, arrivals)
    out = np.full(len(scores), np.inf)
    judged = decided.any(axis=1)
    first = decided.argmax(axis=1)
    rows = np.flatnonzero(judged)
    out[rows] = np.nanmax(margins[rows, first[rows], :], axis=1)
    return out


def evaluate(split: dict[str, Any], thresholds: dict[str, float]) -> PadRates:
    methods, cuts = list(thresholds), np.array(list(thresholds.values()))
    return rates(fused(tensor(split["bona_fide"], methods), cuts),
                 fused(tensor(split["attacks"], methods), cuts), 0.0)


def grid(values: np.ndarray, default: float, accepts: Callable[[float], bool]) -> list[float]:
    """Candidate thresholds: quantiles of a method's tuning scores (and the midpoints), and its
    default; only those ``accepts`` takes (a blink, for one, may never say attack)."""
    values = values[~np.isnan(values)]
    cuts = np.unique(np.quantile(values, np.linspace(0.0, 1.0, GRID))) if values.size else np.array([])
    between = (cuts[1:] + cuts[:-1]) / 2
    candidates = {round(float(c), 6) for c in np.concatenate([cuts + 1e-6, between])}
    candidates.add(round(default, 6))
    return sorted(c for c in candidates if accepts(c))


def accepted_by(settings: MethodSettings, threshold: float) -> bool:
    """Whether the method's settings take this threshold."""
    try:
        type(settings).model_validate({**settings.model_dump(), "threshold": threshold})
    except ValidationError:
        return False
    return True


def threshold_rule(method: str) -> Callable[[float], bool]:
    settings = {s.type: s for s in CANDIDATES}
    if method in settings:
        return partial(accepted_by, settings[method])
    return lambda threshold: 0 <= threshold <= 1  # a retired signal: any share


def gap(bona_fide: np.ndarray, attacks: np.ndarray) -> float:
    """How far the nearest track is from the operating point (fused margin 0) on its own side:
    the larger, the more room a threshold leaves for tracks unlike the tuning ones."""
    sides = [attacks[(attacks >= 0) & np.isfinite(attacks)], -bona_fide[bona_fide < 0]]
    return min((float(side.min()) for side in sides if side.size), default=0.0)


def choose(tune: dict[str, Any], bpcer_target: float, max_methods: int = 3,
           min_gain: float = 0.01) -> dict[str, float]:
    """The methods and thresholds for the default, from the tuning split only.

    For each number of methods k (1..``max_methods``), the best combination: the lowest tuning
    APCER at tuning BPCER <= ``bpcer_target`` (ties: lower BPCER, then the widest ``gap``). More
    methods are taken only when they earn it: the best of k + 1 replaces the best of k only if it
    lowers the tuning APCER by at least ``min_gain`` (with a few dozen bona fide tracks, one more
    method and threshold fitted to shave one attack off is fitting the tuning split, not attacks).
    """
    methods = list(tune["thresholds"])
    bona, attacks = tensor(tune["bona_fide"], methods), tensor(tune["attacks"], methods)
    grids = [grid(np.concatenate([bona[..., k].ravel(), attacks[..., k].ravel()]), tune["thresholds"][m],
                  threshold_rule(m)) for k, m in enumerate(methods)]
    chosen: tuple[tuple[float, float, float], dict[str, float]] | None = None
    for size in range(1, min(max_methods, len(methods)) + 1):
        best: tuple[tuple[float, float, float], dict[str, float]] | None = None
        for subset in itertools.combinations(range(len(methods)), size):
            columns = list(subset)
            for cuts in itertools.product(*(grids[k] for k in subset)):
                bona_scores = fused(bona[..., columns], np.array(cuts))
                attack_scores = fused(attacks[..., columns], np.array(cuts))
                point = rates(bona_scores, attack_scores, 0.0)
                key = (point.apcer, point.bpcer, -gap(bona_scores, attack_scores))
                if point.bpcer <= bpcer_target and (best is None or key < best[0]):
                    best = (key, {methods[k]: c for k, c in zip(subset, cuts)})
        if best is not None and (chosen is None or best[0][0] <= chosen[0][0] - min_gain):
            chosen = best
    if chosen is None:
        raise SystemExit(f"no combination reaches BPCER {bpcer_target} on the tuning split")
    return chosen[1]


def report(split: dict[str, Any], thresholds: dict[str, float]) -> dict[str, Any]:
    """APCER/BPCER/ACER of ``thresholds`` on a split, and the APCER of each attack folder."""
    point = evaluate(split, thresholds)
    methods, cuts = list(thresholds), np.array(list(thresholds.values()))
    bona = fused(tensor(split["bona_fide"], methods), cuts)
    per_root: dict[str, dict[str, float]] = {}
    for root in sorted({t["root"] for t in split["attacks"]}):
        scores = fused(tensor([t for t in split["attacks"] if t["root"] == root], methods), cuts)
        per_root[root] = {"apcer": round(float(np.mean(scores < 0)), 4), "n": len(scores)}
    return {"apcer": round(point.apcer, 4), "bpcer": round(point.bpcer, 4), "acer": round(point.acer, 4),
            "n_bona_fide": len(split["bona_fide"]), "n_attacks": len(split["attacks"]),
            "undecided_bona_fide": int(np.isinf(bona).sum()), "attacks_by_folder": per_root}


def merged(paths: Sequence[Path]) -> dict[str, Any]:
    """One split from several ``scores`` files: their tracks, and the series of the same track
    (root and name) scored in several files (e.g. ``--retired``) joined."""
    out: dict[str, Any] = {"thresholds": {}, "bona_fide": [], "attacks": []}
    index: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in paths:
        part = json.loads(path.read_text(encoding="utf-8"))
        out["thresholds"].update(part["thresholds"])
        for kind in ("bona_fide", "attacks"):
            for track in part.get(kind, []):
                key = (kind, track["root"], track["track"])
                if key in index:
                    index[key]["series"].update(track["series"])
                else:
                    index[key] = track
                    out[kind].append(track)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    scores = sub.add_parser("scores")
    scores.add_argument("--bona-fide", type=Path, nargs="*", default=[])
    scores.add_argument("--attacks", type=Path, nargs="*", default=[])
    scores.add_argument("--out", type=Path, required=True)
    scores.add_argument("--retired", action="store_true", help="score the old liveness and antispoof "
                        "models instead of the candidates (merge with --tune / --held-out)")
    pick = sub.add_parser("choose")
    pick.add_argument("--tune", type=Path, nargs="+", required=True, help="scores files, merged")
    pick.add_argument("--held-out", type=Path, nargs="+", required=True, help="scores files, merged")
    pick.add_argument("--bpcer", type=float, default=0.05)
    pick.add_argument("--methods", nargs="+", help="the candidate methods (default: all scored)")
    pick.add_argument("--max-methods", type=int, default=3)
    pick.add_argument("--min-gain", type=float, default=0.01,
                      help="tuning APCER one more method must take off to be added")
    fixed = sub.add_parser("report", help="the figures of given thresholds (nothing chosen)")
    fixed.add_argument("--scores", type=Path, nargs="+", required=True, help="scores files, merged")
    fixed.add_argument("--thresholds", nargs="+", required=True, metavar="METHOD=THRESHOLD")
    args = parser.parse_args(argv)
    if args.step == "scores":
        split = score_split({"bona_fide": args.bona_fide, "attacks": args.attacks}, args.retired)
        args.out.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
        return 0
    if args.step == "report":
        given = {name: float(value) for name, value in (item.split("=", 1) for item in args.thresholds)}
        print(json.dumps({"thresholds": given, **report(merged(args.scores), given)}, indent=1))
        return 0
    tune, held = merged(args.tune), merged(args.held_out)
    if args.methods:
        tune["thresholds"] = {m: tune["thresholds"][m] for m in args.methods}
    thresholds = choose(tune, args.bpcer, args.max_methods, args.min_gain)
    print(json.dumps({"bpcer_target": args.bpcer, "thresholds": thresholds,
                      "tuning": report(tune, thresholds), "held_out": report(held, thresholds)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
