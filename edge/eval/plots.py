"""ROC, DET and score histograms as one PNG (the optional ``plot`` extra: matplotlib).

matplotlib is imported only here, only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import BadInput
from edge.eval.metrics import roc
from edge.eval.pad import operating_points, rates


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise BadInput("plots need matplotlib: pip install 'edge[plot]'") from exc
    return plt


def _save(plt: Any, figure: Any, out: Path) -> None:
    """Write the figure as PNG and free it, whether or not the write succeeds."""
    figure.tight_layout()
    try:
        figure.savefig(out, dpi=100)
    except OSError as exc:
        raise BadInput(f"{out}: cannot write the plot: {exc}") from exc
    finally:
        plt.close(figure)


def plot_verification(genuine: np.ndarray, impostor: np.ndarray, out: Path, title: str) -> None:
    """ROC (log FAR), DET (FAR vs FRR, log-log) and genuine/impostor score histograms."""
    plt = _pyplot()
    curve = roc(genuine, impostor)
    figure, (ax_roc, ax_det, ax_hist) = plt.subplots(1, 3, figsize=(15, 4.5))
    floor = 1 / max(impostor.size, 1)
    ax_roc.semilogx(np.maximum(curve.far, floor), curve.tar)
    ax_roc.set(xlabel="false accept rate", ylabel="true accept rate", title="ROC")
    ax_det.loglog(np.maximum(curve.far, floor), np.maximum(1 - curve.tar, 1 / max(genuine.size, 1)))
    ax_det.set(xlabel="false accept rate", ylabel="false reject rate", title="DET")
    bins = np.linspace(min(genuine.min(), impostor.min()), max(genuine.max(), impostor.max()), 60)
    ax_hist.hist(impostor, bins=bins, alpha=0.6, density=True, label=f"impostor ({impostor.size})")
    ax_hist.hist(genuine, bins=bins, alpha=0.6, density=True, label=f"genuine ({genuine.size})")
    ax_hist.set(xlabel="cosine similarity", ylabel="density", title="scores")
    ax_hist.legend()
    for ax in (ax_roc, ax_det):
        ax.grid(True, which="both", alpha=0.3)
    figure.suptitle(title)
    _save(plt, figure, out)


def plot_identification(curve: list[dict[str, float]], report: dict[str, Any], out: Path) -> None:
    """TPIR and misidentification rate against FPIR over thresholds, the policy's point marked."""
    plt = _pyplot()
    fpir = np.array([p["fpir"] for p in curve])
    floor = 1 / max(report["n_impostor"], 1)
    figure, ax = plt.subplots(figsize=(6, 4.5))
    ax.semilogx(np.maximum(fpir, floor), [p["tpir"] for p in curve], label="TPIR (identified correctly)")
    ax.semilogx(np.maximum(fpir, floor), [p["misid"] for p in curve], label="misidentified")
    ax.plot([max(report["fpir"], floor)], [report["tpir"]], "o", label=f"policy {report['far_policy']:g}")
    ax.set(xlabel="FPIR (impostors accepted)", ylabel="rate of genuine probes",
           title=f"open-set 1:N, {report['n_enrolled']} enrolled")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    _save(plt, figure, out)


def plot_pad_det(bona_fide: np.ndarray, attacks: np.ndarray, out: Path, offset: float) -> None:
    """The PAD DET curve: BPCER against APCER over operating points, the one in use marked."""
    plt = _pyplot()
    points = [p for _, p in operating_points(bona_fide, attacks)]
    floor_a, floor_b = 1 / max(attacks.size, 1), 1 / max(bona_fide.size, 1)
    figure, ax = plt.subplots(figsize=(6, 4.5))
    ax.loglog([max(p.apcer, floor_a) for p in points], [max(p.bpcer, floor_b) for p in points])
    used = rates(bona_fide, attacks, offset)
    ax.plot([max(used.apcer, floor_a)], [max(used.bpcer, floor_b)], "o", label=f"offset {offset:+.3f}")
    ax.set(xlabel="APCER (attacks accepted)", ylabel="BPCER (bona fide rejected)",
           title=f"PAD DET, {bona_fide.size} bona fide / {attacks.size} attack tracks")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    _save(plt, figure, out)
