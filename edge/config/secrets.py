"""Secrets that may come from a value or from a file (``*_file`` keys)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from edge.errors import ConfigError
from edge.log import register_secret


def resolve_secret(value: SecretStr | None, file: Path | None, key: str) -> str | None:
    """The secret's text: the file's content (stripped) if ``file`` is set, else ``value``.

    ``key`` names the setting in error messages, e.g. ``mqtt.password``.
    """
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError([f"{key}_file: cannot read {file}: {exc.strerror}"]) from exc
    elif value is not None:
        text = value.get_secret_value()
    else:
        return None
    register_secret(text)
    return text
