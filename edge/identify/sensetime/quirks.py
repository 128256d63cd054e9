"""Tolerant reading of the document's inconsistent values (protocols.md section 2).

- ``status`` is "OK" in examples and "ok" in the text (training answers "ok");
- ``/info/*`` returns rect values and landmark coordinates as strings, detection as numbers;
- arrays are comma-separated strings in query/form bodies and JSON arrays in JSON bodies;
- ``top`` and flags may arrive as strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.vision.types import Box


def is_ok(status: object) -> bool:
    return isinstance(status, str) and status.strip().upper() == "OK"


def as_float(value: object, default: float = 0.0) -> float:
    """A number that may be sent as a string; ``default`` when absent or empty."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError(f"not a number: {value!r}")


def as_int(value: object, default: int = 0) -> int:
    number = as_float(value, float(default))
    if not number.is_integer():
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def as_bool(value: object) -> bool:
    """``1``/``true``/``"1"``/``"true"`` are true; absent, ``0``, ``"false"`` are false."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def id_list(value: object) -> list[str]:
    """Ids from a JSON array or a comma-separated string (empty items dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"not a list of ids: {value!r}")
    return [str(item).strip() for item in items if str(item).strip()]


def rect_box(rect: Mapping[str, object]) -> Box:
    """``{"left","top","right","bottom"}`` (numbers or strings) as a :class:`Box`."""
    left, top = as_float(rect.get("left")), as_float(rect.get("top"))
    right, bottom = as_float(rect.get("right")), as_float(rect.get("bottom"))
    return Box(left, top, right - left, bottom - top)


def points(value: object) -> list[tuple[float, float]]:
    """Landmarks ``[[x, y], ...]`` (the SDKs' ``List<List<Double>>``) or ``[{"x": .., "y": ..}, ...]``
    (what later answers of the service send, docs/sensetime.md), coordinates maybe strings."""
    if not isinstance(value, list):
        return []
    pairs = [(p["x"], p["y"]) if isinstance(p, Mapping) and {"x", "y"} <= p.keys() else p for p in value]
    return [(as_float(p[0]), as_float(p[1])) for p in pairs if isinstance(p, list | tuple) and len(p) == 2]
