"""``edge``: the appliance's single command, with lazily imported subcommands.

Each subcommand lives in its own module and is imported only when used, so ``edge config check``
does not load onnxruntime and a missing optional dependency only affects its own command.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from edge import __version__
from edge.config.settings import Settings, load_settings
from edge.errors import EdgeError, UserError
from edge.log import setup_logging

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "bench": "edge.cli.bench_cmd:bench",
    "config": "edge.cli.config_cmd:config",
    "doctor": "edge.cli.doctor_cmd:doctor",
    "door": "edge.cli.door_cmd:door",
    "emulate": "edge.cli.emulate_cmd:emulate",
    "pad": "edge.cli.pad_cmd:pad",
    "people": "edge.cli.people_cmd:people",
    "run": "edge.cli.run_cmd:run",
    "ui": "edge.cli.ui_cmd:ui",
    **{name: f"edge.cli.eval_cmd:{name}_cmd" for name in ("eval", "calibrate")},
    **{name: f"edge.cli.vision_cmds:{name}" for name in ("compare", "detect", "embed")},
}


class LazyGroup(click.Group):
    """Subcommands imported only when used, from a name -> "module:attribute" map."""

    def lazy_commands(self) -> dict[str, str]:
        return COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_commands().get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


class AppContext:
    """What every subcommand gets: the config path and the settings, loaded on first use."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
            setup_logging(self._settings.service.log_level)
        return self._settings


pass_app = click.make_pass_decorator(AppContext)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML settings file (default: $EDGE_CONFIG, else /etc/edge/edge.toml if present).",
)
@click.version_option(__version__, prog_name="edge")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Edge face-recognition access control for a door or kiosk.

    Run with no subcommand to show the version and check the settings.
    """
    ctx.obj = AppContext(config)
    if ctx.invoked_subcommand is None:
        settings = ctx.obj.settings
        click.echo(f"edge {__version__}: settings OK (device {settings.device.id}, "
                   f"door {settings.device.door}, backends "
                   f"{', '.join(b.type for b in settings.identify.backends)})")
        click.echo("Run 'edge --help' for the commands.")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one clear message per line and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="edge", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except UserError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        sys.exit(2)
    except EdgeError as exc:  # the world (camera, broker, cloud, a model file) let us down
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:  # a subcommand's ctx.exit(N) comes back as its value
        sys.exit(code)
