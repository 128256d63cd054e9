"""Each API's documented errors read as families, the way the backend chain asks them."""

from __future__ import annotations

import pytest

from edge.errors import RemoteError
from edge.identify.families import Family, family_of
from edge.identify.iai.errors import error_for_code
from edge.identify.sensetime.errors import STATUSES
from edge.identify.sensetime.errors import error_for as sensetime_error
from edge.identify.youtu.errors import error_for as youtu_error


@pytest.mark.parametrize(("error", "family"), [
    (youtu_error(15), Family.RATE_LIMITED), (youtu_error(213), Family.UNAVAILABLE),
    (youtu_error(14), Family.UNAUTHORIZED), (youtu_error(-1306), Family.NOT_FOUND),
    (youtu_error(-1101), Family.BAD_REQUEST), (youtu_error(23), Family.BAD_REQUEST),
    (error_for_code("RequestLimitExceeded"), Family.RATE_LIMITED),
    (error_for_code("InternalError"), Family.UNAVAILABLE),
    (error_for_code("AuthFailure.SignatureFailure"), Family.UNAUTHORIZED),
    (error_for_code("InvalidParameterValue.PersonIdNotExist"), Family.NOT_FOUND),
    (error_for_code("FailedOperation.ImageDecodeFailed"), Family.BAD_REQUEST),
    (sensetime_error(403, "RATE_LIMIT_EXCEEDED"), Family.RATE_LIMITED),
    (sensetime_error(400, "QUOTA_EXCEEDED"), Family.RATE_LIMITED),
    (sensetime_error(502, None), Family.UNAVAILABLE),
    (sensetime_error(400, "EMPTY_GROUP"), Family.NOT_FOUND),
    (sensetime_error(400, "INVALID_SOMETHING_NEW"), Family.BAD_REQUEST),
    (RemoteError("x", "a vendor's error without a table"), Family.BAD_REQUEST),
])
def test_families(error: RemoteError, family: Family) -> None:
    assert family_of(error) is family


def test_every_sensetime_status_has_a_family() -> None:
    assert all(isinstance(documented.family, Family) for documented in STATUSES.values())
