"""The YouTu multi-use signature (protocols.md section 1), for the client and the server.

``Authorization = Base64(HMAC-SHA1(SecretKey, plain) || plain)`` with the plain text
``a=<appid>&b=<bucket>&k=<SecretId>&e=<expiry>&t=<now>&r=<rand>&f=``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass

import httpx

from edge.identify.youtu.errors import error_for

DIGEST_BYTES = 20
MAX_VALIDITY_S = 90 * 86400  # "at most 3 months ahead"


def sign(
    *, appid: str, bucket: str, secret_id: str, secret_key: str, now: int, expiry: int, rand: int
) -> str:
    """The Authorization header value for these fields."""
    plain = f"a={appid}&b={bucket}&k={secret_id}&e={expiry}&t={now}&r={rand}&f="
    digest = hmac.new(secret_key.encode(), plain.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest + plain.encode()).decode()


class SignatureSource:
    """Hands out a multi-use signature and signs a new one shortly before the current expires."""

    def __init__(
        self,
        *,
        appid: str,
        bucket: str,
        secret_id: str,
        secret_key: str,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 60 < ttl_s <= MAX_VALIDITY_S:
            raise ValueError("signature lifetime must lie between one minute and 90 days")
        self._fields = {"appid": appid, "bucket": bucket, "secret_id": secret_id, "secret_key": secret_key}
        self._ttl_s = ttl_s
        self._renew_margin_s = min(300, ttl_s // 10)
        self._clock = clock
        self._lock = threading.Lock()
        self._value = ""
        self._expiry = 0

    def current(self) -> str:
        with self._lock:
            now = int(self._clock())
            if now >= self._expiry - self._renew_margin_s:
                self._expiry = now + self._ttl_s
                self._value = sign(
                    **self._fields, now=now, expiry=self._expiry, rand=secrets.randbelow(10**10)
                )
            return self._value


class YoutuAuth(httpx.Auth):
    """httpx's extension point for credentials: every request carries the current multi-use
    signature as its ``Authorization`` header (protocols.md section 1)."""

    def __init__(self, source: SignatureSource) -> None:
        self._source = source

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._source.current()
        yield request


@dataclass(frozen=True)
class Signed:
    """A parsed Authorization header: the digest, the signed plain text and its fields."""

    digest: bytes
    plain: bytes
    fields: dict[str, str]

    def int_field(self, key: str) -> int:
        try:
            return int(self.fields.get(key, ""))
        except ValueError:
            raise error_for(5, f"signature field '{key}' is not a number") from None


def parse_authorization(header: str | None) -> Signed:
    """Split the header into digest and plain text; code 4 if empty, 5 if malformed."""
    if not header or not header.strip():
        raise error_for(4, "the Authorization header is empty")
    try:
        raw = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise error_for(5, "the signature is not valid base64") from None
    if len(raw) <= DIGEST_BYTES:
        raise error_for(5, "the signature is too short")
    plain = raw[DIGEST_BYTES:]
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        raise error_for(5, "the signed text is not UTF-8") from None
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise error_for(5, "the signed text is not a list of key=value pairs")
        fields[key] = value
    return Signed(raw[:DIGEST_BYTES], plain, fields)


class SignatureVerifier:
    """Server side: checks a header against the known keys; raises YoutuError with the seed code.

    Codes: 4 empty, 5 malformed (also an expiry more than :data:`MAX_VALIDITY_S` ahead), 10 an
    appid this server does not serve, 6 the body's appid not the signature's, 16 a bucket other
    than ``bucket`` (when one is set; the recognition host's may be empty), 9 expired, 11 unknown
    SecretId, 14 HMAC mismatch, 13 a single-use (``e=0``) signature presented twice.
    ``first_use(digest)`` records a single-use signature and says whether it is new; give a
    persistent one (the emulator's store) so a restart forgets none.
    """

    def __init__(
        self,
        appid: str,
        keys: Mapping[str, str],
        clock: Callable[[], float] = time.time,
        first_use: Callable[[bytes], bool] | None = None,
        bucket: str | None = None,
    ) -> None:
        self._appid = appid
        self._bucket = bucket
        self._keys = dict(keys)
        self._clock = clock
        self._first_use = first_use or _MemoryOfUses().first_use

    def verify(self, header: str | None, body_appid: str) -> Signed:
        signed = parse_authorization(header)
        if signed.fields.get("a") != self._appid:
            raise error_for(10, "no such appid")
        if body_appid != self._appid:
            raise error_for(6, "the signature's appid does not match the request's")
        if self._bucket is not None and signed.fields.get("b", "") not in ("", self._bucket):
            raise error_for(16, "no such bucket")
        secret_key = self._keys.get(signed.fields.get("k", ""))
        if secret_key is None:
            raise error_for(11, "unknown SecretId")
        expected = hmac.new(secret_key.encode(), signed.plain, hashlib.sha1).digest()
        if not hmac.compare_digest(expected, signed.digest):
            raise error_for(14, "signature check failed")
        expiry, now = signed.int_field("e"), self._clock()
        if expiry == 0:
            if not self._first_use(signed.digest):
                raise error_for(13, "single-use signature presented again")
        elif expiry < now:
            raise error_for(9, "the signature has expired")
        elif expiry > now + MAX_VALIDITY_S:
            raise error_for(5, "the signature's expiry is more than 3 months ahead")
        return signed


class _MemoryOfUses:
    """Single-use signatures seen by this process (lost at exit)."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self._lock = threading.Lock()

    def first_use(self, digest: bytes) -> bool:
        with self._lock:
            if digest in self._seen:
                return False
            self._seen.add(digest)
            return True
