"""Secrets that may come from a value or from a file (``*_file`` keys).

Under systemd the unit loads ``/etc/edge/secrets`` as credentials (``LoadCredential=``): a
``*_file`` key may then read ``$CREDENTIALS_DIRECTORY/secrets_<file>`` (or ``${...}``), which
lets the files on disk be root's alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import SecretStr

from edge.errors import ConfigError
from edge.log import register_secret


def resolve_secret(value: SecretStr | None, file: Path | None, key: str) -> str | None:
    """The secret's text: the file's content (stripped) if ``file`` is set, else ``value``.

    ``key`` names the setting in error messages, e.g. ``mqtt.password``.
    """
    if file is not None:
        file = _credentials_path(file, key)
        try:
            text = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError([f"{key}_file: cannot read {file}: {exc.strerror}"]) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{key}_file: {file} is not UTF-8 text (byte {exc.start})"]) from exc
    elif value is not None:
        text = value.get_secret_value()
    else:
        return None
    register_secret(text)
    return text


_CREDENTIALS = re.compile(r"\$(?:CREDENTIALS_DIRECTORY\b|\{CREDENTIALS_DIRECTORY\})")


def _credentials_path(file: Path, key: str) -> Path:
    """``file`` with ``$CREDENTIALS_DIRECTORY`` replaced by systemd's credentials directory."""
    text = str(file)
    if not _CREDENTIALS.search(text):
        return file
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        raise ConfigError([f"{key}_file: {text} needs $CREDENTIALS_DIRECTORY, which systemd sets "
                           "for the service (LoadCredential=); outside it, point the setting at "
                           "the file itself, e.g. EDGE_MQTT__PASSWORD_FILE=/etc/edge/secrets/..."])
    return Path(_CREDENTIALS.sub(lambda _: directory, text))
