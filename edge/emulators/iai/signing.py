"""TC3-HMAC-SHA256: computing a request's signature and verifying an incoming one.

The steps are those of protocols.md section 3 (and the official SDK): a canonical request,
a string to sign scoped to ``<date>/<service>/tc3_request``, and a key derived from the secret
key through the date, the service and ``tc3_request``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from edge.emulators.iai.api_error import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "iai"
MAX_CLOCK_SKEW_S = 300

_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s]+)"
    r"/tc3_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], signed: list[str], body: bytes
) -> str:
    """``headers`` keyed in lower case; values are trimmed and lower-cased as the spec says."""
    lines = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
    return "\n".join([method.upper(), path, query, lines, ";".join(signed), _sha256_hex(body)])


def signature(secret_key: str, timestamp: int, canonical: str, service: str = SERVICE) -> str:
    date = utc_date(timestamp)
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_key_of: Callable[[str], str | None],
    now: float | None = None,
) -> str:
    """Check the request's ``Authorization``; return its secret id or raise :class:`ApiError`.

    ``headers`` are keyed in lower case. Checks, in order: the header's form, the timestamp
    (within 5 minutes of ``now``), the credential's date and service, the secret id, the
    signature (compared in constant time).
    """
    match = _AUTHORIZATION.match(headers.get("authorization", "").strip())
    if match is None:
        raise ApiError("AuthFailure.InvalidAuthorization", "Authorization is missing or malformed.")
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        raise ApiError("AuthFailure.InvalidAuthorization", "X-TC-Timestamp must be an integer.") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > MAX_CLOCK_SKEW_S:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"The signature expired: request timestamp {timestamp}, server time {int(current)}, "
            "the difference must be less than 5 minutes.",
        )
    if match["date"] != utc_date(timestamp) or match["service"] != SERVICE:
        raise ApiError("AuthFailure.SignatureFailure", "The credential scope does not match the request.")
    secret_id = match["secret_id"]
    secret_key = secret_key_of(secret_id)
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    signed = match["headers"].split(";")
    if "host" not in signed or "content-type" not in signed:
        raise ApiError("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host.")
    canonical = canonical_request(method, path, query, headers, signed, body)
    if not hmac.compare_digest(signature(secret_key, timestamp, canonical), match["signature"]):
        raise ApiError("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
    return secret_id
