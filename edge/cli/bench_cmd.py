"""``edge bench``: every benchmark, one runner (the modules are in :mod:`edge.eval.bench`).

Benchmarks are commands, not tests: they print figures (and budgets met or missed) for the docs,
measured on this machine. Each imports its models and libraries only when run.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from click.core import ParameterSource

from edge.cli.main import AppContext, pass_app


@click.group(name="bench", invoke_without_command=True)
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="onnxruntime threads per model (default: vision.threads).")
@click.option("--quick", is_flag=True, help="A few repeats and searches, 10 frames (a smoke test).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--cloud", "cloud_backend", type=click.Choice(["youtu", "iai", "sensetime"]), default=None,
              help="Run the cloud benchmark instead (the same as 'edge bench cloud BACKEND').")
@click.option("--cloud-latency-ms", type=click.FloatRange(0), default=300.0, show_default=True,
              help="With --cloud: the emulator answers this much later.")
@click.pass_context
@pass_app
def bench(app: AppContext, ctx: click.Context, threads: int | None, quick: bool, as_json: bool,
          cloud_backend: str | None, cloud_latency_ms: float) -> None:
    """Speed and memory on this machine. Without a subcommand: latency per stage, 1:N search,
    frames per second on the bundled clip, peak memory (--threads, --quick and --json are its);
    with --cloud BACKEND, the cloud benchmark."""
    if ctx.invoked_subcommand is not None:
        given = [name for name, value in (("--threads", threads), ("--quick", quick), ("--json", as_json),
                                          ("--cloud", cloud_backend)) if value]
        if given:  # silently dropped they would mislead: say where they belong
            raise click.UsageError(f"{', '.join(given)}: options of 'edge bench' itself; a subcommand's "
                                   f"options go after it (edge bench {ctx.invoked_subcommand} --help)")
        return
    if cloud_backend is None and ctx.get_parameter_source("cloud_latency_ms") is not ParameterSource.DEFAULT:
        raise click.UsageError("--cloud-latency-ms needs --cloud BACKEND")
    if cloud_backend is not None:
        ctx.invoke(cloud, backend=cloud_backend, latency_ms=cloud_latency_ms, quick=quick, as_json=as_json)
        return
    from edge.eval.bench.device import format_bench, run_bench
    from edge.vision.pipeline import FaceAnalyzer

    vision = app.settings.vision
    if threads is not None:
        vision = vision.model_copy(update={"threads": threads})
    figures = run_bench(FaceAnalyzer(vision), quick=quick, pad=vision.pad)
    click.echo(json.dumps(figures, indent=2) if as_json else format_bench(figures))


@bench.command()
@click.argument("clips", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False, exists=True))
def loop(clips: tuple[Path, ...]) -> None:
    """The whole loop on each clip, in real time then flat out, against the demo gallery: frames
    per second and dropped, first sighting to decision (one JSON line per run)."""
    from edge.eval.bench.loop import bench_clips

    for figures in bench_clips(list(clips)):
        click.echo(json.dumps(figures))


@bench.command()
@click.argument("backend", type=click.Choice(["youtu", "iai", "sensetime"]))
@click.option("--latency-ms", type=click.FloatRange(0), default=300.0, show_default=True,
              help="The emulator answers this much later.")
@click.option("--quick", is_flag=True, help="One play instead of five (a smoke test).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def cloud(app: AppContext, backend: str, latency_ms: float, quick: bool, as_json: bool) -> None:
    """The loop on the bundled clip asking BACKEND's emulator per track, answering late: cloud
    calls per approach, first sighting to grant and frames per second, beside the local gallery."""
    from edge.eval.bench.cloud import CLOUD_PLAYS, bench_cloud, format_cloud_bench

    figures = bench_cloud(app.settings, backend, latency_ms, plays=1 if quick else CLOUD_PLAYS)
    click.echo(json.dumps(figures, indent=2) if as_json else format_cloud_bench(figures))


@bench.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=1883, show_default=True)
@click.option("--samples", default=300, show_default=True, help="Events for the latency figures.")
@click.option("--events", default=2000, show_default=True, help="Backlog for the throughput figures.")
def mqtt(host: str, port: int, samples: int, events: int) -> None:
    """Decision-to-subscriber latency and outbox throughput against a broker."""
    from edge.eval.bench.mqtt import run_benchmark

    result = run_benchmark(host, port, samples=samples, events=events)
    click.echo(json.dumps(dataclasses.asdict(result), indent=2))


@bench.command()
@click.option("--photos", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="Also enroll these Name/*.jpg photos and report photos per second.")
@pass_app
def gallery(app: AppContext, photos: Path | None) -> None:
    """1:N search at 1k/10k/100k faces, memory per face, store and enrollment rates, with the
    budgets they must meet on a Raspberry Pi 4."""
    from edge.eval.bench.gallery import report
    from edge.vision.pipeline import FaceAnalyzer

    if photos is None:
        click.echo("\n".join(report()))
        return
    enrolled = sorted(photos.glob("*/*.jpg"))
    click.echo("\n".join(report(analyzer=FaceAnalyzer(app.settings.vision), photos=enrolled)))


@bench.command(name="live-view")
@click.option("--frames", type=click.IntRange(min=1), default=300, show_default=True,
              help="Frames per round.")
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Rounds per condition.")
@click.option("--port", type=click.IntRange(1, 65535), default=9879, show_default=True,
              help="Loopback port of the console.")
def live_view(frames: int, rounds: int, port: int) -> None:
    """The loop's frames per second without and with one live-view viewer (one JSON line)."""
    from edge.eval.bench.live_view import bench_live_view

    click.echo(json.dumps(bench_live_view(frames=frames, rounds=rounds, port=port)))
