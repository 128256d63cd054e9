"""Reading an action's parameters, with the service's error codes for missing or bad ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from edge.emulators.iai.api_error import ApiError

_ID = re.compile(r"^[A-Za-z0-9\-%@#&_]+$")
ID_MAX_LEN = 64
NAME_MAX_LEN = 60


def _bad(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"{name}: {why}.")


def text(params: Mapping[str, Any], name: str, *, required: bool = True, max_len: int = 1024) -> str:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError("MissingParameter", f"The request is missing the required parameter {name}.")
        return ""
    if not isinstance(value, str):
        raise ApiError("InvalidParameter", f"{name} must be a string.")
    if len(value) > max_len:
        raise _bad(name, f"longer than {max_len} characters")
    return value


def identifier(params: Mapping[str, Any], name: str, illegal_code: str, too_long_code: str) -> str:
    """A GroupId or PersonId: 1-64 characters of letters, digits and ``-%@#&_``."""
    value = text(params, name, max_len=10_000)
    if len(value) > ID_MAX_LEN:
        raise ApiError(too_long_code, f"{name} is longer than {ID_MAX_LEN} characters.")
    if not _ID.match(value):
        raise ApiError(illegal_code, f"{name} may only hold letters, digits and -%@#&_.")
    return value


def integer(params: Mapping[str, Any], name: str, default: int, low: int, high: int, code: str = "") -> int:
    value = params.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("InvalidParameter", f"{name} must be an integer.")
    if not low <= value <= high:
        raise ApiError(code or "InvalidParameterValue", f"{name} must lie in [{low}, {high}].")
    return value


def number(params: Mapping[str, Any], name: str, default: float, low: float, high: float, code: str) -> float:
    value = params.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError("InvalidParameter", f"{name} must be a number.")
    if not low <= value <= high:
        raise ApiError(code, f"{name} must lie in [{low}, {high}].")
    return float(value)


def text_list(params: Mapping[str, Any], name: str, max_items: int, too_many_code: str) -> list[str]:
    value = params.get(name)
    if not value:
        raise ApiError("MissingParameter", f"The request is missing the required parameter {name}.")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError("InvalidParameter", f"{name} must be a list of strings.")
    if len(value) > max_items:
        raise ApiError(too_many_code, f"{name} holds more than {max_items} items.")
    return list(dict.fromkeys(value))


# -- the service's own fields ------------------------------------------------------------------

DEFAULT_MODEL_VERSION = "3.0"
MODEL_VERSIONS = ("2.0", "3.0")


def group_id(params: Mapping[str, Any]) -> str:
    return identifier(
        params, "GroupId", "InvalidParameterValue.GroupIdIllegal", "InvalidParameterValue.GroupIdTooLong"
    )


def person_id(params: Mapping[str, Any]) -> str:
    return identifier(
        params, "PersonId", "InvalidParameterValue.PersonIdIllegal", "InvalidParameterValue.PersonIdTooLong"
    )


GROUP_TAG_MAX_LEN = 40  # CreateGroupRequest.Tag / ModifyGroupRequest.Tag: [0, 40] characters


def group_tag(params: Mapping[str, Any]) -> str:
    """A group's optional ``Tag``; over 40 characters is ``GroupTagTooLong``."""
    tag = params.get("Tag")
    if isinstance(tag, str) and len(tag) > GROUP_TAG_MAX_LEN:
        raise ApiError("InvalidParameterValue.GroupTagTooLong", f"Tag is over {GROUP_TAG_MAX_LEN} chars.")
    return text(params, "Tag", required=False, max_len=GROUP_TAG_MAX_LEN)


def model_version(params: Mapping[str, Any]) -> str:
    version = text(params, "FaceModelVersion", required=False) or DEFAULT_MODEL_VERSION
    if version not in MODEL_VERSIONS:
        raise ApiError("InvalidParameterValue.FaceModelVersionIllegal", f"FaceModelVersion {version!r}.")
    return version


def require_v3(version: str, why: str) -> None:
    """Person features (SearchPersons*, VerifyPerson), CompareMaskFace and AnalyzeDenseLandmarks
    exist for model 3.0 only."""
    if version != "3.0":
        raise ApiError("InvalidParameterValue.FaceModelVersionIllegal", f"{why} need face model version 3.0.")


def quality_control(params: Mapping[str, Any]) -> int:
    return integer(params, "QualityControl", 0, 0, 4, "InvalidParameterValue.QualityControlIllegal")
