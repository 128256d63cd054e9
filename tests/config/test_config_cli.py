"""`edge config ...` end to end, through the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from pydantic import BaseModel

from edge.config.render import example_settings, render
from edge.config.settings import load_settings
from edge.errors import ConfigError


def run_edge(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], capture_output=True, text=True, env=full_env,
        timeout=60,
    )


def test_check_names_wrong_type_and_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[mqtt]\nport = "not-a-port"\ncolour = "blue"\n')
    result = run_edge("--config", str(config), "config", "check")
    assert result.returncode == 2
    assert "mqtt.port:" in result.stderr and "not-a-port" in result.stderr
    assert "mqtt.colour: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_accepts_valid_file_and_env_overrides(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[device]\nid = "door-7"\n[mqtt]\nport = 1884\n')
    assert run_edge("--config", str(config), "config", "check").returncode == 0
    shown = run_edge("--config", str(config), "config", "show", env={"EDGE_MQTT__PORT": "1999"})
    assert shown.returncode == 0
    data = tomllib.loads(shown.stdout)
    assert data["mqtt"]["port"] == 1999
    assert data["device"]["id"] == "door-7"


def test_bad_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[mqtt\nport = 1\n")
    result = run_edge("--config", str(broken), "config", "check")
    assert result.returncode == 2 and "not valid TOML" in result.stderr
    result = run_edge("--config", str(tmp_path / "absent.toml"), "config", "check")
    assert result.returncode == 2 and "not found" in result.stderr


def test_show_never_prints_secrets(tmp_path: Path) -> None:
    secret_file = tmp_path / "mqtt.pass"
    secret_file.write_text("file-secret-9f8e7d\n")
    config = tmp_path / "edge.toml"
    config.write_text(
        '[[identify.backends]]\ntype = "youtu"\nsecret_key = "toml-secret-1a2b3c"\n'
        f'[mqtt]\npassword_file = "{secret_file}"\n'
    )
    result = run_edge(
        "--config", str(config), "config", "show", env={"EDGE_MQTT__DOOR_SECRET": "env-secret-4d5e"}
    )
    assert result.returncode == 0, result.stderr
    for secret in ("toml-secret-1a2b3c", "file-secret-9f8e7d", "env-secret-4d5e"):
        assert secret not in result.stdout + result.stderr
    assert "<redacted>" in result.stdout


def test_secret_in_invalid_value_is_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[mqtt]\npassword = 12345678\n')
    result = run_edge("--config", str(config), "config", "check")
    assert result.returncode == 2
    assert "12345678" not in result.stderr


def test_example_is_in_step_with_the_model(tmp_path: Path) -> None:
    """The example parses back to the defaults and names every key of every section."""
    text = render(example_settings(), commented=True)
    example = tmp_path / "example.toml"
    example.write_text(text)
    loaded = load_settings(example)
    assert loaded == example_settings()
    written = run_edge("config", "example")
    assert written.stdout == text

    def keys(model: BaseModel, prefix: str) -> set[str]:
        names = set()
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, BaseModel):
                names |= keys(value, f"{prefix}{name}.")
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                assert f"[[{prefix}{name}]]" in text
                names |= keys(value[0], f"{prefix}{name}.")
            else:
                names.add(f"{prefix}{name}")
        return names

    for key in keys(example_settings(), ""):
        leaf = key.rsplit(".", 1)[-1]
        assert f"{leaf} =" in text, f"{key} missing from the example"


def test_invalid_backend_type_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, identify={"backends": [{"type": "nope"}]})
    assert info.value.problems[0].startswith("identify.backends.0:")
    with pytest.raises(ConfigError) as info2:
        load_settings(None, access={"max_false_accept": 2})
    assert any(line.startswith("access.max_false_accept:") for line in info2.value.problems)
