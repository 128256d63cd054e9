from pathlib import Path

from edge.events.nonces import NonceCache


def test_a_nonce_counts_once_and_is_forgotten_after_its_command_expired(tmp_path: Path) -> None:
    cache = NonceCache(tmp_path / "n.sqlite")
    assert cache.first_use("a" * 32, expires_ms=5_000, now_ms=1_000)
    assert not cache.first_use("a" * 32, expires_ms=5_000, now_ms=2_000)
    cache.close()
    cache = NonceCache(tmp_path / "n.sqlite")  # persisted across restarts
    assert not cache.first_use("a" * 32, expires_ms=5_000, now_ms=3_000)
    assert cache.first_use("b" * 32, expires_ms=9_000, now_ms=6_000)  # prunes the expired "a"
    assert len(cache) == 1
    cache.close()
