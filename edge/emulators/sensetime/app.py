"""The emulator's HTTP face: routes, the rate limit on every answer, credentials, quotas.

Every answer is JSON and carries ``X-RateLimit-*``; every failure is a documented status with a
``reason`` (an unexpected fault is a 500 ``INTERNAL_ERROR``, logged without request data).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from edge.emulators.body import BodyLimits, BoundedBody, Refusal
from edge.emulators.fetch import FetchError, FetchFailure, UrlFetcher
from edge.emulators.sensetime.engine import FaceEngine
from edge.emulators.sensetime.limiter import FixedWindow
from edge.emulators.sensetime.manage import Management
from edge.emulators.sensetime.params import MAX_BODY_BYTES, Params, api_error, invalid, read_params
from edge.emulators.sensetime.service import Answer, SenseTimeService
from edge.emulators.sensetime.settings import EmulatorSettings
from edge.emulators.sensetime.store import Store
from edge.identify.sensetime.errors import SenseTimeError

log = logging.getLogger(__name__)

Handler = Callable[[Params], Answer]


def create_app(settings: EmulatorSettings, engine: FaceEngine,
               clock: Callable[[], float] = time.time) -> ASGIApp:
    """The whole v1 document on one Starlette app behind :class:`BoundedBody`, state in
    ``settings.data_dir``."""
    store = Store(settings.data_dir / "sensetime.sqlite")
    service = SenseTimeService(store, engine, settings, clock)
    manage = Management(service)
    window = FixedWindow(settings.rate_limit, clock)
    fetcher = UrlFetcher(settings.max_file_bytes, settings.download_timeout_s, settings.url_allow)

    def answer(status: int, body: dict[str, object], headers: dict[str, str]) -> JSONResponse:
        return JSONResponse(body, status, headers=headers)

    def authenticate(params: Params) -> None:
        api_id, api_secret = params.values.get("api_id"), params.values.get("api_secret")
        if not (isinstance(api_id, str) and isinstance(api_secret, str)
                and hmac.compare_digest(api_id.encode(), settings.api_id.encode())
                and hmac.compare_digest(api_secret.encode(), settings.api_secret.encode())):
            raise api_error("UNAUTHORIZED", "api_id or api_secret is wrong or missing")

    def endpoint(
        handler: Callable[[Params], Awaitable[Answer]],
    ) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def respond(request: Request) -> JSONResponse:
            allowed, headers = window.take()
            try:
                if not allowed:
                    raise api_error("RATE_LIMIT_EXCEEDED", f"over {settings.rate_limit}")
                params = await read_params(request)
                authenticate(params)
                await run_in_threadpool(service.count_call)
                status, body = await handler(params)
            except SenseTimeError as exc:
                status, body = exc.http_status, {"status": exc.status, "reason": exc.reason}
            except Exception:  # a fault of the emulator: answer like the API, keep serving
                log.exception("sensetime emulator: %s failed", request.url.path)
                status, body = 500, {"status": "INTERNAL_ERROR", "reason": "internal error"}
            return answer(status, body, headers)

        return respond

    def sync(handler: Handler) -> Callable[[Params], Awaitable[Answer]]:
        async def run(params: Params) -> Answer:
            return await run_in_threadpool(handler, params)

        return run

    async def detection(params: Params) -> Answer:
        data = params.file
        if data is None:
            url = params.text("url", required=False)
            if url is None:
                raise invalid("missing argument: file or url")
            data = await download(url, fetcher)
        return await run_in_threadpool(service.detection, params, data)

    def refuse(reason: Refusal, limits: BodyLimits) -> JSONResponse:
        """A body that was not read: too large, or stalled (a call like any other)."""
        _, headers = window.take()
        if reason is Refusal.TOO_LARGE:
            error = api_error("IMAGE_FILE_SIZE_TOO_BIG", f"request body over {limits.max_bytes} bytes")
        else:
            error = invalid("the request body did not arrive in time")
        return answer(error.http_status, {"status": error.status, "reason": error.reason}, headers)

    async def not_found(request: Request) -> JSONResponse:
        _, headers = window.take()
        return answer(404, {"status": "NOT_FOUND", "reason": f"no API at {request.url.path}"}, headers)

    info: dict[str, Handler] = {
        "api": service.info_api, "task": service.info_task, "image": service.info_image,
        "face": service.info_face, "list_persons": service.list_persons,
        "list_groups": service.list_groups, "list_facesets": service.list_facesets,
        "person": service.info_person, "group": service.info_group, "faceset": service.info_faceset,
    }
    posts: dict[str, Handler] = {
        "/face/verification": service.verification, "/face/search": service.search,
        "/face/identification": service.identification, "/face/training": service.training,
        "/person/create": manage.person_create, "/person/delete": manage.person_delete,
        "/person/add_face": manage.person_add_face, "/person/remove_face": manage.person_remove_face,
        "/person/change": partial(manage.change, "person"),
        "/group/create": manage.group_create, "/group/delete": partial(manage.delete, "group"),
        "/group/add_person": manage.group_add_person,
        "/group/remove_person": manage.group_remove_person,
        "/group/change": partial(manage.change, "group"),
        "/faceset/create": manage.faceset_create, "/faceset/delete": partial(manage.delete, "faceset"),
        "/faceset/add_face": manage.faceset_add_face,
        "/faceset/remove_face": manage.faceset_remove_face,
        "/faceset/change": partial(manage.change, "faceset"),
    }
    routes = [Route(f"/info/{name}", endpoint(sync(h)), methods=["GET", "POST"])
              for name, h in info.items()]
    routes += [Route(path, endpoint(sync(h)), methods=["POST"]) for path, h in posts.items()]
    routes += [
        Route("/face/detection", endpoint(detection), methods=["POST"]),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    return BoundedBody(Starlette(routes=routes, lifespan=lifespan), BodyLimits(MAX_BODY_BYTES), refuse)


DOWNLOAD_STATUSES = {
    FetchFailure.REFUSED: "INVALID_ARGUMENT", FetchFailure.TOO_LARGE: "IMAGE_FILE_SIZE_TOO_BIG",
    FetchFailure.TIMEOUT: "DOWNLOAD_TIMEOUT", FetchFailure.FAILED: "DOWNLOAD_ERROR",
}


async def download(url: str, fetcher: UrlFetcher) -> bytes:
    """The image at ``url``: DOWNLOAD_TIMEOUT / DOWNLOAD_ERROR / IMAGE_FILE_SIZE_TOO_BIG, and
    INVALID_ARGUMENT for what is no http(s) URL of an allowed host."""
    try:
        return await run_in_threadpool(fetcher.fetch, url)
    except FetchError as exc:
        raise api_error(DOWNLOAD_STATUSES[exc.failure], str(exc)) from None
