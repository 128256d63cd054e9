"""Render settings as TOML (with ``tomlkit``): the commented example file and ``config show``.

``config show`` redacts secrets (``SecretStr`` values) and the passwords inside URLs (an RTSP
camera's ``rtsp://user:pass@host``, see :func:`edge.log.redact_urls`). The example shows every
key of every section with its default and description, and after them, commented out, every
other plug-in of a ``type``-selected section (the other camera sources, every cloud backend),
so that each of their keys is documented too.
"""

from __future__ import annotations

import typing
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel, SecretStr
from tomlkit.items import AoT, Table

from edge.config.settings import Settings
from edge.log import REDACTED, redact_urls

Container = tomlkit.TOMLDocument | Table


def _plain(value: Any) -> Any:
    """A TOML-able value: secrets and URL passwords redacted, durations as ISO 8601."""
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return redact_urls(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):  # inline: {} stays a key, not an empty [table]
        table = tomlkit.inline_table()
        table.update({str(k): _plain(v) for k, v in value.items()})
        return table
    if isinstance(value, bool | int | float):
        return value
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def _iso_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"P{days}D" + (f"T{rest}S" if rest else "")


def _is_models(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, BaseModel) for v in value)


def _fill(container: Container, model: BaseModel, commented: bool) -> None:
    """Keys of ``model``, then its sub-tables (TOML needs that order); None = a ``# key =`` line."""
    fields = type(model).model_fields
    values = {name: getattr(model, name, None) for name in fields}
    for name, value in values.items():
        if isinstance(value, BaseModel) or _is_models(value):
            continue
        description = fields[name].description
        if commented and description:
            container.add(tomlkit.comment(description))
        if value is None:
            container.add(tomlkit.comment(f"{name} ="))
        else:
            container.add(name, _plain(value))
    for name, value in values.items():
        if isinstance(value, BaseModel):
            container.add(name, _table(value, commented))
        elif isinstance(value, list) and _is_models(value):
            container.add(name, AoT([_table(item, commented) for item in value]))


def _table(model: BaseModel, commented: bool) -> Table:
    table = tomlkit.table()
    _fill(table, model, commented)
    return table


def _plugin_members(annotation: Any) -> tuple[type[BaseModel], ...]:
    """The models of a ``type``-selected field (``A | B``, also inside ``Annotated`` or ``list``)."""
    while typing.get_origin(annotation) in (typing.Annotated, list):
        annotation = typing.get_args(annotation)[0]
    members = tuple(m for m in typing.get_args(annotation)
                    if isinstance(m, type) and issubclass(m, BaseModel) and "type" in m.model_fields)
    return members if len(members) > 1 else ()


def _other_plugins(model: BaseModel, path: tuple[str, ...]) -> list[str]:
    """TOML of every plug-in not chosen in ``model`` (recursively), one block per plug-in."""
    blocks: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        members = _plugin_members(field.annotation)
        chosen = {type(v) for v in (value if isinstance(value, list) else [value])}
        for member in members:
            if member in chosen:
                continue
            instance = member.model_construct()
            table = _table(instance, commented=True)
            item: Table | AoT = AoT([table]) if isinstance(value, list) else table
            blocks.append(_nested(path + (name,), item))
        if isinstance(value, BaseModel):
            blocks += _other_plugins(value, path + (name,))
    return blocks


def _nested(path: tuple[str, ...], item: Table | AoT) -> str:
    document = tomlkit.document()
    container: Container = document
    for key in path[:-1]:
        outer = tomlkit.table(is_super_table=True)
        container.add(key, outer)
        container = outer
    container.add(path[-1], item)
    return tomlkit.dumps(document).strip("\n")


def render(settings: Settings, *, commented: bool) -> str:
    document = tomlkit.document()
    if commented:
        for line in (
            "Edge face-door appliance: example configuration.",
            "Every key is optional; shown here with its default, except three shown as an installed",
            "appliance has them: device.id (default: the host name; give each door its own),",
            "service.state_dir and vision.models_dir. Environment variables override the file:",
            "EDGE_<SECTION>__<KEY>, e.g. EDGE_MQTT__HOST=broker.local.",
            "Secrets can come from files: password_file, secret_key_file, ...",
        ):
            document.add(tomlkit.comment(line))
    _fill(document, settings, commented)
    text = tomlkit.dumps(document).lstrip("\n")
    if commented:
        text += "\n# " + "-" * 96 + "\n"
        text += ("# The other plug-ins, with their keys: uncomment one to use it instead of the one\n"
                 "# chosen above ([[identify.backends]]: in addition, in failover order).\n")
        for block in _other_plugins(settings, ()):
            text += "\n" + "\n".join(f"# {line}".rstrip() for line in block.splitlines()) + "\n"
    return text


def example_settings(source: str = "opencv") -> Settings:
    """Defaults, with the machine-dependent ones replaced by the installed appliance's values;
    ``source``: the frame source plug-in whose keys the example shows (its ``type``)."""
    return Settings.model_validate(
        {
            "device": {"id": "door-1"},
            "camera": {"source": {"type": source}},
            "service": {"state_dir": "/var/lib/edge"},
            "vision": {"models_dir": "/opt/edge/models"},
        }
    )
