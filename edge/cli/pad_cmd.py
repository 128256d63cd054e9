"""``edge pad calibrate``: set the PAD operating point for this camera, light and site."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from edge.cli.main import AppContext, pass_app
from edge.config.settings import Settings
from edge.errors import BadInput

FOLDER = click.Path(path_type=Path, file_okay=False)
FILE = click.Path(path_type=Path, dir_okay=False)


@click.group(name="pad")
def pad() -> None:
    """Presentation-attack detection (printed photos, screens) at this door."""


def _record(settings: Settings, kind: str, tracks: int, frames: int) -> list[list[np.ndarray]]:
    """Tracks from the configured camera, kept in memory only (faces are never written)."""
    from edge.capture import open_source
    from edge.capture.reader import FrameReader

    instructions = {
        "bona fide": "stand in front of the camera as you would to enter, and move naturally",
        "attack": "hold a printed photo or a phone showing a face in front of the camera and move it",
    }
    recorded = []
    reader = FrameReader(open_source(settings.camera), reopen_initial_s=settings.camera.reopen_initial_s,
                         reopen_max_s=settings.camera.reopen_max_s).start()
    try:
        for k in range(tracks):
            click.prompt(f"{kind} track {k + 1}/{tracks}: {instructions[kind]}; press Enter to record",
                         default="", show_default=False, err=True)
            images: list[np.ndarray] = []
            while len(images) < frames:
                frame = reader.next(timeout=2.0)
                if frame is None:
                    if reader.ended or not reader.stats.connected:
                        raise BadInput(f"the camera gives no frames: {reader.stats.last_error or 'ended'}")
                    continue
                images.append(frame.image)
            recorded.append(images)
    finally:
        reader.stop()
    return recorded


@pad.command()
@click.option("--bona-fide", "bona_fide", type=FOLDER, default=None,
              help="Bona fide tracks from a folder (one sub-folder per track) instead of the camera.")
@click.option("--attacks", type=FOLDER, default=None,
              help="Attack tracks from a folder instead of the camera.")
@click.option("--tracks", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Tracks of each kind to record from the camera.")
@click.option("--bpcer", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Largest share of bona fide tracks the door may reject.")
@click.option("--out", type=FILE, default=None,
              help="Site file (default: vision.pad.site_file, else <state_dir>/pad-site.json).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def calibrate(app: AppContext, bona_fide: Path | None, attacks: Path | None, tracks: int, bpcer: float,
              out: Path | None, as_json: bool) -> None:
    """Record the installer's bona fide tracks and attack tracks, set the operating point (the
    strictest one keeping BPCER at or below --bpcer) and print APCER/BPCER before and after."""
    from edge.eval.pad import calibrate_offset, pad_frames, read_track, track_folders, track_score
    from edge.vision.pad.site import load_offset, save_site, site_path
    from edge.vision.pad.stage import PadStage
    from edge.vision.pipeline import FaceAnalyzer

    settings = app.settings
    pad_settings = settings.vision.pad
    target = out or site_path(pad_settings, settings.service.state_dir)
    current = load_offset(target)
    stage = PadStage.from_settings(pad_settings, current)
    analyzer = FaceAnalyzer(settings.vision)
    pixels = settings.vision.max_image_pixels

    def scores(folder: Path | None, kind: str) -> list[float]:
        clips = ([read_track(f, pixels) for f in track_folders(folder)] if folder
                 else _record(settings, kind, tracks, pad_settings.max_frames))
        return [track_score(stage, pad_frames(clip, analyzer.detect)) for clip in clips]

    record = calibrate_offset(scores(bona_fide, "bona fide"), scores(attacks, "attack"), current, bpcer)
    try:
        save_site(target, record["offset"], record)
    except OSError as exc:
        raise BadInput(f"{target}: cannot write the site file: {exc}") from exc
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    lines = [f"{record['n_bona_fide']} bona fide and {record['n_attacks']} attack tracks"]
    for label in ("before", "after"):
        point = record[label]
        lines.append(f"{label:<6} (offset {point['offset']:+.3f}): APCER {point['apcer']:.3f}  "
                     f"BPCER {point['bpcer']:.3f}")
    click.echo("\n".join([*lines, f"wrote {target}"]))
