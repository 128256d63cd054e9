"""False accepts among strangers, at the thresholds a calibration table gives.

A folder of photos of different people (one photo per person, or one subfolder per person) gives
every pair of photos of two different people as an impostor comparison. At the cut the table
gives for a false-accept rate, the share of those pairs that pass is what that rate really is for
this population: the table was measured on LFW, and issue 15 found East Asian faces passing far
more often at LFW's thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import BadInput
from edge.eval.calibrate import all_pair_scores
from edge.eval.identify import IMAGE_SUFFIXES
from edge.identify.thresholds import FarTable

DEFAULT_RATES = (1e-3, 1e-4)


def photos_under(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (its subfolders too), sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def stranger_photos(folder: Path) -> dict[Path, str]:
    """Every photo of ``folder`` with its identity: a photo directly inside is a person of its own,
    a subfolder holds the photos of one person."""
    photos = photos_under(folder)
    identities = {p: p.name if p.parent == folder else p.relative_to(folder).parts[0] for p in photos}
    if len(set(identities.values())) < 2:
        raise BadInput(f"{folder}: needs photos of at least two people")
    return identities


def stranger_report(vectors: dict[Path, np.ndarray], identities: dict[Path, str], table: FarTable,
                    rates: Sequence[float], *, no_face: frozenset[Path]) -> dict[str, Any]:
    """Share of impostor pairs at or above the table's threshold for each of ``rates``.

    ``vectors``: unit embeddings of the photos in ``identities``. Photos in ``no_face`` are left
    out, as ``edge calibrate`` leaves them out: the door never scores a frame without a face.
    Returns counts and, per rate, the threshold, the measured false-accept rate and its ratio to
    the rate the table promises.
    """
    photos = [p for p in identities if p not in no_face]
    matrix = np.stack([vectors[p] for p in photos])
    impostor = all_pair_scores(matrix @ matrix.T, [identities[p] for p in photos])[1]
    rows = []
    for rate in rates:
        cut = table.threshold_for(rate)
        measured = float((impostor >= cut.score).mean())
        rows.append({"far_promised": cut.far, "threshold": round(cut.score, 6),
                     "false_accepts": int((impostor >= cut.score).sum()), "far_measured": measured,
                     "ratio": measured / cut.far})
    return {"n_images": len(photos), "n_people": len({identities[p] for p in photos}),
            "n_no_face": len(no_face), "n_impostor": len(impostor), "rates": rows}


def format_strangers(report: dict[str, Any], folder: Path) -> str:
    lines = [f"strangers {folder}: {report['n_images']} photos of {report['n_people']} people with a "
             f"detected face ({report['n_no_face']} left out without one), "
             f"{report['n_impostor']} impostor pairs"]
    lines += [f"  at the table's cut for {r['far_promised']:.0e} ({r['threshold']:.4f}): "
              f"{r['false_accepts']} false accepts = {r['far_measured']:.2e} "
              f"({r['ratio']:.1f}x the promised rate)" for r in report["rates"]]
    return "\n".join(lines)
