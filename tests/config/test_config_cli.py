"""`edge config ...` end to end, through the real console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import tomllib
from pydantic import BaseModel

from edge.config.render import example_settings, render
from edge.config.secrets import resolve_secret
from edge.config.settings import Settings, load_settings
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


def test_a_retired_key_that_earlier_examples_wrote_is_ignored_with_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text("[vision.liveness]\nenabled = false\nmin_live = 0.1\n")
    result = run_edge("--config", str(config), "config", "check")
    assert result.returncode == 0, result.stderr
    assert "vision.liveness.min_live is retired and ignored" in result.stderr
    assert "min_live" not in run_edge("--config", str(config), "config", "show").stdout


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


def schema_keys(model: type[BaseModel], table: str) -> set[tuple[str, str]]:
    """(table, key) of every field of ``model`` and its sub-models, every member of a union."""
    found = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        while typing.get_origin(annotation) in (typing.Annotated, list):
            annotation = typing.get_args(annotation)[0]
        members = [a for a in (typing.get_args(annotation) or (annotation,))
                   if isinstance(a, type) and issubclass(a, BaseModel)]
        if members:
            for member in members:
                found |= schema_keys(member, f"{table}.{name}".lstrip("."))
        else:
            found.add((table, name))
    return found


_HEADER = re.compile(r"^(?:# )*\[\[?([\w.]+)\]\]?$")
_KEY = re.compile(r"^(?:# )*([a-z_][a-z0-9_]*) =")


def example_keys(text: str) -> set[tuple[str, str]]:
    """(table, key) of every key line, set or commented out (``# key =``, other plug-ins)."""
    found, table = set(), ""
    for line in text.splitlines():
        if header := _HEADER.match(line):
            table = header.group(1)
        elif key := _KEY.match(line):
            found.add((table, key.group(1)))
    return found


def test_example_is_in_step_with_the_model(tmp_path: Path) -> None:
    """The example parses back to the defaults and names every key of the model's full schema:
    every section, every camera source and every backend (set, or commented out)."""
    text = render(example_settings(), commented=True)
    example = tmp_path / "example.toml"
    example.write_text(text)
    assert load_settings(example) == example_settings()
    assert run_edge("config", "example").stdout == text
    missing = schema_keys(Settings, "") - example_keys(text)
    assert not missing, f"missing from the example: {sorted(missing)}"
    # each commented plug-in is valid TOML of its own model once uncommented
    blocks = text.split("\n\n")
    plugins = ["\n".join(line.removeprefix("# ") for line in block.splitlines())
               for block in blocks if block.startswith(("# [camera.source]", "# [[identify.backends]]"))]
    types = set()
    for plugin in plugins:
        parsed = tomllib.loads(plugin)
        section = parsed["camera"]["source"] if "camera" in parsed else parsed["identify"]["backends"][0]
        types.add(section["type"])
    assert types == {"picamera2", "folder", "youtu", "sensetime", "iai"}


def test_models_moved_in_the_example_move_every_model_with_them(tmp_path: Path) -> None:
    """Only [vision] models_dir names the models' folder: the texture PAD method follows it
    (a second path left at the example's value would stop `edge run` after `config check` passed)."""
    from edge.vision.pad.stage import PadStage

    models = Path(__file__).resolve().parents[2] / "models"
    text = render(example_settings(), commented=True).replace(
        'models_dir = "/opt/edge/models"', f'models_dir = "{models}"')
    assert text.count(f'models_dir = "{models}"') == 1
    example = tmp_path / "example.toml"
    example.write_text(text)
    vision = load_settings(example).vision
    assert any(m.type == "texture" for m in vision.pad.methods)
    PadStage.from_settings(vision.pad)  # every method's model found in the folder named once


def test_check_names_a_models_folder_without_the_models(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(f'[vision]\nmodels_dir = "{tmp_path / "empty"}"\n')
    result = run_edge("--config", str(config), "config", "check")
    assert result.returncode == 2 and "vision.models_dir:" in result.stderr and "calibration" in result.stderr


def test_show_and_doctor_redact_passwords_in_urls(tmp_path: Path) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[camera.source]\ntype = "opencv"\n'
                      'uri = "rtsp://admin:cam-pass-7c1d@127.0.0.1:1/stream?token=tok-9a8b"\n')
    shown = run_edge("--config", str(config), "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert tomllib.loads(shown.stdout)["camera"]["source"]["uri"] == \
        "rtsp://admin:<redacted>@127.0.0.1:1/stream?token=<redacted>"
    doctor = run_edge("--config", str(config), "doctor", "--only", "camera", "--timeout", "20")
    assert "127.0.0.1:1" in doctor.stdout + doctor.stderr  # the camera check named its source
    for secret in ("cam-pass-7c1d", "tok-9a8b"):
        assert secret not in shown.stdout + shown.stderr + doctor.stdout + doctor.stderr


def test_invalid_backend_type_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, identify={"backends": [{"type": "nope"}]})
    assert info.value.problems[0].startswith("identify.backends.0:")
    with pytest.raises(ConfigError) as info2:
        load_settings(None, access={"max_false_accept": 2})
    assert any(line.startswith("access.max_false_accept:") for line in info2.value.problems)


@pytest.mark.parametrize(("content", "env", "message"), [
    (b'[device]\nid = "d\xff"\n', {}, "not UTF-8 text"),
    (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", {}, "nested too deeply"),
    (b"", {"EDGE_ACCESS__GROUPS": "[staff"}, "EDGE_* variable is JSON"),
])
def test_broken_files_and_variables_are_clear_errors(
        tmp_path: Path, content: bytes, env: dict[str, str], message: str) -> None:
    """Issue #19 item 10: each of these was a raw traceback."""
    config = tmp_path / "edge.toml"
    config.write_bytes(content)
    result = run_edge("--config", str(config), "config", "check", env=env)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_password_file_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    secret = tmp_path / "mqtt.pass"
    secret.write_bytes(b"s3\xffcret")
    with pytest.raises(ConfigError, match=r"mqtt.password_file: .* is not UTF-8 text"):
        resolve_secret(None, secret, "mqtt.password")


def test_a_secret_file_may_come_from_systemds_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secrets_mqtt.pass").write_text("from-credential\n")
    file = Path("${CREDENTIALS_DIRECTORY}/secrets_mqtt.pass")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match="needs \\$CREDENTIALS_DIRECTORY"):
        resolve_secret(None, file, "mqtt.password")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert resolve_secret(None, file, "mqtt.password") == "from-credential"
