"""The SenseTime v1 API's documented statuses as typed errors.

An error answer is HTTP 4xx/5xx with ``{"status": "<STATUS>", "reason": "..."}`` (404/413/5xx
bodies may be empty or not JSON; then the HTTP status decides). :data:`STATUSES` is the one table
of them: the emulator answers from it and the client raises from it::

    RemoteError
    └── SenseTimeError                 .status, .http_status, .reason
        ├── AuthError                  401 UNAUTHORIZED, 401 KEY_EXPIRED, 403 NO_PERMISSION
        ├── InvalidRequest             400 INVALID_ARGUMENT and every other INVALID_<X>
        │   ├── InvalidArgument        a parameter is missing or wrong (reason says which)
        │   ├── InvalidTask            unknown or expired task id (tasks live 24 h)
        │   ├── InvalidId              INVALID_FACE, INVALID_FACE2, INVALID_PERSON, INVALID_GROUP,
        │   │                          INVALID_FACESET, INVALID_IMAGE: unknown or expired id
        │   └── EmptyTarget            EMPTY_PERSON, EMPTY_GROUP, EMPTY_FACESET: nothing to match
        ├── ImageError                 CORRUPT_IMAGE, INVALID_IMAGE_FORMAT_OR_SIZE,
        │                              DOWNLOAD_ERROR, DOWNLOAD_TIMEOUT, IMAGE_FILE_SIZE_TOO_BIG
        ├── NotFound                   404 NOT_FOUND: no such API path
        ├── TaskFailed                 an asynchronous task ended "failed"
        └── Unavailable                also a BackendUnavailable: the cloud cannot answer now
            ├── RateLimitExceeded      403 RATE_LIMIT_EXCEEDED (and the reset did not come in time)
            ├── QuotaExceeded          400 QUOTA_EXCEEDED
            ├── InternalError          5xx INTERNAL_ERROR
            └── TaskPending            a 202 task was not done within the caller's deadline
"""

from __future__ import annotations

from edge.errors import BackendUnavailable, RemoteError
from edge.identify.families import Documented, Family


class SenseTimeError(RemoteError):
    """A documented status; ``code`` is the status string, e.g. ``INVALID_FACE``."""

    default_status = "INTERNAL_ERROR"
    default_http_status = 500

    def __init__(self, status: str | None = None, reason: str = "", http_status: int | None = None) -> None:
        self.status = status or self.default_status
        self.http_status = http_status if http_status is not None else self.default_http_status
        self.reason = reason
        super().__init__(self.status, reason)

    @property
    def family(self) -> Family:
        """The status's family in :data:`STATUSES`; an undocumented status by its class."""
        documented = STATUSES.get(self.status)
        if documented is not None:
            return documented.family
        return Family.UNAVAILABLE if isinstance(self, BackendUnavailable) else Family.BAD_REQUEST


class AuthError(SenseTimeError):
    default_status, default_http_status = "UNAUTHORIZED", 401


class InvalidRequest(SenseTimeError):
    default_status, default_http_status = "INVALID_ARGUMENT", 400


class InvalidArgument(InvalidRequest):
    pass


class InvalidTask(InvalidRequest):
    default_status = "INVALID_TASK"


class InvalidId(InvalidRequest):
    default_status = "INVALID_FACE"


class EmptyTarget(InvalidRequest):
    """The person, group or faceset to match against holds no face."""

    default_status = "EMPTY_GROUP"


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
    default_status, default_http_status = "QUOTA_EXCEEDED", 400


class InternalError(Unavailable):
    pass


class TaskPending(Unavailable):
    default_status, default_http_status = "TASK_PENDING", 202

    def __init__(self, task_id: str, task_status: str) -> None:
        self.task_id = task_id
        super().__init__(reason=f"task {task_id} still {task_status} at the deadline")


def _status(error: type[SenseTimeError], family: Family, http_status: int, condition: str
            ) -> Documented[SenseTimeError]:
    return Documented(error, family, http_status, condition)


B, N, U, R, X = (Family.BAD_REQUEST, Family.NOT_FOUND, Family.UNAUTHORIZED, Family.RATE_LIMITED,
                 Family.UNAVAILABLE)

# Every status the document (and its SDKs) name: class, family, HTTP status, condition.
STATUSES: dict[str, Documented[SenseTimeError]] = {
    "UNAUTHORIZED": _status(AuthError, U, 401, "api_id or api_secret wrong or missing"),
    "KEY_EXPIRED": _status(AuthError, U, 401, "the account has expired (the emulator never says it)"),
    "NO_PERMISSION": _status(AuthError, U, 403, "no right to call this API (the emulator never says it)"),
    "RATE_LIMIT_EXCEEDED": _status(RateLimitExceeded, R, 403, "over the rate limit of the window"),
    "QUOTA_EXCEEDED": _status(QuotaExceeded, R, 400, "a quota (calls, persons, faces per person...) used up"),
    "NOT_FOUND": _status(NotFound, N, 404, "no API at that path or method"),
    "INTERNAL_ERROR": _status(InternalError, X, 500, "a fault of the server"),
    "INVALID_ARGUMENT": _status(InvalidArgument, B, 400, "a parameter missing or wrong, a malformed body"),
    "INVALID_TASK": _status(InvalidTask, N, 400, "task_id unknown or older than 24 h"),
    "INVALID_FACE": _status(InvalidId, N, 400, "face_id unknown, or expired (5 days) and not being removed"),
    "INVALID_FACE2": _status(InvalidId, N, 400, "face2_id of a verification unknown or expired"),
    "INVALID_PERSON": _status(InvalidId, N, 400, "person_id unknown"),
    "INVALID_GROUP": _status(InvalidId, N, 400, "group_id unknown"),
    "INVALID_FACESET": _status(InvalidId, N, 400, "faceset_id unknown"),
    "INVALID_IMAGE": _status(InvalidId, N, 400, "image_id unknown or expired (5 days)"),
    "EMPTY_PERSON": _status(EmptyTarget, N, 400, "verification against a person without faces"),
    "EMPTY_GROUP": _status(EmptyTarget, N, 400, "identification in a group without persons with faces"),
    "EMPTY_FACESET": _status(EmptyTarget, N, 400, "search in a faceset without faces"),
    "CORRUPT_IMAGE": _status(ImageError, B, 400, "not an image, or truncated"),
    "INVALID_IMAGE_FORMAT_OR_SIZE": _status(ImageError, B, 400, "width or height not in (8, 4000] px"),
    "DOWNLOAD_ERROR": _status(ImageError, B, 400, "the url could not be fetched"),
    "DOWNLOAD_TIMEOUT": _status(ImageError, B, 400, "the url did not answer in time"),
    "IMAGE_FILE_SIZE_TOO_BIG": _status(ImageError, B, 400, "image over 5 MB (a body over 8 MB is not read)"),
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
        cls = STATUSES[status].error
    elif status.startswith("INVALID_"):
        cls = InvalidRequest
    else:
        cls = InternalError if http_status >= 500 else SenseTimeError
    return cls(status, reason, http_status)
