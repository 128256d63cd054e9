"""TC3-HMAC-SHA256: the documented test vector, and each way a request can fail verification."""

from __future__ import annotations

import pytest

from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.signing import canonical_request, signature, verify

BODY = b'{"GroupIds": ["g1"], "Url": "http://x/y.jpg", "MaxFaceNum": 1}'
HOST = "iai.tencentcloudapi.com"
NOW = 1700000000
SIGNED = ["content-type", "host"]


def _headers(secret_id: str = "AKIDEXAMPLE", key: str = "SECRETKEYEXAMPLE", timestamp: int = NOW,
             body: bytes = BODY) -> dict[str, str]:
    headers = {"content-type": "application/json", "host": HOST, "x-tc-timestamp": str(timestamp)}
    sig = signature(key, timestamp, canonical_request("POST", "/", "", headers, SIGNED, body))
    headers["authorization"] = (
        f"TC3-HMAC-SHA256 Credential={secret_id}/2023-11-14/iai/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={sig}"
    )
    return headers


def _verify(headers: dict[str, str], body: bytes = BODY, now: float = NOW) -> str:
    keys = {"AKIDEXAMPLE": "SECRETKEYEXAMPLE"}
    return verify("POST", "/", "", headers, body, keys.get, now=now)


def test_the_documented_test_vector_is_reproduced() -> None:
    canonical = canonical_request(
        "POST", "/", "", {"content-type": "application/json", "host": HOST}, SIGNED, BODY
    )
    assert signature("SECRETKEYEXAMPLE", 1700000000, canonical) == (
        "2b998a3515c64316e2ae210b32b5814ae180a4a66a691e0fc832200da25ca71b"
    )


def test_a_correct_request_verifies_up_to_five_minutes_off() -> None:
    assert _verify(_headers()) == "AKIDEXAMPLE"
    assert _verify(_headers(), now=NOW + 300) == "AKIDEXAMPLE"
    assert _verify(_headers(), now=NOW - 300) == "AKIDEXAMPLE"


@pytest.mark.parametrize(
    ("headers", "body", "now", "code"),
    [
        (_headers(key="WRONGKEY"), BODY, NOW, "AuthFailure.SignatureFailure"),
        (_headers(), BODY.replace(b"g1", b"g2"), NOW, "AuthFailure.SignatureFailure"),
        (_headers(), BODY, NOW + 301, "AuthFailure.SignatureExpire"),
        (_headers(), BODY, NOW - 301, "AuthFailure.SignatureExpire"),
        (_headers(secret_id="AKIDUNKNOWN"), BODY, NOW, "AuthFailure.SecretIdNotFound"),
        ({**_headers(), "host": "other.example"}, BODY, NOW, "AuthFailure.SignatureFailure"),
        ({**_headers(), "authorization": "Bearer x"}, BODY, NOW, "AuthFailure.InvalidAuthorization"),
        ({**_headers(), "x-tc-timestamp": "soon"}, BODY, NOW, "AuthFailure.InvalidAuthorization"),
    ],
    ids=["wrong-key", "tampered-body", "stale", "future", "unknown-id", "other-host", "malformed", "bad-ts"],
)
def test_each_bad_request_gets_its_error(headers: dict[str, str], body: bytes, now: float, code: str) -> None:
    with pytest.raises(ApiError) as caught:
        _verify(headers, body, now)
    assert caught.value.code == code
