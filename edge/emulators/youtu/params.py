"""Reading a request's fields from a JSON or multipart body, each problem as its seed code.

Multipart parts are identified by their name only (official SDKs attach a filename to text
parts too); arrays arrive as indexed parts ``group_ids[0]``, ``group_ids[1]``...; in JSON they
are real arrays. The appid field is accepted as ``appid`` and the documents' ``AppId``/``AppIId``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from edge.emulators.body import MalformedBody, check_multipart_ends, json_object
from edge.identify.youtu.errors import error_for

IMAGE_PARTS = re.compile(r"^(image|imageA|imageB|images\[\d+\])$")
INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")
APPID_SPELLINGS = ("appid", "appiid")
MAX_URL_CHARS = 4096
MAX_SESSION_CHARS = 256
ID_FORBIDDEN = re.compile(r"[ /\t\n]")  # seed 000's -1313: no space, slash, tab or newline

Image = bytes | str  # uploaded bytes, or a URL to download


class Params:
    """The fields of one request."""

    def __init__(self, values: dict[str, object], uploads: dict[str, bytes]) -> None:
        self._values = values
        self._uploads = uploads

    @classmethod
    async def parse(cls, request: Request, body: bytes) -> Params:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return await cls._from_form(request, body)
        if content_type in ("application/json", "text/json", ""):
            try:
                return cls(json_object(body), {})
            except MalformedBody as exc:
                raise error_for(3, str(exc)) from None
        raise error_for(3, f"unsupported content type {content_type!r}")

    @classmethod
    async def _from_form(cls, request: Request, body: bytes) -> Params:
        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            check_multipart_ends(request.headers.get("content-type", ""), body)
        except MalformedBody as exc:
            raise error_for(3, str(exc)) from None
        try:
            form = await Request(request.scope, replay).form(max_files=100, max_fields=1000)
        except (HTTPException, MultiPartException, ValueError) as exc:
            raise error_for(3, f"broken form body: {getattr(exc, 'detail', exc)}") from None
        values: dict[str, object] = {}
        uploads: dict[str, bytes] = {}
        indexed: dict[str, dict[int, str]] = {}
        for name, value in form.multi_items():
            raw = await value.read() if isinstance(value, UploadFile) else value
            if IMAGE_PARTS.match(name):
                uploads[name] = raw if isinstance(raw, bytes) else _latin1_or_utf8(raw)
                continue
            text = _text(name, raw)
            if match := INDEXED.match(name):
                indexed.setdefault(match[1], {})[int(match[2])] = text
            else:
                values[name] = text
        for name, items in indexed.items():
            values[name] = [items[i] for i in sorted(items)]
        await form.close()
        return cls(values, uploads)

    async def download_urls(self, fetch: Callable[[str], Awaitable[bytes]]) -> None:
        """Replace ``url``/``urlA``/``urlB``/``urls`` by the downloaded images: given both an
        upload and a url, the seeds use the url only."""
        for url_name, upload in (("url", "image"), ("urlA", "imageA"), ("urlB", "imageB")):
            if self._values.get(url_name) is not None:
                self._uploads[upload] = await fetch(_scalar(url_name, self._values[url_name]))
        if self._values.get("urls") is not None:
            fetched = [await fetch(url) for url in self.texts("urls", MAX_URL_CHARS)]
            self._uploads = {k: v for k, v in self._uploads.items() if not INDEXED.match(k)}
            self._uploads.update({f"images[{i}]": data for i, data in enumerate(fetched)})

    # -- typed access --------------------------------------------------------------------------

    def session_id(self) -> str | None:
        """The caller's ``session_id``, echoed in the answer."""
        return self.optional_text("session_id", MAX_SESSION_CHARS)

    def identifier(self, name: str, max_chars: int) -> str:
        """A required id: -1313 if it holds a space, slash, tab or newline (seed 000)."""
        return _checked_id(name, self.text(name, max_chars))

    def identifiers(self, name: str, max_chars: int) -> list[str]:
        """A required, non-empty array of ids, each checked as :meth:`identifier`."""
        return [_checked_id(name, value) for value in self.texts(name, max_chars)]

    def appid(self) -> str:
        for key, value in self._values.items():
            if key.lower() in APPID_SPELLINGS:
                return _scalar(key, value)
        raise error_for(-1301, "appid is missing")

    def text(self, name: str, max_chars: int) -> str:
        value = self.optional_text(name, max_chars)
        if not value:
            raise error_for(-1301, f"{name} is missing or empty")
        return value

    def optional_text(self, name: str, max_chars: int) -> str | None:
        if self._values.get(name) is None:
            return None
        value = _scalar(name, self._values[name])
        if len(value) > max_chars:
            raise error_for(-1304, f"{name} is longer than {max_chars} characters")
        return value

    def texts(self, name: str, max_chars: int) -> list[str]:
        """A required, non-empty array of non-empty strings (duplicates dropped, order kept)."""
        value = self._values.get(name)
        if value is None or value == []:
            raise error_for(-1301, f"{name} is missing or empty")
        if not isinstance(value, list):
            raise error_for(21, f"{name} must be an array")
        items = [_scalar(f"{name}[{i}]", v) for i, v in enumerate(value)]
        if any(not item for item in items):
            raise error_for(-1301, f"{name} has an empty element")
        if any(len(item) > max_chars for item in items):
            raise error_for(-1304, f"an element of {name} is longer than {max_chars} characters")
        return list(dict.fromkeys(items))

    def groups(self, max_chars: int) -> list[str]:
        """``group_ids`` (array) or ``group_id`` (one): the search's groups."""
        if self._values.get("group_ids") is not None:
            return self.identifiers("group_ids", max_chars)
        return [self.identifier("group_id", max_chars)]

    def image(self, upload: str, url: str) -> Image:
        if upload in self._uploads:
            return self._uploads[upload]
        if self._values.get(url) is not None:
            return _scalar(url, self._values[url])
        raise error_for(-1300, f"no image: give {upload} (upload) or {url}")

    def images(self) -> list[Image]:
        numbered = {}
        for name, data in self._uploads.items():
            if match := INDEXED.match(name):
                numbered[int(match[2])] = data
        if numbered:
            return [numbered[i] for i in sorted(numbered)]
        if self._values.get("urls") is not None:
            return list(self.texts("urls", MAX_URL_CHARS))
        raise error_for(-1300, "no images: give images[0..] (upload) or urls")


def _checked_id(name: str, value: str) -> str:
    if ID_FORBIDDEN.search(value):
        raise error_for(-1313, f"{name} holds a space, slash, tab or newline")
    return value


def _scalar(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise error_for(21, f"{name} must be a string")
    return str(value)


def _text(name: str, raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error_for(21, f"{name} is not UTF-8 text") from None


def _latin1_or_utf8(text: str) -> bytes:
    """Bytes of a binary part the form parser turned into text (a part without a filename)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
