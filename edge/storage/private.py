"""Files only the service's user may read: state holds names, embeddings and faces.

systemd's ``UMask=0077`` covers the service; these helpers give the same result when the
appliance or a command runs outside it (a developer's shell, ``sudo -u edge edge people ...``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) readable by the owner only; existing ones are kept."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            created.mkdir(mode=0o700)
            created.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened: set it


def create_private(path: Path, data: bytes = b"") -> None:
    """Create ``path`` readable by the owner only (never widened by the umask); raises if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
