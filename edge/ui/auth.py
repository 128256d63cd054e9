"""Who may use the console: the admin password (argon2id), sessions, CSRF tokens, login limits.

Sessions live in memory only (a restart logs everyone out): the cookie holds a random 256-bit
session id, ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` when the request came over TLS.
Every form and htmx request carries the session's CSRF token (synchronizer-token pattern); the
login form, which has no session yet, uses a double-submit token.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edge.errors import BadInput, ConfigError

SESSION_COOKIE = "edge_session"
LOGIN_CSRF_COOKIE = "edge_login_csrf"
MIN_PASSWORD_LENGTH = 10  # NIST SP 800-63B asks for at least 8; a door deserves a little more

_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 "low memory" defaults


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password``; BadInput if it is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"the console password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def write_password_file(path: Path, password: str) -> None:
    """Store the hash of ``password`` at ``path``, readable by the owner only (replacing any)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(hash_password(password) + "\n")
    temporary.replace(path)


def read_password_hash(path: Path) -> str | None:
    """The stored hash, None when no password was set; ConfigError if the file is not a hash."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"ui.password_file: cannot read {path}: {exc}"]) from exc
    if not text.startswith("$argon2"):
        raise ConfigError([f"ui.password_file: {path} holds no argon2 hash (write it with "
                           "'edge ui password')"])
    return text


def password_matches(stored_hash: str, password: str) -> bool:
    """Constant-time argon2 verification (~50 ms of CPU and 64 MiB by design)."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass
class Session:
    user: str
    csrf: str
    expires: float


@dataclass
class Sessions:
    """Live sessions by id; expired ones are dropped when met."""

    max_age_s: float
    clock: Callable[[], float] = time.monotonic
    _by_id: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, user: str) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), self.clock() + self.max_age_s)
        with self._lock:
            self._by_id[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._by_id.get(session_id)
            if session is not None and session.expires <= self.clock():
                del self._by_id[session_id]
                return None
            return session

    def close(self, session_id: str | None) -> None:
        with self._lock:
            self._by_id.pop(session_id or "", None)


class LoginLimiter:
    """At most ``attempts`` failed logins per client per ``window_s``, and 4x that in total.

    The total bound holds off a guesser spread over many addresses; a success does not reset
    it, so a guesser cannot launder attempts through one good login.
    """

    def __init__(self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def retry_after(self, client: str) -> float:
        """Seconds before ``client`` may try again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(self._failures.get(client), self.attempts, now),
                     self._wait(self._all, 4 * self.attempts, now)]
        return max(waits)

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            self._failures.setdefault(client, deque()).append(now)
            self._all.append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _wait(self, failures: deque[float] | None, limit: int, now: float) -> float:
        if failures is None:
            return 0.0
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if len(failures) < limit:
            return 0.0
        return self.window_s - (now - failures[0])
