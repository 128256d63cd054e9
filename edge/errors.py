"""Every exception type the appliance raises, in one place.

    EdgeError
    ├── UserError            the user caused it: bad config, bad input. Clear message, exit 2.
    │   ├── ConfigError      a setting is invalid; carries one line per problem
    │   └── BadInput         an image or request that cannot be used
    │       ├── BadImage     not an image, truncated, empty, absurd dimensions
    │       └── UnsupportedFrame  a camera frame layout with no safe conversion to BGR
    ├── WorldError           the world caused it: camera gone, broker down, cloud slow.
    │   │                    Retried, reported, survived.
    │   ├── SourceUnavailable
    │   ├── CameraFailed     the camera is gone for good: the service exits, systemd restarts it
    │   ├── BackendUnavailable   a cloud that times out, refuses or answers 5xx
    │   ├── ModelError       a model file is missing or altered (refuse to start)
    │   └── StoreError       a local database failed (disk full, I/O error, newer schema)
    │       └── DamagedStore the database file is damaged
    └── RemoteError          a remote service reported a documented error code;
                             each backend subclasses it per code family
"""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every error the appliance raises on purpose."""


class UserError(EdgeError):
    """Caused by the user: the message says what to fix. The CLI exits with code 2."""


class ConfigError(UserError):
    """The settings are invalid: one line per problem, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class BadInput(UserError):
    """An input (image, request, file) that cannot be used."""


class BadImage(BadInput):
    """Not a decodable, sane image."""


class UnsupportedFrame(BadInput):
    """A camera frame layout (dtype, channels) the appliance cannot turn into BGR without guessing."""


class WorldError(EdgeError):
    """Caused by the world; callers retry, report and carry on."""


class SourceUnavailable(WorldError):
    """A frame source (camera, stream, file) cannot deliver frames right now."""


class CameraFailed(WorldError):
    """The camera stayed unavailable past its reopen deadline, or failed unexpectedly (driver)."""


class BackendUnavailable(WorldError):
    """An identification backend cannot answer now (timeout, refused, 5xx, circuit open)."""


class ModelError(WorldError):
    """A model file is missing or does not match its recorded sha256."""


class StoreError(WorldError):
    """A local SQLite store cannot be opened, read or written."""


class SealBroken(StoreError):
    """A sealed (AES-GCM) blob fails authentication: altered, moved to another record, or another key."""


class DamagedStore(StoreError):
    """A store's file is damaged (``PRAGMA quick_check`` or SQLite's "malformed")."""

    def __init__(self, name: str, path: object, detail: str) -> None:
        self.name = name
        self.path = path
        super().__init__(f"{name} {path} is damaged ({detail})")


class RemoteError(EdgeError):
    """A remote service answered with a documented error code."""

    def __init__(self, code: int | str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else str(code))
