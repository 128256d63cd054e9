"""The service's small HTTP server: ``/healthz`` (JSON, 200 or 503) and ``/metrics`` (Prometheus),
and the web console (``edge.ui``) under ``/`` when it is on.

It runs under uvicorn in a background thread beside the capture loop (the same
:class:`ServerThread` that serves the emulators), binds to loopback by default
(``service.health_host``) and is off when ``service.health_port`` is 0.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from edge.emulators.common import ServerThread
from edge.errors import WorldError
from edge.service.config import ServiceSettings
from edge.service.health import HealthState
from edge.service.metrics import Metrics


def build_app(metrics: Metrics, health: HealthState, console: ASGIApp | None = None) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        report = health.report()
        return JSONResponse(report.as_json(), status_code=200 if report.ok else 503)

    async def prometheus(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    routes: list[Route | Mount] = [Route("/healthz", healthz), Route("/metrics", prometheus)]
    if console is not None:
        routes.append(Mount("/", console))
    return Starlette(routes=routes)


def health_server(host: str, port: int, metrics: Metrics, health: HealthState,
                  console: ASGIApp | None = None) -> ServerThread:
    """The endpoints on ``host:port``, not started yet (use as a context manager or ``start()``)."""
    try:
        return ServerThread(build_app(metrics, health, console), host, port)
    except OSError as exc:
        raise WorldError(f"health endpoint cannot listen on {host}:{port}: {exc.strerror} "
                         "(set service.health_port, 0 = off)") from exc


def serve_health(settings: ServiceSettings, metrics: Metrics, health: HealthState,
                 console: ASGIApp | None = None) -> ServerThread | None:
    """Start the endpoints as configured; None when ``health_port`` is 0. ``stop()`` when done."""
    if settings.health_port == 0:
        return None
    return health_server(settings.health_host, settings.health_port, metrics, health, console).start()
