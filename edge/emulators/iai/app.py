"""The local IAI server: one signed POST per action, every answer in the envelope with HTTP 200.

Order of checks, as the service does: the request's form (method, size, action header), the
TC3 signature, the rate limit, the JSON body, then the action. Whatever goes wrong is answered
``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``; an unexpected failure is logged
and answered ``InternalError``, never a 500 or a traceback.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from edge.emulators.body import BodyLimits, BoundedBody, MalformedBody, Refusal, json_object
from edge.emulators.fetch import UrlFetcher
from edge.emulators.iai import analysis, attributes, groups, live, matching, people, signing, versions
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.images import MAX_URL_IMAGE_BYTES
from edge.emulators.iai.ratelimit import TokenBucket
from edge.emulators.iai.scoring import Scorer
from edge.emulators.iai.service import Analyzer, Service
from edge.emulators.iai.store import Store
from edge.vision.config import VisionSettings

log = logging.getLogger(__name__)

API_VERSION = "2020-03-03"
MAX_BODY_BYTES = 10 * 1024 * 1024  # a 5 MB base64 image per field, two for CompareFace
DB_FILE = "iai.sqlite"
URL_TIMEOUT_S = 10.0  # the whole download of an image named by Url

Action = Callable[[Service, dict[str, Any]], dict[str, Any]]

ACTIONS: dict[str, Action] = {
    "CreateGroup": people.create_group,
    "GetGroupList": people.get_group_list,
    "CreatePerson": people.create_person,
    "CopyPerson": people.copy_person,
    "CreateFace": people.create_face,
    "DeleteFace": people.delete_face,
    "DeletePerson": people.delete_person,
    "GetPersonList": people.get_person_list,
    "GetPersonBaseInfo": people.get_person_base_info,
    "GetGroupInfo": groups.get_group_info,
    "ModifyGroup": groups.modify_group,
    "DeleteGroup": groups.delete_group,
    "GetPersonListNum": groups.get_person_list_num,
    "GetPersonGroupInfo": groups.get_person_group_info,
    "ModifyPersonBaseInfo": groups.modify_person_base_info,
    "ModifyPersonGroupInfo": groups.modify_person_group_info,
    "DeletePersonFromGroup": groups.delete_person_from_group,
    "SearchFaces": matching.search_faces,
    "SearchFacesReturnsByGroup": matching.search_faces_by_group,
    "SearchPersons": matching.search_persons,
    "SearchPersonsReturnsByGroup": matching.search_persons_by_group,
    "VerifyFace": matching.verify_face,
    "VerifyPerson": matching.verify_person,
    "CompareFace": matching.compare_face,
    "CompareMaskFace": matching.compare_mask_face,
    "DetectFaceSimilarity": matching.detect_face_similarity,
    "DetectFace": matching.detect_face,
    "AnalyzeFace": analysis.analyze_face,
    "AnalyzeDenseLandmarks": analysis.analyze_dense_landmarks,
    "DetectFaceAttributes": attributes.detect_face_attributes,
    "DetectLiveFaceAccurate": live.detect_live_face_accurate,
    "UpgradeGroupFaceModelVersion": versions.upgrade_group_face_model_version,
    "GetUpgradeGroupFaceModelVersionResult": versions.get_upgrade_group_face_model_version_result,
    "GetUpgradeGroupFaceModelVersionJobList": versions.get_upgrade_group_face_model_version_job_list,
    "RevertGroupFaceModelVersion": versions.revert_group_face_model_version,
}


def envelope(payload: dict[str, Any]) -> JSONResponse:
    """HTTP 200 and ``Content-Type: application/json`` exactly: the SDK looks for errors only then."""
    return JSONResponse({"Response": {**payload, "RequestId": str(uuid.uuid4())}})


def error(code: str, message: str) -> JSONResponse:
    return envelope({"Error": {"Code": code, "Message": message}})


def refuse(reason: Refusal, limits: BodyLimits) -> JSONResponse:
    """A body that was not read: too large, or stalled."""
    if reason is Refusal.TOO_LARGE:
        return error("RequestSizeLimitExceeded", f"The request body exceeds {limits.max_bytes} bytes.")
    return error("InvalidParameter", "The request body did not arrive in time.")


def _params(body: bytes) -> dict[str, Any]:
    try:
        return json_object(body)
    except MalformedBody as exc:
        raise ApiError("InvalidParameter", f"{exc}.") from None


class IaiServer:
    """The Starlette app and what it serves; ``secrets`` maps SecretId -> SecretKey. Models that
    only some actions need (face mesh, texture PAD) are loaded on first use from ``vision``."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        data_dir: Path,
        analyzer: Analyzer,
        scorer: Scorer,
        *,
        rate_limit: float | None = None,
        clock: Callable[[], float] = time.time,
        url_allow: Sequence[str] = (),
        vision: VisionSettings | None = None,
    ) -> None:
        self.secrets = dict(secrets)
        fetcher = UrlFetcher(MAX_URL_IMAGE_BYTES, URL_TIMEOUT_S, tuple(url_allow))
        store = Store(data_dir / DB_FILE)
        self.service = Service(store, analyzer, scorer, fetcher, vision or VisionSettings())
        self.limiter = TokenBucket(rate_limit) if rate_limit else None
        self.clock = clock
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
        routes = [Route("/{path:path}", self.handle, methods=methods)]
        self.app: ASGIApp = BoundedBody(Starlette(routes=routes), BodyLimits(MAX_BODY_BYTES), refuse)

    def close(self) -> None:
        self.service.store.close()

    async def handle(self, request: Request) -> JSONResponse:
        action = request.headers.get("x-tc-action", "")
        started = time.monotonic()
        try:
            payload = await self._answer(request, action)
        except ApiError as exc:
            log.info("iai %s -> %s (%.0f ms)", action or "-", exc.code, 1000 * (time.monotonic() - started))
            return error(exc.code, exc.message)
        except Exception:  # the envelope, never a 500
            log.exception("iai %s failed", action or "-")
            return error("InternalError", "An internal error occurred.")
        log.info("iai %s -> ok (%.0f ms)", action, 1000 * (time.monotonic() - started))
        return envelope(payload)

    async def _answer(self, request: Request, action: str) -> dict[str, Any]:
        if request.method != "POST":
            raise ApiError("UnsupportedProtocol", "Only POST with a JSON body is supported.")
        body = await request.body()
        secret_id = signing.verify(
            request.method,
            request.url.path,
            request.url.query,
            {k.lower(): v for k, v in request.headers.items()},
            body,
            self.secrets.get,
            now=self.clock(),
        )
        if self.limiter and not self.limiter.allow(secret_id):
            raise ApiError("RequestLimitExceeded", "The request rate exceeds the limit.")
        if not action:
            raise ApiError("MissingParameter", "The X-TC-Action header is missing.")
        handler = ACTIONS.get(action)
        if handler is None:
            raise ApiError("InvalidAction", f"The action {action!r} does not exist.")
        version = request.headers.get("x-tc-version", "")
        if version != API_VERSION:
            raise ApiError("NoSuchVersion", f"The API version {version!r} is not {API_VERSION}.")
        params = _params(body)
        return await run_in_threadpool(handler, self.service, params)


def build(
    vision: VisionSettings, data_dir: Path, secrets: Mapping[str, str], *, rate_limit: float | None = None,
    url_allow: Sequence[str] = (),
) -> IaiServer:
    """The server on the appliance's vision core and its descriptor's calibration; ``Url`` images
    only from ``url_allow`` hosts when given (:class:`edge.emulators.fetch.UrlFetcher`)."""
    from edge.identify.local.calibration import load_calibration
    from edge.vision.pipeline import FaceAnalyzer

    scorer = Scorer(load_calibration(None, vision))
    return IaiServer(secrets, data_dir, FaceAnalyzer(vision), scorer, rate_limit=rate_limit,
                     url_allow=url_allow, vision=vision)
