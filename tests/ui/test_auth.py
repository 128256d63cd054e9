"""The console's password file, sessions and login limits, on their own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.errors import BadInput, ConfigError
from edge.ui.auth import (
    LoginLimiter,
    Sessions,
    password_matches,
    read_password_hash,
    write_password_file,
)
from tests.support.cli import run_edge


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_password_file_holds_an_owner_only_argon2id_hash(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ui-password"
    write_password_file(path, "a long enough password")
    stored = read_password_hash(path)
    assert stored is not None and stored.startswith("$argon2id$")
    assert "a long enough password" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password_matches(stored, "a long enough password")
    assert not password_matches(stored, "a long enough passwore")
    write_password_file(path, "another long password")  # replaced, not appended
    assert password_matches(read_password_hash(path) or "", "another long password")


def test_short_passwords_and_foreign_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="at least"):
        write_password_file(tmp_path / "p", "short")
    assert read_password_hash(tmp_path / "missing") is None
    (tmp_path / "plain").write_text("hunter2hunter2\n")
    with pytest.raises(ConfigError, match="no argon2 hash"):
        read_password_hash(tmp_path / "plain")
    assert not password_matches("not a hash", "anything")


def test_sessions_expire_and_close() -> None:
    clock = Clock()
    sessions = Sessions(60, clock=clock)
    session_id, session = sessions.open("admin")
    assert sessions.get(session_id) is session and len(session.csrf) >= 40
    assert sessions.get("guessed") is None and sessions.get(None) is None
    clock.now += 61
    assert sessions.get(session_id) is None
    other, _ = sessions.open("admin")
    sessions.close(other)
    assert sessions.get(other) is None


def test_limiter_blocks_a_client_for_the_rest_of_the_window() -> None:
    clock = Clock()
    limiter = LoginLimiter(3, 300, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") == 0
        limiter.failed("10.0.0.1")
        clock.now += 10
    assert limiter.retry_after("10.0.0.1") == pytest.approx(300 - 30)
    assert limiter.retry_after("10.0.0.2") == 0  # another client is not punished...
    clock.now += 271
    assert limiter.retry_after("10.0.0.1") == 0  # ...and the first may try again later


def test_limiter_bounds_failures_from_many_clients() -> None:
    clock = Clock()
    limiter = LoginLimiter(2, 300, clock=clock)
    for n in range(8):  # 4 x 2 failures spread over eight addresses
        limiter.failed(f"10.0.0.{n}")
    assert limiter.retry_after("10.0.0.99") > 0


def test_edge_ui_password_writes_the_configured_file(tmp_path: Path, default_env: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "console.hash"
    monkeypatch.setenv("EDGE_UI__PASSWORD_FILE", str(target))
    code, out, err = run_edge(capsys, "ui", "password", "--password", "zebra-violin-4711")
    assert code == 0, err
    assert str(target) in out and "zebra-violin-4711" not in out
    assert password_matches(read_password_hash(target) or "", "zebra-violin-4711")
