"""The multi-use signature: the protocols.md test vector, renewal, and the server's checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from edge.emulators.youtu.store import Store
from edge.identify.youtu.errors import YoutuAuthError
from edge.identify.youtu.signature import SignatureSource, SignatureVerifier, parse_authorization, sign

VECTOR = (
    "n6lFCtKZHi5l3foY2tsvVKvknPdhPTEyNTAwMDAwMDAmYj10ZW5jZW50eXVuJms9QUtJREVYQU1QTEUmZT0xNzAyNTkyMDAw"
    "JnQ9MTcwMDAwMDAwMCZyPTEyMzQ1Njc4OSZmPQ=="
)
KEYS = {"AKIDEXAMPLE": "SECRETKEYEXAMPLE"}
NOW = 1_700_000_000


def test_reproduces_the_protocols_test_vector() -> None:
    assert (
        sign(
            appid="1250000000",
            bucket="tencentyun",
            secret_id="AKIDEXAMPLE",
            secret_key="SECRETKEYEXAMPLE",
            now=1_700_000_000,
            expiry=1_702_592_000,
            rand=123456789,
        )
        == VECTOR
    )


def test_the_vector_passes_the_server_check() -> None:
    signed = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW).verify(VECTOR, "1250000000")
    assert signed.fields == {
        "a": "1250000000",
        "b": "tencentyun",
        "k": "AKIDEXAMPLE",
        "e": "1702592000",
        "t": "1700000000",
        "r": "123456789",
        "f": "",
    }


def test_source_reuses_the_signature_then_renews_it_before_expiry() -> None:
    now = [float(NOW)]
    source = SignatureSource(
        appid="1", bucket="", secret_id="AKIDEXAMPLE", secret_key="k", ttl_s=3600, clock=lambda: now[0]
    )
    first = source.current()
    assert parse_authorization(first).fields["e"] == str(NOW + 3600)
    now[0] += 3000
    assert source.current() == first
    now[0] += 500  # 100 s before expiry: inside the renewal margin
    renewed = source.current()
    assert renewed != first
    assert parse_authorization(renewed).fields["e"] == str(NOW + 3500 + 3600)


def hand_signed(plain: str, key: str = "SECRETKEYEXAMPLE") -> str:
    digest = hmac.new(key.encode(), plain.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest + plain.encode()).decode()


@pytest.mark.parametrize(
    "plain",
    [
        "a=1250000000&b=&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=42&f=",
        "t=1700000000&e=1700003600&k=AKIDEXAMPLE&a=1250000000&b=",  # other order, no r / f
        "a=1250000000&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=7&u=0&f=",  # with u
    ],
)
def test_server_accepts_any_field_order_with_or_without_r_f_u(plain: str) -> None:
    verifier = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW)
    assert verifier.verify(hand_signed(plain), "1250000000").fields["k"] == "AKIDEXAMPLE"


GOOD = "a=1250000000&b=&k=AKIDEXAMPLE&e=1700003600&t=1700000000&r=1&f="


@pytest.mark.parametrize(
    ("header", "body_appid", "code"),
    [
        ("", "1250000000", 4),
        ("   ", "1250000000", 4),
        ("not base64 at all!", "1250000000", 5),
        (base64.b64encode(b"short").decode(), "1250000000", 5),
        (base64.b64encode(b"x" * 20 + b"no pairs here").decode(), "1250000000", 5),
        (hand_signed(GOOD.replace("e=1700003600", "e=soon")), "1250000000", 5),
        (hand_signed(GOOD.replace("a=1250000000", "a=1250000001")), "1250000000", 10),  # not served
        (hand_signed(GOOD), "1250000001", 6),
        (hand_signed(GOOD.replace("e=1700003600", "e=1699999999")), "1250000000", 9),
        # protocols.md: at most 3 months ahead (issue #19, item 11: the year 9999 was accepted)
        (hand_signed(GOOD.replace("e=1700003600", "e=253402300799")), "1250000000", 5),
        (hand_signed(GOOD.replace("e=1700003600", f"e={NOW + 90 * 86400 + 1}")), "1250000000", 5),
        (hand_signed(GOOD.replace("AKIDEXAMPLE", "AKIDOTHER")), "1250000000", 11),
        (hand_signed(GOOD, key="WRONGKEY"), "1250000000", 14),
    ],
)
def test_server_refuses_with_the_seed_codes(header: str, body_appid: str, code: int) -> None:
    verifier = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW)
    with pytest.raises(YoutuAuthError) as caught:
        verifier.verify(header, body_appid)
    assert caught.value.code == code


def test_a_server_with_a_bucket_refuses_another_with_16() -> None:
    """The older host (service.image.myqcloud.com) serves one bucket; the recognition host's
    signatures may leave ``b`` empty."""
    verifier = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW, bucket="tencentyun")
    verifier.verify(hand_signed(GOOD.replace("b=", "b=tencentyun")), "1250000000")
    verifier.verify(hand_signed(GOOD), "1250000000")
    with pytest.raises(YoutuAuthError) as caught:
        verifier.verify(hand_signed(GOOD.replace("b=", "b=otherbucket")), "1250000000")
    assert caught.value.code == 16


def test_single_use_signature_is_refused_the_second_time_with_13() -> None:
    verifier = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW)
    once = hand_signed("a=1250000000&b=&k=AKIDEXAMPLE&e=0&t=1700000000&r=5&f=face")
    verifier.verify(once, "1250000000")
    with pytest.raises(YoutuAuthError) as caught:
        verifier.verify(once, "1250000000")
    assert caught.value.code == 13


def test_a_single_use_signature_stays_used_after_a_restart(tmp_path: Path) -> None:
    """The emulator remembers single-use signatures in its store (issue #19, item 11)."""
    once = hand_signed("a=1250000000&b=&k=AKIDEXAMPLE&e=0&t=1700000000&r=6&f=face")
    store = Store(tmp_path / "youtu.sqlite")
    first = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW, first_use=store.first_use)
    first.verify(once, "1250000000")
    store.close()
    restarted = Store(tmp_path / "youtu.sqlite")
    verifier = SignatureVerifier("1250000000", KEYS, clock=lambda: NOW, first_use=restarted.first_use)
    with pytest.raises(YoutuAuthError) as caught:
        verifier.verify(once, "1250000000")
    assert caught.value.code == 13
    verifier.verify(hand_signed("a=1250000000&b=&k=AKIDEXAMPLE&e=0&t=1700000000&r=7&f=face"), "1250000000")
    restarted.close()
