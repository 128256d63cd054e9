"""``edge calibrate``: the selected descriptor's score -> false-accept table, measured on LFW images.

The listed pairs alone (1,100 impostor pairs in ``pairsDevTrain.txt``) support no rate below
about 1e-3, so every image the pair list names is described once and *every* pair of images of
different people is an impostor comparison (millions), every pair of the same person a genuine
one. Images where the detector finds no face are left out here: the door never scores a frame
without a face, so they have no place in its false-accept rate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.errors import BadInput
from edge.eval.embeddings import embed_set
from edge.eval.metrics import best_threshold
from edge.eval.pairs import Pair
from edge.identify.local.calibration import SCALE, calibration_table
from edge.vision.pipeline import FaceAnalyzer


def all_pair_scores(similarity: np.ndarray, identities: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every same-identity (genuine) and every cross-identity (impostor) image pair,
    from the (n, n) similarity matrix of n images."""
    names = np.array(identities)
    upper = np.triu_indices(len(names), 1)
    scores = similarity[upper]
    same = (names[:, None] == names[None, :])[upper]
    return scores[same], scores[~same]


def calibrate(analyzer: FaceAnalyzer, pairs: list[Pair], source: str) -> dict[str, Any]:
    """The analyzer's descriptor's calibration document (``models/<folder>/calibration*.json``)
    from a pair list."""
    images = sorted({path for pair in pairs for path in (pair.a, pair.b)})
    described = embed_set(analyzer, images)
    faces = [path for path in images if path not in described.no_face]
    vectors = np.stack([described.vectors[p] for p in faces])
    genuine, impostor = all_pair_scores(vectors @ vectors.T, [p.parent.name for p in faces])
    try:
        table = calibration_table(genuine, impostor)
    except ValueError as exc:
        raise BadInput(f"{source}: {exc}") from exc
    settings = analyzer.settings
    return {
        "descriptor": analyzer.descriptor.name,
        "scale": SCALE,
        "dataset": f"{source}: the {len(faces)} of its {len(images)} images with a detected face; every "
        "same-person image pair genuine, every different-person image pair impostor",
        "flip_test": settings.use_flip_test,
        "detector": settings.detector,
        "score_threshold": settings.score_threshold,
        "n_images_no_face": len(images) - len(faces),
        # the best balanced-accuracy cut over every image pair (not the listed pairs alone: 1,100
        # of each kind leave a wide plateau of equally good cuts), for `edge eval pairs --calibrated`
        "accuracy_threshold": round(best_threshold(genuine, impostor), 6),
        **table,
    }


def format_calibration(document: dict[str, Any]) -> str:
    lines = [document["dataset"], f"{document['n_genuine']} genuine and {document['n_impostor']} impostor "
             f"comparisons; best balanced-accuracy threshold {document['accuracy_threshold']:.4f}",
             "threshold  false accept  true accept  (impostor comparisons)"]
    lines += [f"{r['threshold']:9.4f}  {r['far']:12.2e}  {r['tar']:11.4f}  ({r['n_impostor']})"
              for r in document["rows"]]
    return "\n".join(lines)
