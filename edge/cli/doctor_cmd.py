"""``edge doctor``: check the camera, models, disk, gallery, broker, clouds and clock."""

from __future__ import annotations

import logging
import sys

import click

from edge.cli.main import AppContext, pass_app
from edge.service.doctor import CHECK_NAMES, render_table, run_checks


@click.command()
@click.option("--only", "only", multiple=True, type=click.Choice(CHECK_NAMES),
              help="Run only this check (repeatable).")
@click.option("--skip", "skip", multiple=True, type=click.Choice(CHECK_NAMES),
              help="Leave this check out (repeatable).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=15.0, show_default=True,
              help="Seconds before a check that hangs counts as failed.")
@pass_app
def doctor(app: AppContext, only: tuple[str, ...], skip: tuple[str, ...], timeout_s: float) -> None:
    """Check everything the service needs; a table with a fix per failed line.

    Exit code 0 when nothing failed (warnings allowed), 1 when a check failed.
    """
    names = [n for n in (only or CHECK_NAMES) if n not in skip]
    settings = app.settings
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per probe is noise here
    results = run_checks(settings, names, timeout_s=timeout_s)
    click.echo(render_table(results))
    failed = [r.check for r in results if r.failed]
    if failed:
        click.echo(f"\n{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        sys.exit(1)  # not click's Exit: edge's main() runs click outside standalone mode
    click.echo("\nall checks passed")
