"""The point-by-point audit of the three emulators against their documents (issue #20).

Every endpoint of the YouTu seeds 000-003, SenseTime's seed 004 and every emulated IAI action is
judged on six aspects, each by one or more probes over real HTTP:

==========  ===================================================================================
client      the project's client for that API (YouTu, SenseTime) or the official SDK (IAI) makes
            the call and reads the answer
server      the endpoint answers a valid call at its documented path and method, in the envelope
params      documented request parameters are honoured (spellings, list forms, optional fields,
            url before upload, echoed fields)
fields      the answer's field names and JSON types are the documented ones
errors      documented error codes for their documented conditions (missing field, unknown id,
            no face, bad credentials ...)
limits      documented limits (body size, id lengths, ranges, counts, rate-limit headers)
==========  ===================================================================================

A cell (endpoint x aspect) passes when all its probes pass. The facts come from the documents as
``docs/youtu.md``, ``docs/sensetime.md``, ``docs/iai.md`` and ``../shared/docs/protocols.md``
state them, never from the emulators' code. ``tests/emulators/test_audit.py`` runs it and prints
the table. One module per API: ``youtu``, ``sensetime``, ``iai``.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from tests.emulators.conftest import photo
from tests.youtu.test_conformance import conforms

ASPECTS = ("client", "server", "params", "fields", "errors", "limits")
OBAMA_1, OBAMA_2, OBAMA_3 = photo("Barack_Obama/1"), photo("Barack_Obama/2"), photo("Barack_Obama/3")
BIDEN_1, BIDEN_2, COLLINS = photo("Joe_Biden/1"), photo("Joe_Biden/2"), photo("Eileen_Collins/1")
BLANK = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()
TINY = cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))[1].tobytes()


def gif() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(OBAMA_1)).convert("P").save(out, "GIF")
    return out.getvalue()


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Probe:
    api: str
    endpoint: str
    aspect: str
    name: str
    check: Callable[[], None]  # raises AssertionError (or anything) when the emulator departs


@dataclass
class Result:
    probe: Probe
    problem: str | None


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def cells(self) -> dict[tuple[str, str, str], list[Result]]:
        cells: dict[tuple[str, str, str], list[Result]] = {}
        for result in self.results:
            p = result.probe
            cells.setdefault((p.api, p.endpoint, p.aspect), []).append(result)
        return cells

    def failing_cells(self) -> dict[tuple[str, str, str], list[str]]:
        return {
            cell: [f"{r.probe.name}: {r.problem}" for r in results if r.problem]
            for cell, results in self.cells().items()
            if any(r.problem for r in results)
        }

    def table(self) -> str:
        cells = self.cells()
        endpoints = sorted({(api, endpoint) for api, endpoint, _ in cells})
        lines = [f"{'api':10} {'endpoint':42} " + " ".join(f"{a:7}" for a in ASPECTS)]
        for api, endpoint in endpoints:
            marks = []
            for aspect in ASPECTS:
                results = cells.get((api, endpoint, aspect))
                marks.append("-" if results is None else "FAIL" if any(r.problem for r in results) else "ok")
            lines.append(f"{api:10} {endpoint:42} " + " ".join(f"{m:7}" for m in marks))
        probes, cells_passed = len(self.results), len(cells) - len(self.failing_cells())
        lines.append(
            f"{probes} probes, {probes - sum(1 for r in self.results if r.problem)} pass; "
            f"{len(cells)} cells, {cells_passed} pass ({100 * cells_passed / len(cells):.1f}%)"
        )
        return "\n".join(lines)


def run(probes: list[Probe]) -> Report:
    report = Report()
    for probe in probes:
        try:
            probe.check()
            report.results.append(Result(probe, None))
        except Exception as exc:  # noqa: BLE001 - any departure is a finding, reported with its cell
            report.results.append(Result(probe, f"{type(exc).__name__}: {exc}"[:300]))
    return report


class Probes:
    """Collects probes for one API."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.items: list[Probe] = []

    def add(self, endpoint: str, aspect: str, name: str, check: Callable[[], None]) -> None:
        assert aspect in ASPECTS
        self.items.append(Probe(self.api, endpoint, aspect, name, check))

    def add_client_calls(self, client: str, calls: dict[str, Callable[[], object]]) -> None:
        """The "client" cell of each endpoint: ``client`` makes the call and reads the answer."""
        for endpoint, make in calls.items():
            self.add(endpoint, "client", f"{client} makes the call and reads the answer",
                     lambda make=make: make() and None)


def expect(condition: bool, what: object) -> None:
    if not condition:
        raise AssertionError(what)


def fields_problems(data: object, shape: object, where: str) -> None:
    problems = conforms(data, shape, where)
    expect(not problems, problems)
