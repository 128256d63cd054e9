"""Logging: readable lines on a terminal, JSON lines otherwise (journald), secrets masked.

Secret values loaded from the settings are registered with :func:`register_secret`; a filter
replaces them in every record, as a safety net behind the rule that secrets and biometric data
are never passed to a logger in the first place. Passwords inside URLs (an RTSP camera's
``rtsp://user:pass@host``, ``?password=`` parameters) are masked by :func:`redact_urls`, which
everything that prints settings uses too (``edge config show``, ``edge doctor``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_SECRETS: set[str] = set()
_MASK = "***"
REDACTED = "<redacted>"
# scheme://user:password@  and  ?password=... / &token=... (query keys that carry secrets)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
_URL_SECRET_PARAM = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|pass|secret|token|key|sig|signature|auth)=)[^&#\s\"']+",
    re.IGNORECASE)


# Third-party loggers that write request bodies (base64 camera frames, enrollment photos) at
# DEBUG: held at WARNING whatever service.log_level says.
BODY_LOGGERS = ("tencentcloud_sdk_common",)
# A run this long of base64 is an image or a key, never a message anyone needs to read.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{200,}={0,2}")


def redact_urls(text: str) -> str:
    """``text`` with the passwords of URLs in it replaced by ``<redacted>`` (user names kept)."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED + "@", text)
    return _URL_SECRET_PARAM.sub(lambda m: m.group("head") + REDACTED, text)


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it would appear in a log record."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def _mask(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, _MASK)
    text = _BASE64_RUN.sub(lambda m: f"<{len(m.group())} base64 characters>", text)
    return redact_urls(text)


class _SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields passed with ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _mask(json.dumps(entry, default=str))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (it may be replaced after set-up)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    """Configure the root logger once; JSON lines unless stderr is a terminal."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler = _StderrHandler()
    handler.addFilter(_SecretFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
