"""The IAI backend (official SDK) against the local server: enrollment, identification at the
door's default policy, verification, and each failure as the appliance's error."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import numpy as np
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from edge.access.config import AccessSettings
from edge.emulators.common import ServerThread
from edge.errors import BackendUnavailable, ConfigError
from edge.identify.iai.backend import IaiBackend
from edge.identify.iai.errors import AuthFailed, GroupNotFound, ImageRejected, RateLimited
from edge.vision.image_io import decode_image
from edge.vision.pipeline import FaceAnalyzer
from tests.iai.conftest import backend_config, jpeg, photo, side_by_side

POLICY = AccessSettings().max_false_accept  # the door's default, 1e-4


def frame(name: str) -> np.ndarray:
    return decode_image(photo(name), max_pixels=10**8)


@pytest.fixture(scope="module")
def backend(server_url: str) -> IaiBackend:
    """Obama (two faces) in staff and day, Biden in staff; Collins stays a stranger."""
    enroller = IaiBackend(backend_config(server_url, group_ids=["staff"]))
    created = enroller.create_person("obama", "Barack Obama", ["staff", "day"], photo("Barack_Obama/1"))
    assert created == "obama"
    enroller.create_person("biden", "Joe Biden", ["staff"], photo("Joe_Biden/1"))
    assert enroller.add_face("obama", photo("Barack_Obama/3"))
    return enroller


def test_enrolled_persons_are_listed_per_group(backend: IaiBackend) -> None:
    assert backend.list_persons(["staff"]) == ["biden", "obama"]
    assert backend.list_persons(["day", "staff"]) == ["biden", "obama"]
    assert backend.list_persons(["day"]) == ["obama"]
    assert backend.list_persons(["staff"], page_size=1) == ["biden", "obama"]  # three pages
    assert backend.gallery_size() == 2  # persons, as SearchPersons searches


def test_a_face_unlike_the_person_is_not_added(backend: IaiBackend) -> None:
    with pytest.raises(ImageRejected) as caught:
        backend.add_face("obama", photo("Eileen_Collins/1"))
    assert caught.value.code == -1604


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"returns_by_group": True},
        {"search_persons": False},
        {"search_persons": False, "returns_by_group": True},
    ],
    ids=["SearchPersons", "SearchPersonsReturnsByGroup", "SearchFaces", "SearchFacesReturnsByGroup"],
)
def test_enrolled_faces_pass_the_default_policy_and_a_stranger_does_not(
    server_url: str, analyzer: FaceAnalyzer, options: dict[str, object]
) -> None:
    backend = IaiBackend(backend_config(server_url, group_ids=["staff", "day"], **options))
    cut = backend.threshold(POLICY, backend.gallery_size())
    assert cut.far <= POLICY
    for name, expected in [("Barack_Obama/2", "obama"), ("Joe_Biden/2", "biden"), ("Eileen_Collins/1", None)]:
        image = frame(name)
        [answer] = backend.identify(image, analyzer.analyze(image), deadline_s=10)
        assert answer.backend == "iai" and answer.scale == "0-100"
        passed = [c.person_id for c in answer.candidates if c.score >= cut.score]
        assert passed[:1] == ([expected] if expected else []), (name, answer.candidates, cut)


def test_several_faces_in_one_frame_are_each_matched_by_their_rectangle(
    backend: IaiBackend, analyzer: FaceAnalyzer
) -> None:
    image = side_by_side("Eileen_Collins/1", "Joe_Biden/1", "Barack_Obama/2")
    faces = analyzer.analyze(image)[::-1]  # not the service's order (largest first)
    assert len(faces) == 3
    answers = backend.identify(image, faces, deadline_s=10)
    cut = backend.threshold(POLICY, backend.gallery_size())
    named = {
        round(face.detection.box.x): (a.best.person_id if a.best and a.best.score >= cut.score else None)
        for face, a in zip(faces, answers)
    }
    assert [named[x] for x in sorted(named)] == [None, "biden", "obama"]  # left to right


def test_a_frame_without_faces_gets_empty_answers(backend: IaiBackend, analyzer: FaceAnalyzer) -> None:
    image = frame("Barack_Obama/2")
    faces = analyzer.analyze(image)
    blank = np.full_like(image, 127)
    assert [a.candidates for a in backend.identify(blank, faces, deadline_s=10)] == [()]
    assert backend.identify(image, [], deadline_s=10) == []


def test_verification_uses_the_1_to_1_table(backend: IaiBackend) -> None:
    cut = backend.verify_threshold(POLICY)
    assert cut.score == pytest.approx(50.0)
    assert backend.verify("obama", photo("Barack_Obama/4")) >= cut.score
    assert backend.verify("obama", photo("Eileen_Collins/1")) < cut.score
    assert backend.verify("obama", jpeg(frame("Joe_Biden/2"))) < cut.score


def test_deleting_is_idempotent(server_url: str) -> None:
    backend = IaiBackend(backend_config(server_url, group_ids=["temp"]))
    backend.create_person("temp-1", "Temp", ["temp"], photo("Joe_Biden/2"))
    assert backend.list_persons(["temp"]) == ["temp-1"]
    backend.delete_person("temp-1")
    backend.delete_person("temp-1")
    assert backend.list_persons(["temp"]) == []


def test_service_errors_become_typed_errors(server_url: str, analyzer: FaceAnalyzer) -> None:
    image = frame("Barack_Obama/2")
    with pytest.raises(GroupNotFound):
        IaiBackend(backend_config(server_url, group_ids=["nowhere"])).identify(
            image, analyzer.analyze(image), deadline_s=10
        )
    wrong_key = IaiBackend(backend_config(server_url, secret_key=SecretStr("NOTTHEKEY")))
    with pytest.raises(AuthFailed) as caught:
        wrong_key.list_persons(["staff"])
    assert caught.value.code == "AuthFailure.SignatureFailure"
    assert "NOTTHEKEY" not in str(caught.value)


def test_a_missing_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="secret_key"):
        IaiBackend(backend_config("http://127.0.0.1:1", secret_key=None))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_no_answer_within_the_deadline_is_backend_unavailable(
    silent_port: int, analyzer: FaceAnalyzer
) -> None:
    backend = IaiBackend(backend_config(f"http://127.0.0.1:{silent_port}"))
    image = frame("Barack_Obama/2")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        backend.identify(image, analyzer.analyze(image), deadline_s=0.3)
    assert time.monotonic() - started < 3


def test_a_refused_connection_is_backend_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BackendUnavailable):
        IaiBackend(backend_config(f"http://127.0.0.1:{port}")).list_persons(["staff"])


def test_a_gateway_error_is_backend_unavailable() -> None:
    def bad_gateway(request: Request) -> PlainTextResponse:
        return PlainTextResponse("bad gateway", 502)

    app = Starlette(routes=[Route("/", bad_gateway, methods=["POST"])])
    with ServerThread(app) as gateway, pytest.raises(BackendUnavailable) as caught:
        IaiBackend(backend_config(gateway.url)).list_persons(["staff"])
    assert not isinstance(caught.value, RateLimited)
