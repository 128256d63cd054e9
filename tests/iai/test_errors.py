"""Documented codes -> typed errors; SDK exceptions without an answer -> BackendUnavailable."""

from __future__ import annotations

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from edge.errors import BackendUnavailable, RemoteError
from edge.identify.iai import errors


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AuthFailure.SignatureExpire", errors.AuthFailed),
        ("AuthFailure.SecretIdNotFound", errors.AuthFailed),
        ("InvalidParameterValue.NoFaceInPhoto", errors.NoFace),
        ("FailedOperation.ImageFacedetectFailed", errors.NoFace),
        ("FailedOperation.ImageSizeExceed", errors.ImageRejected),
        ("InvalidParameterValue.GroupIdNotExist", errors.GroupNotFound),
        ("InvalidParameterValue.NoFaceInGroups", errors.EmptyGallery),
        ("InvalidParameterValue.PersonIdAlreadyExist", errors.PersonExists),
        ("InvalidParameterValue.PersonIdNotExist", errors.PersonNotFound),
        ("InvalidParameterValue.LimitExceed", errors.InvalidRequest),
        ("MissingParameter", errors.InvalidRequest),
        ("ResourceUnavailable.InArrears", errors.AccountUnavailable),
        ("RequestLimitExceeded", errors.RateLimited),
        ("InternalError", errors.ServiceFailed),
        ("SomethingNew.NeverDocumented", errors.IaiError),
    ],
)
def test_documented_codes_become_their_types(code: str, kind: type[errors.IaiError]) -> None:
    error = errors.from_sdk(TencentCloudSDKException(code, "message", "request-1"))
    assert type(error) is kind
    assert isinstance(error, RemoteError)
    assert (error.code, error.message) == (code, "message")


@pytest.mark.parametrize("kind", [errors.RateLimited, errors.ServiceFailed])
def test_transient_codes_are_also_backend_unavailable(kind: type[errors.IaiError]) -> None:
    assert isinstance(kind("X", ""), BackendUnavailable)


@pytest.mark.parametrize("code", ["ClientNetworkError", "ServerNetworkError", "JSONDecodeError", "KeyError"])
def test_an_exception_without_an_answer_is_backend_unavailable(code: str) -> None:
    error = errors.from_sdk(TencentCloudSDKException(code, "x" * 1000))
    assert type(error) is BackendUnavailable
    assert len(str(error)) < 300
