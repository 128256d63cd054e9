"""Fetching an image named by URL in a request (YouTu ``url``, SenseTime ``url``, IAI ``Url``),
within a size and a time bound, from allowed hosts only.

``allow`` is the on-premises allow-list: host names (``cams.local``), ``*.suffix`` patterns or
IP networks (``10.0.0.0/8``); empty allows every host (the clouds fetch any public URL).
Redirects are not followed (each hop would need the allow-list again).
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

import httpx


class FetchFailure(Enum):
    REFUSED = "refused"  # not http(s), or a host off the allow-list
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    FAILED = "failed"  # unreachable, or an answer other than 200


class FetchError(Exception):
    def __init__(self, failure: FetchFailure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure


@dataclass(frozen=True)
class UrlFetcher:
    """``max_bytes`` of image within ``timeout_s`` (the whole download) from ``allow``ed hosts."""

    max_bytes: int
    timeout_s: float = 10.0
    allow: Sequence[str] = field(default_factory=tuple)

    def allowed(self, host: str) -> bool:
        if not self.allow:
            return True
        for entry in self.allow:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
                continue
            except ValueError:
                pass
            if fnmatch.fnmatch(host.lower(), entry.lower()):
                return True
        return False

    def fetch(self, url: str) -> bytes:
        """The bytes at ``url``; :class:`FetchError` saying which bound or rule it broke."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(FetchFailure.REFUSED, "the url must be http or https with a host")
        if not self.allowed(parts.hostname):
            raise FetchError(FetchFailure.REFUSED, f"host {parts.hostname} is not on the allow-list")
        try:
            with httpx.Client(timeout=self.timeout_s) as http, http.stream("GET", url) as answer:
                if answer.status_code != 200:
                    raise FetchError(FetchFailure.FAILED, f"the url answered HTTP {answer.status_code}")
                data = bytearray()
                for chunk in answer.iter_bytes():
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise FetchError(FetchFailure.TOO_LARGE, f"the image is over {self.max_bytes} bytes")
                return bytes(data)
        except httpx.TimeoutException:
            raise FetchError(FetchFailure.TIMEOUT, "downloading the url timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(FetchFailure.FAILED, f"cannot download the url: {type(exc).__name__}") from None
