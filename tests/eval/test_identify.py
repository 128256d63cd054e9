"""Open-set 1:N figures on hand-made embeddings: the gallery's search, the policy's threshold."""

from __future__ import annotations

import numpy as np
import pytest

from edge.eval.identify import identification_report, rates_at, search_probes
from edge.identify.thresholds import FarTable, one_to_n_far


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


GALLERY = {"ann": [unit(1, 0, 0)], "bob": [unit(0, 1, 0), unit(0, 0.9, 0.1)]}
PROBES = [
    ("ann", unit(1, 0.1, 0)),  # genuine, close to ann
    ("bob", unit(0.8, 0.6, 0)),  # genuine, but nearer ann: a misidentification when accepted
    ("eve", unit(0, 0, 1)),  # impostor, far from everyone
    ("zed", unit(0.1, 1, 0)),  # impostor, close to bob
]


def test_rates_at_a_threshold() -> None:
    outcome = search_probes(GALLERY, PROBES)
    assert outcome.genuine.tolist() == [True, True, False, False]
    assert outcome.correct.tolist() == [True, False, False, False]
    assert rates_at(outcome, 0.7) == {"threshold": 0.7, "tpir": 0.5, "fpir": 0.5, "misid": 0.5}
    assert rates_at(outcome, 0.999) == {"threshold": 0.999, "tpir": 0.0, "fpir": 0.0, "misid": 0.0}


def test_policy_threshold_comes_from_the_table_made_stricter_for_the_gallery() -> None:
    table = FarTable.from_pairs("cosine", [(0.5, 0.1), (0.9, 0.001)])
    report = identification_report(search_probes(GALLERY, PROBES), table, far_policy=0.01, n_enrolled=2)
    # two people: each comparison may pass at ~0.005, which the table puts between its rows
    assert report["far_1to1"] == pytest.approx(1 - (1 - 0.01) ** 0.5)
    assert report["fpir_promised"] == pytest.approx(one_to_n_far(report["far_1to1"], 2))
    assert report["fpir_promised"] == pytest.approx(0.01)
    assert 0.5 < report["threshold"] < 0.9
    assert report["impostors_expected"] == pytest.approx(0.02)
    assert (report["n_enrolled"], report["n_genuine"], report["n_impostor"]) == (2, 2, 2)
    assert report["curve"][0]["fpir"] == 1.0 and report["curve"][-1]["fpir"] <= 0.5
