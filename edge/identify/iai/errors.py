"""IAI's documented error codes as typed errors, and the SDK's exceptions turned into them.

    RemoteError
    └── IaiError                     any code the service answered with
        ├── AuthFailed               AuthFailure.* (wrong key, unknown id, stale clock)
        ├── InvalidRequest           InvalidParameter*, MissingParameter*, UnknownParameter
        ├── ImageRejected            not decodable, too small, too large, poor quality
        │   └── NoFace               no face in the image
        ├── GroupNotFound            a group id that does not exist
        ├── GroupExists
        ├── EmptyGallery             the groups searched hold no face
        ├── PersonNotFound
        ├── PersonExists
        ├── AccountUnavailable       ResourceUnavailable.* (arrears, frozen, not enabled)
        ├── RateLimited              RequestLimitExceeded  (also a BackendUnavailable)
        └── ServiceFailed            InternalError, server-side failures (also a BackendUnavailable)

Rate limits and server failures are transient: they are also :class:`BackendUnavailable`, so
the service's failover and circuit breaker treat them like a timeout.
"""

from __future__ import annotations

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from edge.errors import BackendUnavailable, EdgeError, RemoteError
from edge.identify.families import Family


class IaiError(RemoteError):
    """The IAI service answered with an error code; ``family`` by class (:mod:`edge.identify.families`)."""

    family = Family.BAD_REQUEST


class AuthFailed(IaiError):
    family = Family.UNAUTHORIZED


class InvalidRequest(IaiError):
    pass


class ImageRejected(IaiError):
    pass


class NoFace(ImageRejected):
    pass


class GroupNotFound(IaiError):
    family = Family.NOT_FOUND


class GroupExists(IaiError):
    pass


class EmptyGallery(IaiError):
    family = Family.NOT_FOUND


class PersonNotFound(IaiError):
    family = Family.NOT_FOUND


class PersonExists(IaiError):
    pass


class AccountUnavailable(IaiError):
    family = Family.UNAVAILABLE


class RateLimited(IaiError, BackendUnavailable):
    family = Family.RATE_LIMITED


class ServiceFailed(IaiError, BackendUnavailable):
    family = Family.UNAVAILABLE


_BY_CODE: dict[str, type[IaiError]] = {
    "InvalidParameterValue.NoFaceInPhoto": NoFace,
    "FailedOperation.ImageFacedetectFailed": NoFace,
    "FailedOperation.LifePhotoDetectNoFaces": NoFace,
    "FailedOperation.ImageDecodeFailed": ImageRejected,
    "FailedOperation.ImageDownloadError": ImageRejected,
    "FailedOperation.ImageResolutionExceed": ImageRejected,
    "FailedOperation.ImageResolutionTooSmall": ImageRejected,
    "FailedOperation.ImageSizeExceed": ImageRejected,
    "FailedOperation.FaceQualityNotQualified": ImageRejected,
    "FailedOperation.FaceSizeTooSmall": ImageRejected,
    "InvalidParameterValue.ImageEmpty": ImageRejected,
    "InvalidParameterValue.ImageEmptyError": ImageRejected,
    "InvalidParameterValue.GroupIdNotExist": GroupNotFound,
    "InvalidParameterValue.GroupIdNotExists": GroupNotFound,
    "InvalidParameterValue.GroupIdAlreadyExist": GroupExists,
    "InvalidParameterValue.GroupNameAlreadyExist": GroupExists,
    "InvalidParameterValue.NoFaceInGroups": EmptyGallery,
    "InvalidParameterValue.PersonIdNotExist": PersonNotFound,
    "InvalidParameterValue.PersonIdAlreadyExist": PersonExists,
    "InvalidParameterValue.PersonExistInGroup": PersonExists,
    "FailedOperation.GroupPersonMapExist": PersonExists,
    "RequestLimitExceeded": RateLimited,
    "FailedOperation.RequestLimitExceeded": RateLimited,
    "InternalError": ServiceFailed,
    "FailedOperation.ServerError": ServiceFailed,
    "FailedOperation.RequestTimeout": ServiceFailed,
    "FailedOperation.RpcFail": ServiceFailed,
    "FailedOperation.UnKnowError": ServiceFailed,
}

_BY_PREFIX: tuple[tuple[str, type[IaiError]], ...] = (
    ("AuthFailure", AuthFailed),
    ("InvalidParameter", InvalidRequest),
    ("MissingParameter", InvalidRequest),
    ("UnknownParameter", InvalidRequest),
    ("ResourceUnavailable", AccountUnavailable),
)


def error_for_code(code: str, message: str = "") -> IaiError:
    """The typed error of a documented code (unknown codes give a plain :class:`IaiError`)."""
    kind = _BY_CODE.get(code)
    if kind is None:
        kind = next((k for prefix, k in _BY_PREFIX if code.startswith(prefix)), IaiError)
    return kind(code, message)


def from_sdk(exc: TencentCloudSDKException) -> EdgeError:
    """An SDK exception as the appliance's error.

    The SDK raises one exception type for everything; only an answer of the service carries a
    request id. Without one the call never got an answer (refused, timed out, a status other
    than 200, a body that is not the envelope): the backend is unavailable.
    """
    if exc.requestId:
        return error_for_code(str(exc.code), str(exc.message or ""))
    return BackendUnavailable(f"iai: {exc.code}: {str(exc.message)[:200]}")
