"""The client's handling of the wire: body shapes, retries of transient codes only, typed errors,
timeouts, answers whatever their HTTP status. Each scenario is a small real HTTP server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.errors import BackendUnavailable
from edge.identify.youtu import errors
from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.signature import parse_authorization
from tests.youtu.conftest import APPID, SECRET_ID

Reply = Callable[[int], Response]  # call number (from 1) -> response


class Scripted:
    """A server answering every POST /face/<action> by a script; records what it received."""

    def __init__(self, reply: Reply, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.delay_s = delay_s
        self.calls: list[dict] = []

    async def handle(self, request: Request) -> Response:
        form_like = request.headers.get("content-type", "").startswith("multipart/")
        if form_like:
            form = await request.form()
            fields = {k: (v.filename if hasattr(v, "filename") else v) for k, v in form.multi_items()}
        else:
            fields = await request.json()
        self.calls.append(
            {
                "action": request.path_params["action"],
                "multipart": form_like,
                "fields": fields,
                "authorization": request.headers.get("authorization"),
            }
        )
        await asyncio.sleep(self.delay_s)
        return self.reply(len(self.calls))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/face/{action}", self.handle, methods=["POST"])])


@pytest.fixture
def scripted() -> Iterator[Callable[..., tuple[Scripted, str]]]:
    servers: list[ServerThread] = []

    def start(reply: Reply, delay_s: float = 0.0) -> tuple[Scripted, str]:
        script = Scripted(reply, delay_s)
        servers.append(ServerThread(script.app()).start())
        return script, servers[-1].url

    yield start
    for server in servers:
        server.stop()


def ok(data: dict) -> Response:
    return JSONResponse({"code": 0, "message": "OK", "data": data})


def failing(code: int, status: int = 200) -> Response:
    return JSONResponse({"code": code, "message": "documented failure", "data": {}}, status_code=status)


GROUPS = {"group_ids": ["a"]}


def test_bodies_are_json_for_urls_and_multipart_with_indexed_arrays_for_uploads(
    scripted, make_client
) -> None:
    script, url = scripted(lambda n: ok({"person_id": "p", "face_id": "1", "suc_group": 2, "suc_face": 1}))
    client: YoutuClient = make_client(url)
    client.newperson("p", ["g1", "g2"], "http://images/p.jpg", person_name="P")
    client.newperson("p", ["g1", "g2"], b"\xff\xd8jpeg")
    as_json, as_form = script.calls
    assert not as_json["multipart"]
    assert as_json["fields"] == {
        "appid": APPID,
        "person_id": "p",
        "group_ids": ["g1", "g2"],
        "person_name": "P",
        "url": "http://images/p.jpg",
    }
    assert as_form["multipart"]
    assert as_form["fields"] == {
        "appid": APPID,
        "person_id": "p",
        "group_ids[0]": "g1",
        "group_ids[1]": "g2",
        "image": "image.jpg",
    }
    signed = parse_authorization(as_form["authorization"]).fields
    assert (signed["a"], signed["k"], signed["b"]) == (APPID, SECRET_ID, "")
    assert as_json["authorization"] == as_form["authorization"]  # multi-use: reused while valid


def test_transient_codes_are_retried_with_backoff(scripted, make_client) -> None:
    script, url = scripted(lambda n: failing(213) if n < 3 else ok(GROUPS))
    assert make_client(url, retries=2).getgroupids() == ["a"]
    assert len(script.calls) == 3


@pytest.mark.parametrize("code", [107, 108, 213])
def test_transient_codes_give_up_after_the_retries(scripted, make_client, code: int) -> None:
    script, url = scripted(lambda n: failing(code, status=503))
    with pytest.raises(errors.YoutuTransient) as raised:
        make_client(url, retries=1).getgroupids()
    assert raised.value.code == code and len(script.calls) == 2


def test_retries_stop_before_the_call_would_outlive_its_deadline(scripted, make_client) -> None:
    """Waits of 0.3 then 0.6 s: within a 0.5 s budget the second retry would start too late."""
    script, url = scripted(lambda n: failing(213))
    client = make_client(url, retries=5, backoff_s=0.3, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(errors.YoutuTransient):
        client.getgroupids()
    assert len(script.calls) == 2 and time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("code", "family"),
    [
        (15, errors.YoutuRateLimited),
        (4, errors.YoutuAuthError),
        (9, errors.YoutuAuthError),
        (14, errors.YoutuAuthError),
        (23, errors.YoutuTooLarge),
        (21, errors.YoutuInputError),
        (-1101, errors.YoutuNoFace),
        (-1102, errors.YoutuInputError),
        (-1302, errors.YoutuConflict),
        (-1312, errors.YoutuConflict),
        (-1303, errors.YoutuNotFound),
        (-1309, errors.YoutuLimitReached),
        (-1400, errors.YoutuInputError),
    ],
)
def test_other_codes_raise_their_family_at_once(scripted, make_client, code: int, family: type) -> None:
    script, url = scripted(lambda n: failing(code, status=400))
    with pytest.raises(family) as raised:
        make_client(url).getgroupids()
    assert raised.value.code == code and raised.value.message == "documented failure"
    assert len(script.calls) == 1


def test_every_documented_code_has_a_message_and_a_family() -> None:
    for code in errors.MESSAGES:
        error = errors.error_for(code)
        assert isinstance(error, errors.YoutuError) and error.message == errors.MESSAGES[code]
        assert type(error) is not errors.YoutuError


@pytest.mark.parametrize(
    "reply",
    [
        lambda n: PlainTextResponse("Bad gateway", status_code=502),
        lambda n: JSONResponse({"message": "no code"}),
        lambda n: JSONResponse({"code": 0, "data": {"group_ids": "not a list"}}),
    ],
)
def test_answers_that_are_not_the_envelope_mean_the_backend_is_unavailable(
    scripted, make_client, reply
) -> None:
    _, url = scripted(reply)
    with pytest.raises(BackendUnavailable):
        make_client(url).getgroupids()


def test_timeouts_and_refused_connections_are_backend_unavailable(scripted, make_client) -> None:
    _, url = scripted(lambda n: ok(GROUPS), delay_s=1.0)
    with pytest.raises(BackendUnavailable, match="timed out"):
        make_client(url).identify(["a"], b"jpeg", timeout=0.2)
    with ServerThread(Starlette()) as gone:
        closed_url = gone.url
    with pytest.raises(BackendUnavailable):
        make_client(closed_url).getgroupids()


def test_the_old_host_style_sends_the_bucket_in_body_and_signature(scripted, make_client) -> None:
    script, url = scripted(lambda n: ok(GROUPS))
    make_client(url, bucket="tencentyun").getgroupids()
    [call] = script.calls
    assert call["fields"] == {"appid": APPID, "bucket": "tencentyun"}
    assert parse_authorization(call["authorization"]).fields["b"] == "tencentyun"


def test_identify_in_several_groups_is_one_documented_call_per_group(scripted, make_client) -> None:  # noqa: ANN001
    """Seed 001 documents ``group_id`` only: one call per group, the candidates merged."""
    answers = {
        "a": [{"person_id": "ann", "face_id": "1", "confidence": 70.0, "tag": ""},
              {"person_id": "bob", "face_id": "2", "confidence": 60.0, "tag": ""}],
        "b": [{"person_id": "bob", "face_id": "3", "confidence": 90.0, "tag": ""}],
    }
    script: Scripted

    def reply(call: int) -> Response:
        group = script.calls[-1]["fields"]["group_id"]
        return ok({"session_id": "s", "candidates": answers[group], "group_size": 2, "time_ms": 1})

    script, url = scripted(reply)
    found = make_client(url).identify(["a", "b"], "http://example.invalid/x.jpg", session_id="s")
    assert [(c["action"], c["fields"].get("group_id"), "group_ids" in c["fields"], c["fields"]["session_id"])
            for c in script.calls] == [("identify", "a", False, "s"), ("identify", "b", False, "s")]
    assert [(c.person_id, c.confidence) for c in found.candidates] == [("bob", 90.0), ("ann", 70.0)]
    assert found.group_size == 4
