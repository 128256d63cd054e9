"""Vision: detect, align, describe, quality gates and liveness signals on each frame."""
