"""What the status page shows: health, backends and circuits, the policy in force, PAD, broker, metrics."""

from __future__ import annotations

from typing import Any

from edge.config.settings import Settings
from edge.identify.verdict import Judge
from edge.service.check import CheckResult
from edge.service.doctor import run_checks
from edge.ui.parts import ConsoleParts

QUICK_CHECKS = ("models", "disk", "gallery", "policy", "broker")  # not the camera: the loop holds it


def _decision_counts(parts: ConsoleParts) -> dict[str, int]:
    """``decision: reason`` -> count since start, from the Prometheus counters."""
    counts: dict[str, int] = {}
    for family in parts.metrics.registry.collect():
        if family.name != "edge_decisions":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = f"{sample.labels['decision']}: {sample.labels['reason']}"
                counts[key] = int(sample.value)
    return counts


def _pad(settings: Settings, parts: ConsoleParts) -> dict[str, Any]:
    """The PAD stage in force and the attacks it denied since start."""
    pad = settings.vision.pad
    if not pad.enabled:
        return {"enabled": False}
    denied = sum(n for key, n in _decision_counts(parts).items() if key.endswith(": presentation_attack"))
    return {"enabled": True, "methods": ", ".join(m.type for m in pad.methods), "fusion": pad.fusion,
            "when undecided": pad.undecided, "attacks denied": denied}


def summary(parts: ConsoleParts) -> dict[str, Any]:
    settings = parts.settings
    health = parts.health.report()
    judge = Judge(settings.access, parts.enrollment.store)
    far = settings.access.max_false_accept
    backend_health = parts.chain.health()
    backends = []
    for backend in parts.backends:
        threshold, meets_policy = judge.threshold(backend)
        report = backend_health.get(backend.name)
        backends.append({
            "name": backend.name,
            "circuit": report.state.value if report else "?",
            "calls": report.calls if report else 0,
            "error_rate": report.error_rate if report else 0.0,
            "latency_ms_p50": report.latency_ms_p50 if report else None,
            "threshold": threshold.score,
            "scale": threshold.scale,
            "far": threshold.far,
            "calibration": threshold.calibration,
            "meets_policy": meets_policy,
        })
    return {
        "health": health,
        "backends": backends,
        "policy": {
            "max_false_accept": far,
            "gallery_size": judge.gallery_size(),
            "groups": settings.access.groups,
            "window": f"{settings.access.min_frames} of {settings.access.window_frames} frames "
                      f"within {settings.access.window_s:g} s",
        },
        "pad": _pad(settings, parts),
        "broker": parts.broker(),
        "outbox_depth": health.details.get("outbox_depth"),
        "fps": round(parts.metrics.fps(), 1),
        "decisions": _decision_counts(parts),
    }


def quick_checks(settings: Settings) -> list[CheckResult]:
    """The doctor's checks that do not disturb the running loop."""
    return run_checks(settings, QUICK_CHECKS, timeout_s=10.0)
