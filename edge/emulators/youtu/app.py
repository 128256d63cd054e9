"""The emulator's Starlette app: ``POST /face/<action>``, answers in the documented envelope.

Every request is answered with ``{"code", "message", "data"}``: body problems, signature
problems and action errors with their seed codes, anything unexpected with 213 (internal
error, which clients retry) — never a bare 500 or a traceback. HTTP status 200 carries every
envelope except an unknown path (404) and a wrong method (405).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from edge.config.settings import Settings
from edge.emulators.body import BodyLimits, BoundedBody, Refusal
from edge.emulators.fetch import FetchError, FetchFailure, UrlFetcher
from edge.emulators.youtu.engine import VisionEngine
from edge.emulators.youtu.params import Params
from edge.emulators.youtu.ratelimit import RateLimit
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store
from edge.identify.thresholds import FarTable
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE
from edge.identify.youtu.errors import YoutuError, error_for
from edge.identify.youtu.signature import SignatureVerifier
from edge.log import register_secret

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 10.0


def envelope(code: int, message: str, data: object = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": data or {}}, status_code=status)


def refuse(reason: Refusal, limits: BodyLimits) -> JSONResponse:
    """A body that was not read: 23 over the limit, 3 when it stalled."""
    if reason is Refusal.TOO_LARGE:
        return envelope(23, f"request body over {limits.max_bytes} bytes")
    return envelope(3, "bad request: the request body did not arrive in time")


def create_app(
    service: YoutuService, verifier: SignatureVerifier, rate_limit: RateLimit | None = None,
    url_allow: tuple[str, ...] = (),
) -> ASGIApp:
    """The app behind :class:`BoundedBody`; with ``rate_limit``, requests beyond it are answered
    15 (before any work)."""
    max_bytes = service.limits.max_body_bytes
    fetcher = UrlFetcher(max_bytes, DOWNLOAD_TIMEOUT_S, url_allow)

    async def download(url: str) -> bytes:
        """The image behind a ``url`` field (-1308 if it cannot be had, 23 if too large)."""
        try:
            return await run_in_threadpool(fetcher.fetch, url)
        except FetchError as exc:
            raise error_for(23 if exc.failure is FetchFailure.TOO_LARGE else -1308, str(exc)) from None

    async def face_action(request: Request) -> JSONResponse:
        action = request.path_params["action"]
        handler = service.actions.get(action)
        if handler is None:
            return envelope(3, f"unknown action {action!r}", status=404)
        if rate_limit is not None and not rate_limit.allow():
            return envelope(15, "too many requests")
        try:
            params = await Params.parse(request, await request.body())
            verifier.verify(request.headers.get("authorization"), params.appid())
            await params.download_urls(download)
            data = await run_in_threadpool(handler, params)
        except YoutuError as exc:
            log.info("youtu %s -> %s", action, exc.code)
            return envelope(int(exc.code), exc.message, exc.data)
        except Exception as exc:  # the API's boundary: whatever broke, the client gets the envelope
            log.error("youtu %s: unexpected %s", action, type(exc).__name__)
            return envelope(213, "internal error")
        log.info("youtu %s -> 0", action)
        answer = data.model_dump()
        if "session_id" in answer:  # every answer that documents it echoes the caller's
            answer["session_id"] = params.session_id() or answer["session_id"]
        return envelope(0, "OK", answer)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        return envelope(3, "bad request: use POST /face/<action>", status=status)

    app = Starlette(
        routes=[Route("/face/{action}", face_action, methods=["POST"])],
        exception_handlers={HTTPException: http_error},
    )
    return BoundedBody(app, BodyLimits(max_bytes), refuse)


def build(
    settings: Settings,
    data_dir: Path,
    appid: str,
    keys: Mapping[str, str],
    persons_per_group: int = Limits.persons_per_group,
    max_requests_per_s: float = 0.0,
    bucket: str | None = None,
    url_allow: tuple[str, ...] = (),
) -> ASGIApp:
    """The app with real vision, the documented score table and its state under ``data_dir``;
    with ``bucket``, signatures naming another one are refused (16)."""
    for secret_key in keys.values():
        register_secret(secret_key)
    engine = VisionEngine.shipped(settings.vision, FarTable.from_pairs("0-100", YOUTU_DEFAULT_TABLE))
    store = Store(data_dir / "youtu.sqlite")
    service = YoutuService(store, engine, Limits(persons_per_group=persons_per_group))
    rate_limit = RateLimit(max_requests_per_s) if max_requests_per_s > 0 else None
    verifier = SignatureVerifier(appid, keys, first_use=store.first_use, bucket=bucket)
    return create_app(service, verifier, rate_limit, url_allow)
