"""``edge door``: the door agent, which opens the lock relay on signed door commands."""

from __future__ import annotations

import atexit
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from edge.cli.main import AppContext, pass_app
from edge.events.door import DoorAgent, fail_unlocked
from edge.events.relay import GpioRelay, Relay, SimulatedRelay


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Use a simulated relay (no GPIO): state changes are logged and journalled.")
@click.option("--journal", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="With --dry-run: append every relay state change (locked/unlocked) to this file.")
@pass_app
def door(app: AppContext, dry_run: bool, journal: Path | None) -> None:
    """Run the door agent: execute signed, fresh, first-seen commands from <prefix>/door/command.

    The relay starts and stops in the fail state of door.fail_mode (also on SIGTERM and on a
    crash), and is locked at rest while the agent is connected.
    """
    settings = app.settings
    initial = fail_unlocked(settings)
    relay: Relay = SimulatedRelay(initial_unlocked=initial, journal=journal) if dry_run else GpioRelay(
        settings.door.relay_pin, active_high=settings.door.active_high, initial_unlocked=initial
    )
    try:
        agent = DoorAgent(settings, relay)
    except BaseException:
        relay.close()
        raise
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(agent.fail)  # a crash that skips the finally below still fails the relay
    agent.start()
    click.echo(f"door agent: {'simulated relay' if dry_run else f'relay on GPIO {settings.door.relay_pin}'}, "
               f"fail mode {settings.door.fail_mode}, commands on {agent.topics.door_command}")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        agent.stop()
        atexit.unregister(agent.fail)
        click.echo("door agent: stopped, relay in the fail state")
