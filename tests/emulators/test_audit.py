"""Issue #20's audit, kept: every endpoint of the three emulators on six aspects
(``tests/emulators/audit/``).

``.venv/bin/pytest tests/emulators/test_audit.py -q -s -p no:cacheprovider`` prints the table and
the score. The emulators run with their documented limits (not the small ones other tests use);
IAI over HTTPS, so the official SDK passes every emulated action unmodified over TLS (issue #20,
"Must show").
The test fails when a cell fails that is not a known gap, and when a known gap starts passing
(so the list below stays the truth).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.emulators.tls import self_signed
from edge.emulators.youtu.service import Limits
from edge.vision.config import VisionSettings
from tests.emulators.audit import run
from tests.emulators.audit.iai import Iai, iai_probes
from tests.emulators.audit.sensetime import SenseTime, sensetime_probes
from tests.emulators.audit.youtu import Youtu, youtu_probes
from tests.emulators.conftest import iai_emulator, photo, sensetime_emulator, youtu_emulator

HOSTED = {"obama.jpg": "Barack_Obama/1", "biden.jpg": "Joe_Biden/2"}

# What the emulators do not do, and why (docs/sensetime.md, "Not done").
KNOWN_GAPS = {
    # The order of SenseTime's 106 points is in no public source found, and no model here gives
    # age, gender or emotions: nothing is answered in a guessed layout.
    ("sensetime", "/face/detection", "params"),  # landmarks106, attributes when asked
}


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    """Fixture photos by URL, for the documents' ``url`` parameters; any other name is a 404."""

    async def serve(request: Request) -> Response:
        name = HOSTED.get(request.path_params["name"])
        return Response(photo(name), media_type="image/jpeg") if name else Response(status_code=404)

    with ServerThread(Starlette(routes=[Route("/{name}", serve)])) as running:
        yield running.url


def test_every_cell_of_the_audit_passes_but_the_known_gaps(
    vision: VisionSettings, image_host: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def url(name: str) -> str:
        return f"{image_host}/{name}"

    with (
        youtu_emulator(vision, tmp_path_factory.mktemp("youtu"), Limits()) as youtu,
        sensetime_emulator(vision, tmp_path_factory.mktemp("sensetime")) as sensetime,
        iai_emulator(
            vision, tmp_path_factory.mktemp("iai"), self_signed(tmp_path_factory.mktemp("tls"))
        ) as iai,
    ):
        assert iai.url.startswith("https://")
        report = run(
            [
                *youtu_probes(Youtu(youtu, url)),
                *sensetime_probes(SenseTime(sensetime, url)),
                *iai_probes(Iai(iai, url)),
            ]
        )
    print("\n" + report.table())
    failing = report.failing_cells()
    unexpected = {cell: problems for cell, problems in failing.items() if cell not in KNOWN_GAPS}
    assert not unexpected, "\n".join(f"{cell}: {problems}" for cell, problems in unexpected.items())
    assert set(failing) == KNOWN_GAPS, f"known gaps that now pass: {KNOWN_GAPS - set(failing)}"
