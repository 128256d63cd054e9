"""``edge doctor``: every check an installer needs, as a table with a fix hint per failed line.

Checks run concurrently, each in a daemon thread with a time limit, so a camera that hangs on
open or a broker that swallows packets becomes a failed line instead of a hung command. A check
that raises is a failed line too: the doctor itself never ends in a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from edge.config.settings import Settings
from edge.errors import EdgeError
from edge.log import redact_urls
from edge.service import doctor_local, doctor_remote
from edge.service.check import CheckResult

Check = Callable[[Settings], Iterable[CheckResult]]


CHECKS: dict[str, Check] = {
    "camera": doctor_local.camera,
    "models": doctor_local.models,
    "disk": doctor_local.disk,
    "gallery": doctor_local.gallery,
    "policy": doctor_local.policy,
    "broker": doctor_remote.broker,
    "backends": doctor_remote.backends,
    "clock": doctor_remote.clock,
}
CHECK_NAMES = tuple(CHECKS)


def _run_one(name: str, check: Check, settings: Settings, out: list[CheckResult]) -> None:
    try:
        out.extend(check(settings))
    except EdgeError as exc:
        out.append(CheckResult(name, "fail", str(exc).replace("\n", "; ")))
    except Exception as exc:  # a doctor reports whatever went wrong; it must not crash on it
        out.append(CheckResult(name, "fail", f"{type(exc).__name__}: {exc}"))


def run_checks(settings: Settings, names: Sequence[str] = CHECK_NAMES, *, timeout_s: float = 15.0
               ) -> list[CheckResult]:
    """Run the named checks concurrently; results in the order of ``names``."""
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; known: {', '.join(CHECK_NAMES)}")
    outputs: dict[str, list[CheckResult]] = {name: [] for name in names}
    threads = {
        name: threading.Thread(target=_run_one, args=(name, CHECKS[name], settings, outputs[name]),
                               name=f"doctor-{name}", daemon=True)
        for name in names
    }
    for thread in threads.values():
        thread.start()
    deadline = time.monotonic() + timeout_s
    results: list[CheckResult] = []
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            results.append(CheckResult(name, "fail", f"no answer within {timeout_s:.0f} s",
                                       "something hangs: see the other lines and the service's log"))
        else:
            results += outputs[name]
    return results


_SHOWN = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def render_table(results: Sequence[CheckResult]) -> str:
    """Columns check | status | detail, and an indented ``fix:`` line under each failed or warned line.

    Passwords inside URLs (a camera's RTSP address) are redacted.
    """
    width = max([len("check"), *(len(r.check) for r in results)])
    lines = [f"{'check':<{width}}  status  detail", f"{'-' * width}  ------  ------"]
    for r in results:
        lines.append(f"{r.check:<{width}}  {_SHOWN[r.status]:<6}  {r.detail}")
        if r.hint and r.status in ("fail", "warn"):
            lines.append(f"{'':<{width}}          fix: {r.hint}")
    return redact_urls("\n".join(lines))
