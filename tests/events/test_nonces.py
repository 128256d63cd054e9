from pathlib import Path

from edge.events.nonces import NonceCache


class Monotonic:
    """Real elapsed time, advanced by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_nonce_counts_once_and_is_forgotten_after_its_command_expired(tmp_path: Path) -> None:
    mono = Monotonic()
    cache = NonceCache(tmp_path / "n.sqlite", monotonic=mono)
    assert cache.first_use("a" * 32, expires_ms=5_000, now_ms=1_000)
    mono.now += 1
    assert not cache.first_use("a" * 32, expires_ms=5_000, now_ms=2_000)
    cache.close()
    mono.now += 1
    cache = NonceCache(tmp_path / "n.sqlite", monotonic=mono)  # persisted across restarts
    assert not cache.first_use("a" * 32, expires_ms=5_000, now_ms=3_000)
    mono.now += 4
    assert cache.first_use("b" * 32, expires_ms=12_000, now_ms=7_000)  # prunes the expired "a"
    assert len(cache) == 1
    cache.close()


def test_a_clock_stepped_forward_then_back_readmits_no_replay(tmp_path: Path) -> None:
    mono = Monotonic()
    cache = NonceCache(tmp_path / "n.sqlite", monotonic=mono)
    assert cache.first_use("a" * 32, expires_ms=1_005_000, now_ms=1_000_000)
    mono.now += 1
    # the wall clock jumps a day ahead: another command arrives, pruning is due
    assert cache.first_use("b" * 32, expires_ms=87_401_000 + 5_000, now_ms=87_401_000)
    assert len(cache) == 2  # one real second passed: "a" is not pruned
    mono.now += 1
    # the clock is stepped back: "a" is fresh again by the wall clock, and still refused
    assert not cache.first_use("a" * 32, expires_ms=1_005_000, now_ms=1_002_000)
    cache.close()


def test_a_command_that_may_have_been_pruned_is_refused(tmp_path: Path) -> None:
    mono = Monotonic()
    cache = NonceCache(tmp_path / "n.sqlite", monotonic=mono)
    assert cache.first_use("a" * 32, expires_ms=5_000, now_ms=1_000)
    mono.now += 60
    assert cache.first_use("b" * 32, expires_ms=66_000, now_ms=61_000)  # prunes "a"
    assert len(cache) == 1
    mono.now += 1
    # the clock goes back a minute: "a" looks fresh, is no longer cached, and is refused
    assert not cache.first_use("a" * 32, expires_ms=5_000, now_ms=2_000)
    # a new command of the true time still passes
    assert cache.first_use("c" * 32, expires_ms=67_000, now_ms=62_000)
    cache.close()
