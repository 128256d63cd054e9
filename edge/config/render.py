"""Render settings as TOML: the commented example file and ``config show`` (secrets redacted)."""

from __future__ import annotations

import json
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from edge.config.settings import Settings

REDACTED = "<redacted>"


def _toml_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return json.dumps(REDACTED)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, timedelta):
        return json.dumps(_iso_duration(value))
    if isinstance(value, Path | Enum):
        return json.dumps(str(value.value if isinstance(value, Enum) else value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def _iso_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"P{days}D" + (f"T{rest}S" if rest else "")


def _render_model(
    model: BaseModel, path: str, lines: list[str], commented: bool, *, header: bool = True
) -> None:
    """Scalars of ``model`` under ``[path]``, then its sub-tables (TOML needs that order).

    ``header=False`` for an element of an array of tables, already headed by ``[[path]]``.
    """
    tables: list[tuple[str, BaseModel | list[BaseModel]]] = []
    body: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            tables.append((f"{path}.{name}" if path else name, value))
            continue
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            tables.append((f"{path}.{name}" if path else name, value))
            continue
        if commented and field.description:
            body.append(f"# {field.description}")
        if value is None:
            body.append(f"# {name} =")
        else:
            body.append(f"{name} = {_toml_value(value)}")
    if header and body:
        lines += ["", f"[{path}]"]
    lines += body
    for table_path, table in tables:
        if isinstance(table, list):
            for item in table:
                lines += ["", f"[[{table_path}]]"]
                _render_model(item, table_path, lines, commented, header=False)
        else:
            _render_model(table, table_path, lines, commented)


def render(settings: Settings, *, commented: bool) -> str:
    lines: list[str] = []
    if commented:
        lines += [
            "# Edge face-door appliance: example configuration.",
            "# Every key is optional; shown here with its default. Environment variables override",
            "# the file: EDGE_<SECTION>__<KEY>, e.g. EDGE_MQTT__HOST=broker.local.",
            "# Secrets can come from files: password_file, secret_key_file, ...",
        ]
    _render_model(settings, "", lines, commented)
    return "\n".join(lines).lstrip("\n") + "\n"


def example_settings() -> Settings:
    """Defaults, with the machine-dependent ones replaced by the installed appliance's values."""
    return Settings.model_validate(
        {
            "device": {"id": "door-1"},
            "service": {"state_dir": "/var/lib/edge"},
            "vision": {"models_dir": "/opt/edge/models"},
        }
    )
