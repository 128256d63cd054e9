"""``edge run``: the appliance's main job."""

from __future__ import annotations

import click

from edge.access.event import AccessEvent
from edge.cli.main import AppContext, pass_app


class ConsoleSink:
    """Decisions on the terminal as they happen."""

    def handle(self, event: AccessEvent) -> None:
        who = event.person_name or event.person_id or "unknown face"
        line = f"{event.time:%H:%M:%S} {event.decision.upper():8} {event.reason:16} {who}"
        if event.match:
            m = event.match
            line += (f"  [{m.backend} {m.score:.3f} vs {m.threshold:.3f} on {m.scale}, "
                     f"FAR {m.false_accept:.0e}{', offline' if m.offline else ''}]")
        line += f"  {event.frames_used} frames, {event.latency_ms or 0:.0f} ms, track {event.track}"
        click.secho(line, fg="green" if event.decision == "granted" else "yellow")

    def close(self) -> None:
        return None


@click.command()
@click.option("--max-frames", type=click.IntRange(min=1), default=None,
              help="Stop after this many frames (default: run until stopped or the clip ends).")
@click.option("--quiet", is_flag=True, help="Do not print decisions on the terminal.")
@pass_app
def run(app: AppContext, max_frames: int | None, quiet: bool) -> None:
    """Run the appliance: capture, recognize, decide, publish.

    With nothing configured it plays the bundled clip against a demo gallery on the local
    backend and prints each decision; MQTT events go to the configured broker (default
    127.0.0.1:1883) and wait in the durable outbox while it is away.
    """
    from edge.service.main import run as run_appliance

    frames = run_appliance(app.settings, extra_sinks=[] if quiet else [ConsoleSink()],
                           max_frames=max_frames)
    click.echo(f"processed {frames} frames")
