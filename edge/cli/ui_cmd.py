"""``edge ui``: the web console's admin password."""

from __future__ import annotations

import click

from edge.cli.main import AppContext, pass_app


@click.group()
def ui() -> None:
    """The web console (served on the /healthz port once a password is set)."""


@ui.command()
@click.password_option(prompt="Console password", help="Read from the terminal (twice) when not given.")
@pass_app
def password(app: AppContext, password: str) -> None:
    """Set the admin password: its argon2id hash goes to ui.password_file (0600).

    The running service reads it at start: restart it (systemctl restart edge) to turn the
    console on or to change the password.
    """
    from edge.ui.auth import write_password_file

    settings = app.settings
    path = settings.ui_password_path
    write_password_file(path, password)
    click.echo(f"wrote the console password's hash to {path}; user {settings.ui.user}; "
               f"restart the service, then open http://{settings.service.health_host}:"
               f"{settings.service.health_port}/login")
