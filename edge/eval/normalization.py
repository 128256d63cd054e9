"""``edge eval normalization``: does cohort score normalization keep one cut fair across populations?

The door's cut is one cosine for everyone; populations whose impostors score higher (East Asian
faces against a FaceNet trained mostly on others) are let in more often at it. Score
normalization against a cohort of non-enrolled faces (Auckenthaler, Carey & Lloyd-Thomas 2000,
"Score normalization for text-independent speaker verification systems", Digital Signal
Processing 10) is the textbook answer:

- **z-norm** (template side): each template's score is centred and scaled by the mean and
  standard deviation of that template's scores against the cohort (computed at enrollment);
- **t-norm** (probe side): each probe's scores are centred and scaled by the probe's own scores
  against the cohort (computed per probe).

This evaluation scores every population's probes against one merged gallery, splits each
population's strangers in two folds by identity (:func:`edge.eval.identify.cohort_folds`), uses
the first as the cohort and the second as impostors, and reports for each normalization, at the
cut where the pooled impostor comparisons pass at ``rate``: each population's own per-comparison
false-accept rate and TPIR, and the TPIR at each population's own cut for ``rate`` (how well the
normalized score separates that population, whatever the cut).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from edge.eval.identify import Probe, cohort_folds
from edge.gallery.search import GroupView

Normalization = Literal["none", "z-norm", "t-norm"]
NORMALIZATIONS: tuple[Normalization, ...] = ("none", "z-norm", "t-norm")
MIN_COHORT = 50  # fewer faces give no usable mean and spread of cohort scores


def normalized_scores(probes: np.ndarray, templates: np.ndarray, cohort: np.ndarray,
                      normalization: Normalization) -> np.ndarray:
    """(n, P) scores of ``probes`` ((n, D) unit rows) against ``templates`` ((P, D)), normalized
    with ``cohort`` ((c, D) unit rows of people who are not enrolled)."""
    scores = probes @ templates.T
    if normalization == "z-norm":
        against = templates @ cohort.T  # (P, c)
        return (scores - against.mean(axis=1)) / against.std(axis=1)
    if normalization == "t-norm":
        against = probes @ cohort.T  # (n, c)
        return (scores - against.mean(axis=1, keepdims=True)) / against.std(axis=1, keepdims=True)
    return scores


def normalization_report(view: GroupView, populations: dict[str, list[Probe]], rate: float) -> dict[str, Any]:
    """Per normalization and population: impostor rate and TPIR at the pooled cut for ``rate``
    (per comparison), and TPIR at the population's own cut. Raises ValueError when a population
    has no strangers for a cohort and impostors, or the cohort has fewer than :data:`MIN_COHORT`
    faces."""
    cohort_rows, impostors, genuine = [], {}, {}
    for name, probes in populations.items():
        cohort_ids, impostor_ids = cohort_folds(probes, view.person_ids)
        if not cohort_ids or not impostor_ids:
            raise ValueError(f"{name}: needs strangers (identities not enrolled) for a cohort and impostors")
        cohort_rows += [p.vector for p in probes if p.identity in cohort_ids]
        impostors[name] = np.stack([p.vector for p in probes if p.identity in impostor_ids])
        genuine[name] = [p for p in probes if p.identity in view.person_ids]
    cohort = np.stack(cohort_rows)
    if len(cohort) < MIN_COHORT:
        raise ValueError(f"a cohort of {len(cohort)} faces (half of the strangers) is too small to normalize "
                         f"by: needs at least {MIN_COHORT}")
    owner = {pid: i for i, pid in enumerate(view.person_ids)}
    report: dict[str, Any] = {"rate": rate, "n_cohort": len(cohort), "normalizations": {}}
    for normalization in NORMALIZATIONS:
        scored = {name: normalized_scores(rows, view.templates, cohort, normalization)
                  for name, rows in impostors.items()}
        pooled = np.concatenate([s.ravel() for s in scored.values()])
        cut = _cut(pooled, rate)
        figures = {}
        for name, probes in genuine.items():
            own_cut = _cut(scored[name].ravel(), rate)
            found = _tpir(view, probes, cohort, normalization, owner)
            figures[name] = {
                "false_accept": float(np.mean(scored[name] >= cut)),
                "tpir": float(np.mean(found >= cut)) if len(found) else 0.0,
                "tpir_own_cut": float(np.mean(found >= own_cut)) if len(found) else 0.0,
                "n_impostor_comparisons": int(scored[name].size),
                "n_genuine": len(probes),
            }
        report["normalizations"][normalization] = figures
    return report


def _cut(scores: np.ndarray, rate: float) -> float:
    """The score that ``rate`` of ``scores`` reach (the k-th highest, k = max(1, rate * n))."""
    ordered = np.sort(scores)[::-1]
    return float(ordered[max(1, int(rate * len(ordered))) - 1])


def _tpir(view: GroupView, probes: list[Probe], cohort: np.ndarray, normalization: Normalization,
          owner: dict[str, int]) -> np.ndarray:
    """Each genuine probe's normalized score for its own person, or -inf when another person
    scores higher (a misidentification is never a true positive)."""
    if not probes:
        return np.zeros(0)
    scores = normalized_scores(np.stack([p.vector for p in probes]), view.templates, cohort, normalization)
    own = np.array([owner[p.identity] for p in probes])
    best = scores.argmax(axis=1)
    return np.where(best == own, scores[np.arange(len(probes)), own], -np.inf)


def format_normalization(report: dict[str, Any]) -> str:
    lines = [f"cohort {report['n_cohort']} faces; cut where {report['rate']:g} of the pooled impostor "
             "comparisons pass",
             f"{'normalization':14} {'population':40} {'false accept':>12} {'TPIR':>7} {'TPIR own cut':>13}"]
    for normalization, figures in report["normalizations"].items():
        lines += [f"{normalization:14} {name[-40:]:40} {f['false_accept']:12.2e} {f['tpir']:7.3f} "
                  f"{f['tpir_own_cut']:13.3f}" for name, f in figures.items()]
    return "\n".join(lines)
