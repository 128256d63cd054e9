"""The door command's signature, checked against the test vector published in docs/mqtt.md."""

import hashlib
import hmac
import json

import pytest

from edge.events.command import CommandRejected, DoorCommand, canonical, verify

VECTOR = {"schema_version": 1, "nonce": "00112233445566778899aabbccddeeff", "device": "door-1",
          "door": "front", "action": "unlock", "issued_ms": 1764110000000,
          "expires_ms": 1764110005000, "source": "access", "event_id": None,
          "sig": "99cbec95367a4e026f1c57feb3d42b388da36b151b7230152a98591d585c07ad"}
CANONICAL = (b'{"action":"unlock","device":"door-1","door":"front","event_id":null,'
             b'"expires_ms":1764110005000,"issued_ms":1764110000000,'
             b'"nonce":"00112233445566778899aabbccddeeff","schema_version":1,"source":"access"}')


def check(payload: bytes, secret: str = "example-secret", now: float = 1764110002.0) -> DoorCommand:
    return verify(payload, secret, device="door-1", door="front", now=now, max_skew_s=2)


def test_the_documented_vector_verifies_in_its_window_only() -> None:
    assert canonical(VECTOR) == CANONICAL
    payload = json.dumps(VECTOR).encode()  # key order and spacing do not matter
    command = check(payload)
    assert command.action == "unlock" and command.nonce == VECTOR["nonce"]
    with pytest.raises(CommandRejected, match="expired"):
        check(payload, now=1764110005.001)
    with pytest.raises(CommandRejected, match="bad_signature"):
        check(payload, secret="another-secret")
    with pytest.raises(CommandRejected, match="bad_signature"):  # any field changed
        check(json.dumps(VECTOR | {"action": "lock"}).encode())


def test_a_signed_payload_that_breaks_the_schema_is_malformed() -> None:
    fields = {k: v for k, v in VECTOR.items() if k != "sig"} | {"pulse_ms": 60_000}
    fields["sig"] = hmac.new(b"example-secret", canonical(fields), hashlib.sha256).hexdigest()
    with pytest.raises(CommandRejected, match="malformed"):
        check(json.dumps(fields).encode())
