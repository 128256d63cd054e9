"""Client of the SenseTime face API v1 (seed 004) over httpx.

Every call carries ``api_id``/``api_secret``, added by :class:`.auth.SenseTimeCredentials`: POSTs
in the form body (multipart when a file is uploaded), GETs in the query string as the API requires;
httpx's request log line is masked so the secret never reaches a log. One deadline covers a whole
call: waiting for a rate-limit window, retrying after ``403 RATE_LIMIT_EXCEEDED``, and polling
``/info/task`` after a ``202``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from edge.errors import BackendUnavailable
from edge.identify.sensetime.auth import SenseTimeCredentials
from edge.identify.sensetime.errors import (
    RateLimitExceeded,
    SenseTimeError,
    TaskFailed,
    TaskPending,
    error_for,
)
from edge.identify.sensetime.quirks import as_float, is_ok
from edge.identify.sensetime.results import (
    ApiInfo,
    Candidate,
    FaceInfo,
    Faceset,
    Group,
    ImageInfo,
    Person,
    SearchHit,
    TaskInfo,
    Verification,
)

DEFAULT_BASE_URL = "https://v1-api.visioncloudapi.com"
_RETRY_AFTER_S = 1.0  # a 403 RATE_LIMIT_EXCEEDED without an X-RateLimit-Reset header

Params = Mapping[str, str | int | float | bool | Iterable[str] | None]


class _MaskCredentials(logging.Filter):
    """httpx logs every request URL at INFO; a GET's URL carries ``api_secret``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                a.copy_set_param("api_secret", "***") if isinstance(a, httpx.URL) and
                "api_secret" in a.params else a
                for a in record.args
            )
        return True


def _install_log_mask() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskCredentials) for f in httpx_logger.filters):
        httpx_logger.addFilter(_MaskCredentials())


_install_log_mask()


def _encode(params: Params) -> dict[str, str]:
    """Form/query values: lists comma-separated, flags 1/0, absent values left out."""
    encoded = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        elif isinstance(value, str | int | float):
            encoded[key] = str(value)
        else:
            encoded[key] = ",".join(value)
    return encoded


@dataclass
class _Window:
    """What the last ``X-RateLimit-*`` headers said (``reset_at`` on the monotonic clock)."""

    remaining: int | None = None
    reset_at: float = 0.0


class SenseTimeClient:
    """The whole v1 document. Methods raise :mod:`.errors` types; ``timeout_s`` is per call."""

    def __init__(
        self,
        api_id: str,
        api_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 5.0,
        poll_interval_s: float = 0.2,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self._clock = clock
        self._sleep = sleep
        self._window = _Window()
        self._http = httpx.Client(base_url=base_url.rstrip("/"),
                                  auth=SenseTimeCredentials(api_id, api_secret), transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SenseTimeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- mechanics -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        file: bytes | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """One API call to its final answer: rate-limit waits and 202 polling included."""
        deadline = self._clock() + (timeout_s if timeout_s is not None else self.timeout_s)
        status, body = self._exchange(method, path, params or {}, file, deadline)
        if status == 202:
            return self._await_task(str(body.get("task_id", "")), str(body.get("task_status", "pending")),
                                    deadline)
        return body

    def _exchange(
        self, method: str, path: str, params: Params, file: bytes | None, deadline: float
    ) -> tuple[int, dict[str, Any]]:
        """Send until the answer is not RATE_LIMIT_EXCEEDED; return (HTTP status, OK body)."""
        while True:
            self._await_window(deadline)
            response = self._send(method, path, params, file, deadline)
            self._note_window(response)
            body = _json_body(response)
            if response.status_code in (200, 202) and body is not None and is_ok(body.get("status")):
                return response.status_code, body
            status = body.get("status") if body else None
            reason = str(body.get("reason", "")) if body else ""
            error = error_for(response.status_code, str(status) if status else None, reason)
            if not isinstance(error, RateLimitExceeded):
                raise error
            if self._window.remaining != 0 or self._window.reset_at <= self._clock():
                self._window = _Window(0, self._clock() + _RETRY_AFTER_S)
            if self._window.reset_at > deadline:
                raise error  # retried only if the window resets within the caller's deadline

    def _send(
        self, method: str, path: str, params: Params, file: bytes | None, deadline: float
    ) -> httpx.Response:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise BackendUnavailable(f"SenseTime {path}: deadline passed")
        fields = _encode(params)
        try:
            if method == "GET":
                return self._http.get(path, params=fields, timeout=remaining)
            files = {"file": ("image.jpg", file, "image/jpeg")} if file is not None else None
            return self._http.post(path, data=fields, files=files, timeout=remaining)
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(f"SenseTime {path}: timed out") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"SenseTime {path}: {type(exc).__name__}") from exc

    def _await_window(self, deadline: float) -> None:
        """Wait for the reset of an exhausted window rather than hammering the API."""
        if self._window.remaining is None or self._window.remaining > 0:
            return
        wait = self._window.reset_at - self._clock()
        if wait <= 0:
            return
        if self._clock() + wait > deadline:
            raise RateLimitExceeded(reason=f"rate limit resets in {wait:.1f} s, after the deadline")
        self._sleep(wait)
        self._window = _Window()

    def _note_window(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        try:
            if remaining is not None:
                reset_s = as_float(reset, _RETRY_AFTER_S)
                self._window = _Window(int(as_float(remaining)), self._clock() + reset_s)
        except ValueError:
            self._window = _Window()

    def _await_task(self, task_id: str, task_status: str, deadline: float) -> dict[str, Any]:
        """Poll ``/info/task`` until the task is done or failed, or the deadline passes."""
        task = TaskInfo(task_id, task_status)
        while task.task_status not in ("done", "failed"):
            self._sleep(max(0.0, min(self.poll_interval_s, deadline - self._clock())))
            if self._clock() >= deadline:
                raise TaskPending(task_id, task.task_status)
            try:
                _, body = self._exchange("GET", "/info/task", {"task_id": task_id}, None, deadline)
            except BackendUnavailable as exc:
                if isinstance(exc, SenseTimeError) or self._clock() < deadline:
                    raise
                raise TaskPending(task_id, task.task_status) from exc  # the poll ran into the deadline
            task = TaskInfo.from_json(body)
        return _task_outcome(task)

    # ---- /info -----------------------------------------------------------------------------

    def info_api(self, *, timeout_s: float | None = None) -> ApiInfo:
        return ApiInfo.from_json(self._call("GET", "/info/api", timeout_s=timeout_s))

    def info_task(self, task_id: str, *, timeout_s: float | None = None) -> TaskInfo:
        return TaskInfo.from_json(self._call("GET", "/info/task", {"task_id": task_id}, timeout_s=timeout_s))

    def wait_task(self, task_id: str, *, timeout_s: float | None = None) -> dict[str, Any]:
        """The result of a task (e.g. one a :class:`TaskPending` named), polling until done."""
        deadline = self._clock() + (timeout_s if timeout_s is not None else self.timeout_s)
        return self._await_task(task_id, "pending", deadline)

    def info_image(self, image_id: str, *, with_faces: bool = False) -> ImageInfo:
        body = self._call("GET", "/info/image", {"image_id": image_id, "with_faces": with_faces})
        return ImageInfo.from_json(body)

    def info_face(self, face_id: str, *, with_image: bool = False) -> FaceInfo:
        body = self._call("GET", "/info/face", {"face_id": face_id, "with_image": with_image})
        return FaceInfo.from_json(body)

    def list_persons(self) -> list[Person]:
        return [Person.from_json(p) for p in self._call("GET", "/info/list_persons").get("persons") or []]

    def list_groups(self) -> list[Group]:
        return [Group.from_json(g) for g in self._call("GET", "/info/list_groups").get("groups") or []]

    def list_facesets(self) -> list[Faceset]:
        body = self._call("GET", "/info/list_facesets")
        return [Faceset.from_json(f) for f in body.get("facesets") or []]

    def info_person(self, person_id: str) -> Person:
        return Person.from_json(self._call("GET", "/info/person", {"person_id": person_id}))

    def info_group(self, group_id: str) -> Group:
        return Group.from_json(self._call("GET", "/info/group", {"group_id": group_id}))

    def info_faceset(self, faceset_id: str) -> Faceset:
        return Faceset.from_json(self._call("GET", "/info/faceset", {"faceset_id": faceset_id}))

    # ---- /face -----------------------------------------------------------------------------

    def detect(
        self,
        image: bytes | None = None,
        *,
        url: str | None = None,
        user_data: str | None = None,
        timeout_s: float | None = None,
    ) -> ImageInfo:
        """Faces of an uploaded image (``image``) or of one the API downloads (``url``)."""
        if (image is None) == (url is None):
            raise ValueError("detect needs exactly one of image or url")
        body = self._call("POST", "/face/detection", {"url": url, "user_data": user_data}, file=image,
                          timeout_s=timeout_s)
        return ImageInfo.from_json(body)

    def verify_faces(self, face_id: str, face2_id: str, *, timeout_s: float | None = None) -> Verification:
        body = self._call("POST", "/face/verification", {"face_id": face_id, "face2_id": face2_id},
                          timeout_s=timeout_s)
        return Verification.from_json(body)

    def verify_person(self, face_id: str, person_id: str, *, timeout_s: float | None = None) -> Verification:
        body = self._call("POST", "/face/verification", {"face_id": face_id, "person_id": person_id},
                          timeout_s=timeout_s)
        return Verification.from_json(body)

    def search(
        self,
        face_id: str,
        *,
        face_ids: Iterable[str] | None = None,
        faceset_id: str | None = None,
        top: int = 3,
        timeout_s: float | None = None,
    ) -> list[SearchHit]:
        """The most similar faces among ``face_ids`` or a faceset (``top`` 1-10)."""
        params = {"face_id": face_id, "face_ids": face_ids, "faceset_id": faceset_id, "top": top}
        body = self._call("POST", "/face/search", params, timeout_s=timeout_s)
        return [SearchHit.from_json(c) for c in body.get("candidates") or []]

    def identify(
        self, face_id: str, group_id: str, *, top: int = 2, timeout_s: float | None = None
    ) -> list[Candidate]:
        """The group's persons above 0.6, best first (``top`` 1-5)."""
        body = self._call("POST", "/face/identification",
                          {"face_id": face_id, "group_id": group_id, "top": top}, timeout_s=timeout_s)
        candidates = [Candidate.from_json(c) for c in body.get("candidates") or []]
        return sorted(candidates, key=lambda c: c.confidence, reverse=True)

    def train(
        self,
        *,
        face_ids: Iterable[str] = (),
        person_ids: Iterable[str] = (),
        faceset_ids: Iterable[str] = (),
        group_ids: Iterable[str] = (),
        timeout_s: float | None = None,
    ) -> None:
        params = {"face_id": list(face_ids), "person_id": list(person_ids),
                  "faceset_id": list(faceset_ids), "group_id": list(group_ids)}
        self._call("POST", "/face/training", {k: v for k, v in params.items() if v}, timeout_s=timeout_s)

    # ---- /person, /group, /faceset ---------------------------------------------------------

    def person_create(self, name: str, face_ids: Iterable[str] = (), user_data: str | None = None) -> str:
        body = self._call("POST", "/person/create",
                          {"name": name, "face_id": list(face_ids) or None, "user_data": user_data})
        return str(body["person_id"])

    def person_delete(self, person_id: str) -> None:
        self._call("POST", "/person/delete", {"person_id": person_id})

    def person_add_face(self, person_id: str, face_ids: Iterable[str]) -> None:
        self._call("POST", "/person/add_face", {"person_id": person_id, "face_id": list(face_ids)})

    def person_remove_face(self, person_id: str, face_ids: Iterable[str]) -> None:
        self._call("POST", "/person/remove_face", {"person_id": person_id, "face_id": list(face_ids)})

    def person_change(self, person_id: str, *, name: str | None = None, user_data: str | None = None) -> None:
        self._call("POST", "/person/change", {"person_id": person_id, "name": name, "user_data": user_data})

    def group_create(self, name: str, person_ids: Iterable[str] = (), user_data: str | None = None) -> str:
        body = self._call("POST", "/group/create",
                          {"name": name, "person_id": list(person_ids) or None, "user_data": user_data})
        return str(body["group_id"])

    def group_delete(self, group_id: str) -> None:
        self._call("POST", "/group/delete", {"group_id": group_id})

    def group_add_person(self, group_id: str, person_ids: Iterable[str]) -> None:
        self._call("POST", "/group/add_person", {"group_id": group_id, "person_id": list(person_ids)})

    def group_remove_person(self, group_id: str, person_ids: Iterable[str]) -> None:
        self._call("POST", "/group/remove_person", {"group_id": group_id, "person_id": list(person_ids)})

    def group_change(self, group_id: str, *, name: str | None = None, user_data: str | None = None) -> None:
        self._call("POST", "/group/change", {"group_id": group_id, "name": name, "user_data": user_data})

    def faceset_create(self, name: str, face_ids: Iterable[str] = (), user_data: str | None = None) -> str:
        body = self._call("POST", "/faceset/create",
                          {"name": name, "face_id": list(face_ids) or None, "user_data": user_data})
        return str(body["faceset_id"])

    def faceset_delete(self, faceset_id: str) -> None:
        self._call("POST", "/faceset/delete", {"faceset_id": faceset_id})

    def faceset_add_face(self, faceset_id: str, face_ids: Iterable[str]) -> None:
        self._call("POST", "/faceset/add_face", {"faceset_id": faceset_id, "face_id": list(face_ids)})

    def faceset_remove_face(self, faceset_id: str, face_ids: Iterable[str]) -> None:
        self._call("POST", "/faceset/remove_face", {"faceset_id": faceset_id, "face_id": list(face_ids)})

    def faceset_change(
        self, faceset_id: str, *, name: str | None = None, user_data: str | None = None
    ) -> None:
        self._call("POST", "/faceset/change",
                   {"faceset_id": faceset_id, "name": name, "user_data": user_data})


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of an answer, or None (404/413/5xx bodies may be empty or HTML)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _task_outcome(task: TaskInfo) -> dict[str, Any]:
    """A done task's original result; a failed one's error (its result may carry a status)."""
    result = task.result or {}
    if task.task_status == "done":
        return result
    if result.get("status") and not is_ok(result.get("status")):
        raise error_for(200, str(result["status"]), str(result.get("reason", "")))
    raise TaskFailed(reason=f"task {task.task_id} {task.task_status}")

