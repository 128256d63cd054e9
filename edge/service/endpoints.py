"""The service's small HTTP server: ``/healthz`` (JSON, 200 or 503) and ``/metrics`` (Prometheus).

It runs uvicorn in a background thread beside the capture loop; it binds to loopback by default
(``service.health_host``) and is off when ``service.health_port`` is 0.
"""

from __future__ import annotations

import contextlib
import threading
import time

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.errors import WorldError
from edge.service.config import ServiceSettings
from edge.service.health import HealthState
from edge.service.metrics import Metrics


def build_app(metrics: Metrics, health: HealthState) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        report = health.report()
        return JSONResponse(report.as_json(), status_code=200 if report.ok else 503)

    async def prometheus(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/healthz", healthz), Route("/metrics", prometheus)])


class HealthServer:
    """uvicorn in a daemon thread; :meth:`start` returns once it listens, :meth:`stop` joins it."""

    def __init__(self, host: str, port: int, metrics: Metrics, health: HealthState) -> None:
        self.host = host
        self.port = port
        config = uvicorn.Config(build_app(metrics, health), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="health-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind; start() reports it
            self._server.run()

    def start(self, timeout_s: float = 10.0) -> HealthServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise WorldError(f"health endpoint could not listen on {self.host}:{self.port} "
                                 "(port in use? set service.health_port)")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_health(settings: ServiceSettings, metrics: Metrics, health: HealthState) -> HealthServer | None:
    """Start the endpoints as configured; None when ``health_port`` is 0."""
    if settings.health_port == 0:
        return None
    return HealthServer(settings.health_host, settings.health_port, metrics, health).start()
