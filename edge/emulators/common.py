"""Serving an emulator: blocking for the CLI, or in a background thread for tests.

Both run a Starlette (ASGI) app under uvicorn on real HTTP, or HTTPS with ``tls``::

    serve(app, "127.0.0.1", 8080)            # blocks until Ctrl-C

    with ServerThread(app) as server:        # a free loopback port
        httpx.post(server.url + "/face/getgroupids", ...)

A connection must send its request headers within :data:`HEADER_TIMEOUT_S` (uvicorn has no such
deadline: 400 silent connections used to exhaust the open files); the body's own deadlines are
:class:`edge.emulators.body.BoundedBody`'s.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

_START_TIMEOUT_S = 10.0
HEADER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class TlsFiles:
    """A PEM certificate (chain) and its private key: the emulator then speaks HTTPS only."""

    cert: Path
    key: Path


class _HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection that sends no request in time."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.loop.call_later(HEADER_TIMEOUT_S, self._close_if_silent)

    def _close_if_silent(self) -> None:
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def origin_form(app: ASGIApp) -> ASGIApp:
    """``app`` also answering absolute-form request targets (``POST http://host/face/x``), which a
    server must accept (RFC 9112, section 3.2.2) and which clients send through an HTTP proxy:
    the path is the URL's path. uvicorn passes the whole URL on as the path."""

    async def with_origin_form(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(("http://", "https://")):
            raw = scope.get("raw_path") or scope["path"].encode("latin-1")
            scope = {**scope, "path": urlsplit(scope["path"]).path or "/",
                     "raw_path": urlsplit(raw.decode("latin-1")).path.encode("latin-1") or b"/"}
        await app(scope, receive, send)

    return with_origin_form


def _config(app: ASGIApp, host: str, port: int, tls: TlsFiles | None) -> uvicorn.Config:
    # No uvicorn access log: it would print every query string, which may carry credentials.
    return uvicorn.Config(
        origin_form(app), host=host, port=port, access_log=False, log_config=None, http=_HeaderDeadline,
        ssl_certfile=str(tls.cert) if tls else None, ssl_keyfile=str(tls.key) if tls else None,
    )


def _raise_open_files_limit() -> None:
    """Use the hard limit of open files (often 1024 soft, far more hard): one per connection."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(app: ASGIApp, host: str, port: int, tls: TlsFiles | None = None) -> None:
    """Serve ``app`` until interrupted (the ``edge emulate ...`` commands)."""
    _raise_open_files_limit()
    uvicorn.Server(_config(app, host, port, tls)).run()


class ServerThread:
    """Serve ``app`` in a daemon thread while the context is open; ``port=0`` picks a free one."""

    def __init__(
        self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, tls: TlsFiles | None = None
    ) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections. Without it, a socket handed to uvicorn keeps Nagle's
        # algorithm: every answer (headers and body written apart) waits ~40 ms for a delayed ACK.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.scheme = "https" if tls else "http"
        self._server = uvicorn.Server(_config(app, host, self.port, tls))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._socket.close()
                raise RuntimeError(f"emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT_S)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
