"""The shared body layer (issue #19, item 2): limits enforced while the body streams, before any
credentials are looked at; stalled bodies and silent connections answered and closed."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.emulators import common
from edge.emulators.body import MAX_JSON_DEPTH, BodyLimits, BoundedBody, MalformedBody, Refusal, json_object
from edge.emulators.common import ServerThread
from tests.emulators.conftest import Target

CHUNK = b"x" * 65536
HUNDRED_MB = 100 * 1024 * 1024


def peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from the current RSS


def chunked_upload(url: str, path: str, total: int) -> tuple[int, bytes]:
    """POST ``total`` bytes chunked without credentials; (bytes the server took, its answer)."""
    host, port = url.removeprefix("http://").split(":")
    sent, answer = 0, b""
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        try:
            while sent < total:
                conn.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += len(CHUNK)
            conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what we want
        try:
            while data := conn.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    return sent, answer


@pytest.mark.parametrize("name", ["youtu", "sensetime", "iai"])
def test_a_chunked_100_mb_body_without_credentials_is_refused_early(name: str, request: pytest.FixtureRequest
                                                                    ) -> None:
    target: Target = request.getfixturevalue(f"{name}_target")
    path = {"youtu": "/face/newperson", "sensetime": "/face/detection", "iai": "/"}[name]
    before = target.state()
    reset_peak_rss()
    baseline = peak_rss_bytes()
    sent, answer = chunked_upload(target.url, path, HUNDRED_MB)
    assert sent < 40 * 1024 * 1024, f"the server read {sent >> 20} MB of a body over its limit"
    assert peak_rss_bytes() - baseline < 64 * 1024 * 1024
    if answer:  # the answer may be lost to the reset that closing an unread socket sends
        documented = {"youtu": b'"code":23', "sensetime": b"IMAGE_FILE_SIZE_TOO_BIG",
                      "iai": b"RequestSizeLimitExceeded"}[name]
        assert documented in answer, answer[:300]
    assert target.state() == before


@pytest.mark.parametrize("name", ["youtu", "sensetime", "iai"])
def test_a_declared_length_over_the_limit_is_refused_unread(name: str,
                                                            request: pytest.FixtureRequest) -> None:
    target: Target = request.getfixturevalue(f"{name}_target")
    answer = target.send({"youtu": "newperson", "sensetime": "/face/detection", "iai": "DetectFace"}[name],
                         b"{" + b" " * (11 * 1024 * 1024) + b"}", signed=False)
    assert answer.status_code < 500
    assert answer.headers["connection"] == "close"
    documented = {"youtu": '"code":23', "sensetime": "IMAGE_FILE_SIZE_TOO_BIG",
                  "iai": "RequestSizeLimitExceeded"}[name]
    assert documented in answer.text


def _echo_app(limits: BodyLimits) -> BoundedBody:
    async def echo(request: Request) -> Response:
        return Response(await request.body())

    def refuse(reason: Refusal, limits: BodyLimits) -> Response:
        return JSONResponse({"refused": reason.value}, 400)

    return BoundedBody(Starlette(routes=[Route("/", echo, methods=["POST"])]), limits, refuse)


def test_the_body_reaches_the_app_whole_within_the_limit() -> None:
    with ServerThread(_echo_app(BodyLimits(max_bytes=1000))) as server:
        assert httpx.post(server.url, content=b"a" * 1000).content == b"a" * 1000
        chunked = httpx.post(server.url, content=iter([b"a" * 600, b"b" * 400]))
        assert chunked.content == b"a" * 600 + b"b" * 400
        over = httpx.post(server.url, content=iter([b"a" * 600, b"b" * 401]))
        assert (over.status_code, over.json()) == (400, {"refused": "too_large"})


def test_a_stalled_body_is_answered_and_closed() -> None:
    with ServerThread(_echo_app(BodyLimits(max_bytes=1000, idle_timeout_s=0.3))) as server, \
            socket.create_connection((server.host, server.port), timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        started = time.monotonic()
        answer = b""
        while data := conn.recv(4096):
            answer += data
        assert time.monotonic() - started < 3
        assert answer.startswith(b"HTTP/1.1 400") and b'"timeout"' in answer


def test_silent_connections_are_closed_and_the_server_keeps_answering(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "HEADER_TIMEOUT_S", 0.5)
    with ServerThread(_echo_app(BodyLimits(max_bytes=1000))) as server:
        silent = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(300)]
        try:
            for conn in silent[:150]:
                conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            time.sleep(1.5)
            assert all(conn.recv(1) == b"" for conn in silent), "the server closed every silent connection"
            assert httpx.post(server.url, content=b"still here").content == b"still here"
        finally:
            for conn in silent:
                conn.close()


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}",
    b'{"a": ' + b'{"b": ' * 2000 + b"1" + b"}" * 2001,
    b'{"a": 1', b"\xff\xfe", b"[1, 2]", b'"text"',
])
def test_malformed_json_is_a_malformed_body(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        json_object(body)


def test_json_within_the_depth_is_read() -> None:
    nested = b'{"a": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    assert json_object(nested)["a"]
    assert json_object(b"  ") == {}
