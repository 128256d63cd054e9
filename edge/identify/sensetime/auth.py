"""SenseTime v1 credentials as an ``httpx.Auth``: ``api_id`` and ``api_secret`` on every request.

Where the API takes them (docs/sensetime.md): a GET has no body, so its query string; a POST's
form body, urlencoded or multipart, never its URL, so no proxy or access log keeps the secret.
"""

from __future__ import annotations

from collections.abc import Generator
from urllib.parse import urlencode

import httpx

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


class SenseTimeCredentials(httpx.Auth):
    """Adds the credentials to each request where the API expects them (module docstring)."""

    requires_request_body = True

    def __init__(self, api_id: str, api_secret: str) -> None:
        self._fields = {"api_id": api_id, "api_secret": api_secret}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.method == "GET":
            request.url = request.url.copy_merge_params(self._fields)
            yield request
        else:
            yield self._in_body(request)

    def _in_body(self, request: httpx.Request) -> httpx.Request:
        """The request with the credentials as the first fields of its form body."""
        content_type = request.headers.get("Content-Type", URLENCODED)
        if content_type.startswith(MULTIPART):
            boundary = content_type.partition("boundary=")[2].strip('"')
            # RFC 7578 section 4: one part per field, delimited by "--" and the boundary
            parts = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                     for name, value in self._fields.items())
            body = "".join(parts).encode() + request.content
        else:
            content_type = URLENCODED
            body = b"&".join(part for part in (urlencode(self._fields).encode(), request.content) if part)
        headers = request.headers.copy()
        headers.pop("Content-Length", None)
        headers["Content-Type"] = content_type
        return httpx.Request(request.method, request.url, headers=headers, content=body,
                             extensions=request.extensions)
