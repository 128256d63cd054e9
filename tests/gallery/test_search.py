"""Exact 1:N search over the door's groups, and the benchmark's figures on small sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.errors import ModelError
from edge.eval.bench.gallery import budget, search_figures, store_figures
from edge.gallery.store import GalleryStore
from edge.identify.local.backend import LocalBackend
from edge.identify.thresholds import FarTable
from tests.gallery.test_store import unit


def test_search_ranks_people_by_their_template_within_the_groups(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_person("ann", "Ann", ["staff"], now=100.0)
        store.add_person("ben", "Ben", ["staff", "night"], now=100.0)
        store.add_person("cat", "Cat", ["visitors"], now=100.0)
        store.add_person("dan", "Dan", ["staff"], now=100.0)  # no face yet: not searchable
        probe = unit(1)
        near = probe + 0.3 * unit(2)
        store.add_face("ann", unit(3), "enrolled")
        store.add_face("ann", near / np.linalg.norm(near), "learned")
        store.add_face("ben", unit(4), "enrolled")
        store.add_face("cat", probe, "enrolled")  # identical, but not in the door's groups
        store.confirm(["ann"], now=200.0)
        view = store.snapshot().view(["staff"])
        assert view.person_ids == ("ann", "ben")
        hits = view.search(probe, top_k=5)[0]
        assert [h.person_id for h in hits] == ["ann", "ben"]
        template = unit(3) + near / np.linalg.norm(near)  # Ann's template: the mean of her faces
        assert abs(hits[0].score - float(probe @ (template / np.linalg.norm(template)))) < 2e-3
        assert abs(view.nearest_faces(probe)[0][0].score - float(probe @ near / np.linalg.norm(near))) < 2e-3
        assert [h.person_id for h in view.search(probe, confirmed_since=150.0)[0]] == ["ann"]
        assert [h.person_id for h in store.snapshot().view(None).search(probe, top_k=1)[0]] == ["cat"]
        two = store.snapshot().view(["staff", "visitors"]).search(np.stack([probe, unit(4)]), top_k=1)
        assert [[h.person_id for h in row] for row in two] == [["cat"], ["ben"]]
        assert store.snapshot().view(["nobody"]).search(probe) == [[]]
        with pytest.raises(ModelError, match="enrolled with another model"):
            view.search(unit(1, dim=512))


def test_benchmark_figures_are_sane_on_small_galleries(tmp_path: Path) -> None:
    """Shapes and sizes only: time budgets are the benchmark's (edge/eval/bench/gallery.py), since a
    busy test machine is not a slow device."""
    search = search_figures(2_000, queries=20)
    assert 0 < search.median_ms <= search.p95_ms
    assert 512 <= search.memory_bytes_per_face < 4096  # float32 row plus the person's record
    stored = store_figures(300, tmp_path, encrypted=True, durable_each=20)
    assert stored.add_per_s > 0 and 256 < stored.disk_bytes_per_face < 4096 and stored.load_ms > 0
    assert budget("x", 60, 50, "ms").endswith("MISSED") and budget("x", 11, 10, "/s", at_least=True) \
        .endswith("met")


def test_local_threshold_states_the_one_to_n_rate_it_stands_for(tmp_path: Path) -> None:
    table = FarTable.from_pairs("cosine", [(0.90, 1e-2), (0.95, 1e-4), (0.97, 1e-6)])
    with GalleryStore(tmp_path / "g.sqlite") as store:
        local = LocalBackend(store, table, None, max_age=None)
        small, large = local.threshold(1e-4, 10), local.threshold(1e-4, 1000)
        assert 0.95 < small.score < large.score and abs(small.far - 1e-4) < 1e-9
        beyond = local.threshold(1e-4, 1_000_000)  # the table cannot honour the policy there
        assert beyond.score == 0.97 and beyond.far > 0.5
