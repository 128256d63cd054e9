"""Door commands: signed with HMAC-SHA256, valid for a few seconds, executed at most once.

The payload is JSON; the signature covers its *canonical form*: every field except ``sig``,
keys sorted, no whitespace, ASCII only. Times are integer milliseconds since the Unix epoch so
that any language can rebuild the exact bytes. See docs/mqtt.md for the schema.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.errors import BadInput

COMMAND_SCHEMA_VERSION = 1
# A signed command is about 330 bytes; anything much larger is refused before it is parsed.
MAX_COMMAND_BYTES = 1024
_SIG = re.compile(r"[0-9a-f]{64}")

Action = Literal["unlock", "lock"]
RejectReason = Literal["malformed", "bad_signature", "wrong_door", "expired", "not_yet_valid",
                       "ttl_too_long", "replayed"]


class CommandRejected(BadInput):
    """A door command that must not be executed; ``reason`` says why (never the secret)."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"door command rejected: {reason}" + (f" ({detail})" if detail else ""))


class DoorCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = COMMAND_SCHEMA_VERSION
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$", description="128 random bits; the replay key")
    device: str
    door: str
    action: Action
    issued_ms: int
    expires_ms: int
    source: Literal["access", "homeassistant", "console"]
    event_id: str | None = Field(None, description="The access event that granted, if any")
    sig: str = ""


def canonical(fields: dict[str, Any]) -> bytes:
    """The signed bytes: all fields but ``sig``, sorted, compact, ASCII."""
    unsigned = {k: v for k, v in fields.items() if k != "sig"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _mac(secret: str, fields: dict[str, Any]) -> str:
    return hmac.new(secret.encode(), canonical(fields), hashlib.sha256).hexdigest()


def new_command(secret: str, *, device: str, door: str, action: Action, ttl_s: float,
                source: Literal["access", "homeassistant", "console"], event_id: str | None = None,
                now: float | None = None) -> DoorCommand:
    issued_ms = int((time.time() if now is None else now) * 1000)
    unsigned = DoorCommand(
        nonce=os.urandom(16).hex(), device=device, door=door, action=action,
        issued_ms=issued_ms, expires_ms=issued_ms + int(ttl_s * 1000), source=source,
        event_id=event_id,
    )
    return unsigned.model_copy(update={"sig": _mac(secret, unsigned.model_dump())})


def encode(command: DoorCommand) -> bytes:
    return json.dumps(command.model_dump(), separators=(",", ":")).encode()


def verify(payload: bytes, secret: str, *, device: str, door: str, now: float,
           max_skew_s: float, max_ttl_s: float = 60.0) -> DoorCommand:
    """The command if authentic, meant for ``device``/``door`` and fresh; else :class:`CommandRejected`.

    ``max_ttl_s``: the longest time-to-live (``expires_ms - issued_ms``) accepted, whatever the
    signed command claims. Replays are checked by the caller against its persisted nonce cache,
    after this passes, so that forged commands never fill the cache. Cheap checks come first:
    a flood of forged commands must cost the agent as little as possible.
    """
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandRejected("malformed", f"{len(payload)} bytes, more than {MAX_COMMAND_BYTES}")
    try:
        fields = json.loads(payload)
        if not isinstance(fields, dict) or not isinstance(fields.get("sig"), str):
            raise ValueError("not a signed JSON object")
        if not _SIG.fullmatch(fields["sig"]):
            raise ValueError("sig is not 64 hex digits")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise CommandRejected("malformed", str(exc)) from exc
    if not hmac.compare_digest(_mac(secret, fields).encode(), fields["sig"].encode()):
        raise CommandRejected("bad_signature")
    try:
        command = DoorCommand.model_validate(fields)
    except ValidationError as exc:
        raise CommandRejected("malformed", f"{exc.error_count()} invalid field(s)") from exc
    if command.schema_version != COMMAND_SCHEMA_VERSION:
        raise CommandRejected("malformed", f"schema_version {command.schema_version}")
    if (command.device, command.door) != (device, door):
        raise CommandRejected("wrong_door", f"{command.device}/{command.door}")
    now_ms = int(now * 1000)
    if now_ms > command.expires_ms:
        raise CommandRejected("expired", f"{(now_ms - command.expires_ms) / 1000:.1f} s late")
    if command.issued_ms > now_ms + int(max_skew_s * 1000):
        raise CommandRejected("not_yet_valid", "issued in the future: check the clocks")
    if command.expires_ms - command.issued_ms > max_ttl_s * 1000:
        raise CommandRejected("ttl_too_long", f"a time-to-live over door.max_ttl_s = {max_ttl_s:g} s")
    return command
