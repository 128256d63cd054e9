"""The circuit breaker's states, on a clock the test moves."""

from __future__ import annotations

from edge.identify.chain import CircuitBreaker, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_and_probes_once_after_the_reset_time() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, reset_s=30.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    breaker.record_success()  # a success in between: failures must be consecutive
    for _ in range(3):
        assert breaker.state is CircuitState.CLOSED and breaker.allow()
        breaker.record_failure()
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    clock.now = 29.9
    assert not breaker.allow()
    clock.now = 30.0
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow()  # the one probe...
    assert not breaker.allow()  # ...and no second caller while it is out
    breaker.record_failure()  # the probe failed: open for another reset period
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    clock.now = 60.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()
