"""Images in requests: base64 in, the service's limits and error codes, a BGR array out."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import numpy as np

from edge.emulators.fetch import FetchError, FetchFailure, UrlFetcher
from edge.emulators.iai.api_error import ApiError
from edge.emulators.images import decode_within, header_size
from edge.errors import BadImage

MAX_BASE64_CHARS = 5 * 1024 * 1024
MAX_URL_IMAGE_BYTES = 5 * 1024 * 1024  # the documented 5 MB, for an image named by Url
MAX_LONG_SIDE = 4000
MIN_SHORT_SIDE = 64
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM")  # JPG, PNG, BMP


def decode_base64_image(encoded: object, name: str = "Image") -> np.ndarray:
    if not isinstance(encoded, str):
        raise ApiError("InvalidParameter", f"{name} must be a base64 string.")
    if len(encoded) > MAX_BASE64_CHARS:
        raise ApiError("FailedOperation.ImageSizeExceed", "The base64 image must not exceed 5 MB.")
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("FailedOperation.ImageDecodeFailed", f"{name} is not valid base64.") from None
    return decode_image_bytes(data, name)


def decode_image_bytes(data: bytes, name: str) -> np.ndarray:
    """An uploaded or downloaded image within the documented formats and sides."""
    if not data:
        raise ApiError("InvalidParameterValue.ImageEmpty", f"{name} is empty.")
    if not data.startswith(_MAGIC):
        raise ApiError("FailedOperation.ImageDecodeFailed", f"{name}: only JPG, PNG and BMP are supported.")
    try:
        width, height = header_size(data)
        if max(width, height) > MAX_LONG_SIDE:
            raise ApiError("FailedOperation.ImageResolutionExceed", f"{name}: the long side exceeds 4000 px.")
        if min(width, height) < MIN_SHORT_SIDE:
            raise ApiError("FailedOperation.ImageResolutionTooSmall", f"{name}: short side < 64 px.")
        return decode_within(data, MAX_LONG_SIDE * MAX_LONG_SIDE)
    except BadImage as exc:
        raise ApiError("FailedOperation.ImageDecodeFailed", f"{name}: {exc}") from None


def image_param(
    params: Mapping[str, Any], fetcher: UrlFetcher, name: str = "Image", url_name: str = "Url"
) -> np.ndarray:
    """The image at ``url_name``, else the base64 one of ``name``: given both, only the Url is used
    (the SDK's request models of 2020-03-03, e.g. ``SearchFacesRequest.Url``)."""
    url = params.get(url_name)
    if url:
        return decode_image_bytes(download(fetcher, url, url_name), url_name)
    encoded = params.get(name)
    if encoded:
        return decode_base64_image(encoded, name)
    raise ApiError("InvalidParameterValue.ImageEmpty", f"{name} is empty.")


def download(fetcher: UrlFetcher, url: object, name: str) -> bytes:
    """The bytes at ``url``: ImageSizeExceed over 5 MB, ImageDownloadError for the rest."""
    if not isinstance(url, str):
        raise ApiError("InvalidParameter", f"{name} must be a string.")
    try:
        return fetcher.fetch(url)
    except FetchError as exc:
        code = "FailedOperation.ImageSizeExceed" if exc.failure is FetchFailure.TOO_LARGE else \
            "FailedOperation.ImageDownloadError"
        raise ApiError(code, f"{name}: {exc}") from None
