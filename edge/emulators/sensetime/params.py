"""A request's parameters from wherever the document allows them: the query string, a JSON
body, an urlencoded or a multipart body. Malformed bodies and bad values become the documented
400 answers, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from edge.emulators.body import MalformedBody, check_multipart_ends, json_object
from edge.identify.sensetime.errors import STATUSES, SenseTimeError
from edge.identify.sensetime.quirks import as_bool, as_int, id_list

MAX_BODY_BYTES = 8 * 1024 * 1024  # beyond this the body is not read at all (IMAGE_FILE_SIZE_TOO_BIG)


def api_error(status: str, reason: str) -> SenseTimeError:
    """The documented error for ``status`` with its HTTP status (one table with the client's)."""
    documented = STATUSES[status]
    return documented.error(status, reason, documented.http_status)


def invalid(reason: str) -> SenseTimeError:
    return api_error("INVALID_ARGUMENT", reason)


@dataclass
class Params:
    values: dict[str, Any]
    file: bytes | None = None

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise invalid(f"missing argument: {name}")
            return None
        if isinstance(value, dict | list):
            raise invalid(f"{name} must be a string")
        return str(value).strip()

    def required(self, name: str) -> str:
        value = self.text(name)
        assert value is not None
        return value

    def ids(self, name: str, *, required: bool = True) -> list[str]:
        try:
            ids = id_list(self.values.get(name))
        except ValueError:
            raise invalid(f"{name} must be a comma-separated list or an array of ids") from None
        if required and not ids:
            raise invalid(f"missing argument: {name}")
        return ids

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            number = as_int(value)
        except (ValueError, TypeError):
            raise invalid(f"{name} must be an integer from {low} to {high}") from None
        if not low <= number <= high:
            raise invalid(f"{name} must be an integer from {low} to {high}, got {number}")
        return number

    def flag(self, name: str) -> bool:
        return as_bool(self.values.get(name))


async def read_params(request: Request) -> Params:
    """Query string merged with the body (body wins), and the uploaded ``file`` if any."""
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        values.update(await _json_body(request))
        return Params(values)
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _form_body(request, values)
    return Params(values)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        return json_object(await request.body())
    except MalformedBody as exc:
        raise invalid(str(exc)) from None


async def _form_body(request: Request, values: dict[str, Any]) -> Params:
    file: bytes | None = None
    try:
        check_multipart_ends(request.headers.get("content-type", ""), await request.body())
    except MalformedBody as exc:
        raise invalid(str(exc)) from None
    try:
        async with request.form(max_files=4, max_fields=200, max_part_size=MAX_BODY_BYTES) as form:
            for name, value in form.multi_items():
                # Parts are told apart by name, never by whether they carry a filename.
                if name == "file":
                    file = await value.read() if isinstance(value, UploadFile) else value.encode()
                elif isinstance(value, UploadFile):
                    values[name] = (await value.read()).decode("utf-8", "replace")
                else:
                    values[name] = value
    except SenseTimeError:
        raise
    except Exception as exc:  # the multipart parser's errors have no common base class
        raise invalid(f"malformed {request.headers.get('content-type', 'form').split(';')[0]} body: "
                      f"{type(exc).__name__}") from None
    return Params(values, file)
