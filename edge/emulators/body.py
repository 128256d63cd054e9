"""The request body every emulator reads, bounded before any API work (issue #19, items 2 and 5).

:class:`BoundedBody` is ASGI middleware in front of an emulator's app. It reads the whole body
*before* the app runs, so before credentials are checked or a byte is parsed:

- a declared ``Content-Length`` over the limit is refused without reading a byte;
- a body sent without a length (chunked) is counted while it streams and refused as soon as it
  passes the limit, so an unauthenticated 1 GB upload costs at most the limit in memory;
- a client that stops sending for ``idle_timeout_s`` (or takes longer than ``total_timeout_s``
  for the whole body) is answered and disconnected, so stalled connections do not pile up.

A refusal is the API's own documented answer (the app's ``refuse`` callback) with
``Connection: close``: the server stops reading the rest of that body.

:func:`json_object` parses a JSON body for the three APIs: whatever is malformed (not UTF-8, not
JSON, not an object, nested deeper than :data:`MAX_JSON_DEPTH`) is a :class:`MalformedBody`
that each API answers with its documented 4xx error, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 32  # no documented request nests deeper than 3; 32 leaves room, bounds recursion


class Refusal(Enum):
    """Why a body was not read to its end."""

    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class BodyLimits:
    """``max_bytes`` of body; seconds to wait for the next chunk and for the whole body."""

    max_bytes: int
    idle_timeout_s: float = 10.0
    total_timeout_s: float = 60.0


class MalformedBody(ValueError):
    """A body the API cannot read; the message says why (safe to send back: no body content)."""


class BoundedBody:
    """Reads the body within ``limits`` and hands it to ``app`` whole; ``refuse`` answers the rest."""

    def __init__(
        self, app: ASGIApp, limits: BodyLimits, refuse: Callable[[Refusal, BodyLimits], Response]
    ) -> None:
        self.app = app
        self.limits = limits
        self._refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            await self._answer(Refusal.TOO_LARGE, scope, receive, send)
            return
        try:
            body = await self._read(receive)
        except _Refused as refused:
            await self._answer(refused.reason, scope, receive, send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.limits.total_timeout_s
        while True:
            wait_s = min(self.limits.idle_timeout_s, deadline - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait_s, 0.0))
            except asyncio.TimeoutError:
                raise _Refused(Refusal.TIMEOUT) from None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise _Refused(Refusal.TOO_LARGE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _answer(self, reason: Refusal, scope: Scope, receive: Receive, send: Send) -> None:
        response = self._refuse(reason, self.limits)
        response.headers["connection"] = "close"
        await response(scope, receive, send)


class _Refused(Exception):
    def __init__(self, reason: Refusal) -> None:
        self.reason = reason


def _replay(body: bytes, receive: Receive) -> Receive:
    """The app's ``receive``: the whole body once, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def json_object(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body`` (empty body: ``{}``); :class:`MalformedBody` otherwise."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except RecursionError:
        raise MalformedBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedBody("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise MalformedBody("the JSON body must be an object")
    if _depth(document) > MAX_JSON_DEPTH:
        raise MalformedBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return document


def check_multipart_ends(content_type: str, body: bytes) -> None:
    """:class:`MalformedBody` unless a multipart ``body`` ends with its closing boundary.

    The form parser accepts a body cut short and keeps the parts it saw, so a truncated upload
    would otherwise act on its first fields. Other content types pass.
    """
    if not content_type.lower().startswith("multipart/"):
        return
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise MalformedBody("malformed multipart body: no boundary in the content type")
    if not body.rstrip().endswith(b"--" + match[1].encode("latin-1") + b"--"):
        raise MalformedBody("malformed multipart body: no closing boundary (cut short?)")


def _depth(document: object) -> int:
    """How deep lists and objects nest (iterative: a deep document cannot exhaust the stack)."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            pending.extend((item, depth + 1) for item in value)
    return deepest
