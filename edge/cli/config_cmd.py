"""``edge config``: show, check and write an example of the settings."""

from __future__ import annotations

from pathlib import Path

import click

from edge.cli.main import AppContext, pass_app
from edge.config.render import example_settings, render


@click.group()
def config() -> None:
    """Inspect and validate the settings."""


@config.command()
@pass_app
def show(app: AppContext) -> None:
    """Print the effective settings as TOML, secrets redacted."""
    click.echo(render(app.settings, commented=False), nl=False)


@config.command()
@pass_app
def check(app: AppContext) -> None:
    """Validate the settings: exit 0 if valid, 2 with one line per problem if not."""
    from edge.errors import ConfigError, ModelError
    from edge.identify.policy_check import policy_problems

    settings = app.settings
    try:
        problems = policy_problems(settings)
    except ModelError as exc:  # the policy is judged on the models' tables: the folder is at fault
        raise ConfigError([f"vision.models_dir: {exc}"]) from exc
    if problems:
        raise ConfigError(problems)
    click.echo(f"settings OK ({app.config or 'defaults and environment'}; device {settings.device.id})")


@config.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
@click.option("--source", type=click.Choice(["opencv", "picamera2", "folder"]), default="opencv",
              show_default=True, help="The frame source whose keys [camera.source] shows.")
def example(output: Path | None, source: str) -> None:
    """Write a commented example settings file with every key and its default."""
    text = render(example_settings(source), commented=True)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
