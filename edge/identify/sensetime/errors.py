"""The SenseTime v1 API's documented statuses as typed errors.

An error answer is HTTP 4xx/5xx with ``{"status": "<STATUS>", "reason": "..."}`` (404/413/5xx
bodies may be empty or not JSON; then the HTTP status decides)::

    RemoteError
    └── SenseTimeError                 .status, .http_status, .reason
        ├── AuthError                  401 UNAUTHORIZED, 401 KEY_EXPIRED, 403 NO_PERMISSION
        ├── InvalidRequest             400 INVALID_ARGUMENT and every other INVALID_<X>
        │   ├── InvalidArgument        a parameter is missing or wrong (reason says which)
        │   ├── InvalidTask            unknown or expired task id (tasks live 24 h)
        │   └── InvalidId              unknown/expired face, person, group, faceset or image id
        ├── ImageError                 CORRUPT_IMAGE, INVALID_IMAGE_FORMAT_OR_SIZE,
        │                              DOWNLOAD_ERROR, DOWNLOAD_TIMEOUT, 413 IMAGE_FILE_SIZE_TOO_BIG
        ├── NotFound                   404 NOT_FOUND: no such API path
        ├── TaskFailed                 an asynchronous task ended "failed"
        └── Unavailable                also a BackendUnavailable: the cloud cannot answer now
            ├── RateLimitExceeded      403 RATE_LIMIT_EXCEEDED (and the reset did not come in time)
            ├── QuotaExceeded          403 QUOTA_EXCEEDED
            ├── InternalError          5xx INTERNAL_ERROR
            └── TaskPending            a 202 task was not done within the caller's deadline
"""

from __future__ import annotations

from edge.errors import BackendUnavailable, RemoteError


class SenseTimeError(RemoteError):
    """A documented status; ``code`` is the status string, e.g. ``INVALID_FACE_ID``."""

    default_status = "INTERNAL_ERROR"
    default_http_status = 500

    def __init__(self, status: str | None = None, reason: str = "", http_status: int | None = None) -> None:
        self.status = status or self.default_status
        self.http_status = http_status if http_status is not None else self.default_http_status
        self.reason = reason
        super().__init__(self.status, reason)


class AuthError(SenseTimeError):
    default_status, default_http_status = "UNAUTHORIZED", 401


class InvalidRequest(SenseTimeError):
    default_status, default_http_status = "INVALID_ARGUMENT", 400


class InvalidArgument(InvalidRequest):
    pass


class InvalidTask(InvalidRequest):
    default_status = "INVALID_TASK"


class InvalidId(InvalidRequest):
    default_status = "INVALID_FACE_ID"


class ImageError(SenseTimeError):
    default_status, default_http_status = "CORRUPT_IMAGE", 400


class NotFound(SenseTimeError):
    default_status, default_http_status = "NOT_FOUND", 404


class TaskFailed(SenseTimeError):
    default_status, default_http_status = "TASK_FAILED", 200


class Unavailable(SenseTimeError, BackendUnavailable):
    """The cloud cannot answer now; callers may fall back to another backend."""


class RateLimitExceeded(Unavailable):
    default_status, default_http_status = "RATE_LIMIT_EXCEEDED", 403


class QuotaExceeded(Unavailable):
    default_status, default_http_status = "QUOTA_EXCEEDED", 403


class InternalError(Unavailable):
    pass


class TaskPending(Unavailable):
    default_status, default_http_status = "TASK_PENDING", 202

    def __init__(self, task_id: str, task_status: str) -> None:
        self.task_id = task_id
        super().__init__(reason=f"task {task_id} still {task_status} at the deadline")


# Every status the document (and its SDKs) name, with its class and usual HTTP status.
STATUSES: dict[str, tuple[type[SenseTimeError], int]] = {
    "UNAUTHORIZED": (AuthError, 401),
    "KEY_EXPIRED": (AuthError, 401),
    "NO_PERMISSION": (AuthError, 403),
    "RATE_LIMIT_EXCEEDED": (RateLimitExceeded, 403),
    "QUOTA_EXCEEDED": (QuotaExceeded, 403),
    "NOT_FOUND": (NotFound, 404),
    "INTERNAL_ERROR": (InternalError, 500),
    "INVALID_ARGUMENT": (InvalidArgument, 400),
    "INVALID_TASK": (InvalidTask, 400),
    "INVALID_FACE_ID": (InvalidId, 400),
    "INVALID_PERSON_ID": (InvalidId, 400),
    "INVALID_GROUP_ID": (InvalidId, 400),
    "INVALID_FACESET_ID": (InvalidId, 400),
    "INVALID_IMAGE_ID": (InvalidId, 400),
    "CORRUPT_IMAGE": (ImageError, 400),
    "INVALID_IMAGE_FORMAT_OR_SIZE": (ImageError, 400),
    "DOWNLOAD_ERROR": (ImageError, 400),
    "DOWNLOAD_TIMEOUT": (ImageError, 400),
    "IMAGE_FILE_SIZE_TOO_BIG": (ImageError, 413),
}

_BY_HTTP_STATUS: dict[int, str] = {
    401: "UNAUTHORIZED", 403: "NO_PERMISSION", 404: "NOT_FOUND", 413: "IMAGE_FILE_SIZE_TOO_BIG",
}


def error_for(http_status: int, status: str | None, reason: str = "") -> SenseTimeError:
    """The typed error of an answer; ``status`` None when the body carried none (or no JSON)."""
    if not status:
        status = _BY_HTTP_STATUS.get(http_status, "INTERNAL_ERROR" if http_status >= 500 else
                                     "INVALID_ARGUMENT")
    status = status.upper()
    if status in STATUSES:
        cls = STATUSES[status][0]
    elif status.startswith("INVALID_"):
        cls = InvalidRequest
    else:
        cls = InternalError if http_status >= 500 else SenseTimeError
    return cls(status, reason, http_status)
