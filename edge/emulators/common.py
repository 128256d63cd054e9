"""Serving an emulator: blocking for the CLI, or in a background thread for tests.

Both run a Starlette (ASGI) app under uvicorn on real HTTP::

    serve(app, "127.0.0.1", 8080)            # blocks until Ctrl-C

    with ServerThread(app) as server:        # a free loopback port
        httpx.post(server.url + "/face/getgroupids", ...)
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT_S = 10.0


def _config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    # No uvicorn access log: it would print every query string, which may carry credentials.
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None)


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (the ``edge emulate ...`` commands)."""
    uvicorn.Server(_config(app, host, port)).run()


class ServerThread:
    """Serve ``app`` in a daemon thread while the context is open; ``port=0`` picks a free one."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections. Without it, a socket handed to uvicorn keeps Nagle's
        # algorithm: every answer (headers and body written apart) waits ~40 ms for a delayed ACK.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_config(app, host, self.port))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
