"""``edge eval pairs|identify|detect|split|pad|occlusion``, ``edge calibrate``: measuring instruments."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from edge.cli.main import AppContext, pass_app
from edge.config.settings import Settings
from edge.errors import BadInput
from edge.identify.local.calibration import (
    default_calibration_path,
    load_accuracy_threshold,
    load_calibration,
)
from edge.identify.thresholds import FarTable
from edge.vision.config import VisionSettings

if TYPE_CHECKING:
    from edge.vision.pipeline import FaceAnalyzer

FOLDER = click.Path(path_type=Path, file_okay=False)
FILE = click.Path(path_type=Path, dir_okay=False)
DEFAULT_LFW = Path("../shared/data/faces/lfw-view1")


def _analyzer(vision: VisionSettings) -> FaceAnalyzer:
    from edge.vision.pipeline import FaceAnalyzer  # onnxruntime only for the commands that run models

    return FaceAnalyzer(vision)


def _calibration_file(settings: Settings, calibration: Path | None) -> Path | None:
    """``--calibration``, else the local backend's configured table (None: the one next to the model)."""
    return calibration or settings.identify.local.calibration


def _table(settings: Settings, calibration: Path | None) -> FarTable:
    return load_calibration(_calibration_file(settings, calibration), settings.vision)


def _emit(report: dict[str, Any], as_json: bool, text: str) -> None:
    click.echo(json.dumps(report, indent=2) if as_json else text)


@click.group(name="eval")
def eval_cmd() -> None:
    """Measure recognition and detection on your own data (LFW-format pairs, folders, boxes)."""


@eval_cmd.command()
@click.option("--pairs", "pairs_file", type=FILE, required=True, help="LFW pair list (pairs.txt layout).")
@click.option("--images", type=FOLDER, required=True, help="Folder of Name/Name_NNNN.jpg.")
@click.option("--folds", type=click.IntRange(min=1), default=10, show_default=True,
              help="k-fold accuracy; 1 = a single split at --threshold, --calibrated, --far or the "
              "configured policy.")
@click.option("--threshold", type=float, default=None, help="Single split: this cosine threshold.")
@click.option("--calibrated", is_flag=True, help="Single split: the calibration's best balanced-accuracy "
              "threshold (calibrate on one list, test on another).")
@click.option("--far", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Single split: the calibration's threshold for this 1:1 false-accept rate.")
@click.option("--calibration", type=FILE, default=None, help="Calibration table (default: the configured).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--plot", type=FILE, default=None, help="ROC, DET and score histograms as PNG (matplotlib).")
@click.option("--all-impostors", is_flag=True, help="AUC, EER, TAR@FAR against every different-person "
              "pair of the listed images (supports far lower rates than the list's own pairs).")
@click.option("--no-cache", is_flag=True, help="Describe every image again (ignore the descriptor cache).")
@click.option("--strangers", type=FOLDER, default=None, help="Also: a folder of photos of different people "
              "(one photo or subfolder each); every pair is an impostor pair, scored at the calibration's "
              "cuts for 1e-3 and 1e-4 (another population than the calibration's).")
@pass_app
def pairs(app: AppContext, pairs_file: Path, images: Path, folds: int, threshold: float | None,
          calibrated: bool, far: float | None, calibration: Path | None, as_json: bool, plot: Path | None,
          all_impostors: bool, no_cache: bool, strangers: Path | None) -> None:
    """Face verification on an LFW pair list: accuracy, AUC, EER, TAR at FAR 1e-2 and 1e-3."""
    from edge.eval.embeddings import embed_set
    from edge.eval.pairs import read_pairs
    from edge.eval.verify import PairScores, format_report, verification_report

    chosen = [name for name, given in (("--threshold", threshold is not None), ("--calibrated", calibrated),
                                       ("--far", far is not None)) if given]
    if folds > 1 and chosen:
        raise click.UsageError(f"{chosen[0]} belongs to the single split (--folds 1)")
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    settings = app.settings
    listed = read_pairs(pairs_file, images)
    if calibrated:
        threshold = load_accuracy_threshold(_calibration_file(settings, calibration), settings.vision)
    elif folds == 1 and threshold is None:
        table = _table(settings, calibration)
        threshold = table.threshold_for(far if far is not None else settings.access.max_false_accept).score
    analyzer = _analyzer(settings.vision)
    described = embed_set(analyzer, [p for pair in listed for p in (pair.a, pair.b)], use_cache=not no_cache)
    v = described.vectors
    scores = PairScores.of(listed, lambda a, b: float(v[a] @ v[b]))
    pool = None
    if all_impostors:
        from edge.eval.calibrate import all_pair_scores

        matrix = np.stack(list(v.values()))
        pool = all_pair_scores(matrix @ matrix.T, [p.parent.name for p in v])[1]
    n_no_face = len(described.no_face)
    try:
        report = verification_report(scores, folds=folds, threshold=threshold, n_no_face=n_no_face,
                                     impostor_pool=pool)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    if plot is not None:
        from edge.eval.plots import plot_verification

        impostor = scores.impostor if pool is None else pool
        plot_verification(scores.genuine, impostor, plot, f"{pairs_file.name}: {len(listed)} pairs")
    text = format_report(report)
    if strangers is not None:
        from edge.eval.strangers import DEFAULT_RATES, format_strangers, stranger_photos, stranger_report

        identities = stranger_photos(strangers)
        seen = embed_set(analyzer, list(identities), use_cache=not no_cache)
        report["strangers"] = stranger_report(seen.vectors, identities, _table(settings, calibration),
                                              DEFAULT_RATES, no_face=seen.no_face)
        text += "\n" + format_strangers(report["strangers"], strangers)
    _emit(report, as_json, text)


@eval_cmd.command()
@click.option("--gallery", type=FOLDER, required=True, help="Folder of Identity/*.jpg to enroll.")
@click.option("--probes", type=FOLDER, required=True, multiple=True,
              help="Folder of Identity/*.jpg to search; repeat for several populations, reported "
              "side by side.")
@click.option("--per-person", type=click.IntRange(min=1), default=None, help="Enroll the first K images.")
@click.option("--probe-frames", type=click.IntRange(min=1), default=1, show_default=True,
              help="Fuse up to K images of one identity into one probe, as the door fuses a track's frames.")
@click.option("--cohort", type=FOLDER, default=None,
              help="Site folder of photos of people not enrolled (any layout): the door's cohort.")
@click.option("--no-cross-fit", is_flag=True,
              help="Do not use the other half of each folder's strangers as the door's cohort "
              "(calibrate on the gallery and --cohort alone).")
@click.option("--far", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="1:N false-accept policy (default: access.max_false_accept).")
@click.option("--calibration", type=FILE, default=None, help="Shipped table (default: the configured).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--plot", type=FILE, default=None, help="TPIR and misidentification against FPIR as PNG.")
@pass_app
def identify(app: AppContext, gallery: Path, probes: tuple[Path, ...], per_person: int | None,
             probe_frames: int, cohort: Path | None, no_cross_fit: bool, far: float | None,
             calibration: Path | None, as_json: bool, plot: Path | None) -> None:
    """Open-set 1:N as the door decides: enrolled people must be found, everyone else rejected.

    The cut is the door's: the stricter of the shipped table and a site calibration on the
    enrolled gallery and its cohort (by default the other half of each folder's strangers, so
    no stranger calibrates its own cut), for the 1:N policy over the enrolled people.
    """
    from edge.eval.embeddings import embed_set
    from edge.eval.identify import (
        IMAGE_SUFFIXES,
        enrolled_view,
        format_identification,
        identification_report,
        identity_images,
        make_probes,
    )

    settings = app.settings
    table = _table(settings, calibration)
    enrolled = identity_images(gallery, per_person)
    populations = {folder: identity_images(folder) for folder in probes}
    cohort_images = (sorted(p for p in cohort.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
                     if cohort else [])
    paths = [p for images in (*enrolled.values(), *(i for pop in populations.values() for i in pop.values()))
             for p in images] + cohort_images
    described = embed_set(_analyzer(settings.vision), paths)
    v = described.vectors
    view = enrolled_view({name: [v[p] for p in images] for name, images in enrolled.items()})
    cohort_rows = np.stack([v[p] for p in cohort_images]) if cohort_images else None
    policy = far if far is not None else settings.access.max_false_accept
    reports = {}
    for folder, images in populations.items():
        population = make_probes({name: [v[p] for p in paths] for name, paths in images.items()},
                                 probe_frames)
        report = identification_report(view, population, table, policy, cohort_rows, not no_cross_fit)
        report["n_no_face"] = sum(p in described.no_face for paths in images.values() for p in paths)
        reports[str(folder)] = report
    if plot is not None:
        from edge.eval.plots import plot_identification

        first = next(iter(reports.values()))
        plot_identification(first["curve"], first, plot)
    if len(reports) == 1:
        only = next(iter(reports.values()))
        _emit(only, as_json, format_identification(only))
    else:
        _emit({"populations": reports}, as_json,
              "\n\n".join(format_identification(r, name) for name, r in reports.items()))


@eval_cmd.command()
@click.option("--gallery", type=FOLDER, required=True, multiple=True,
              help="Folder of Identity/*.jpg to enroll; repeat to merge populations into one gallery.")
@click.option("--probes", type=FOLDER, required=True, multiple=True,
              help="Folder of Identity/*.jpg (enrolled identities and strangers); one per population.")
@click.option("--per-person", type=click.IntRange(min=1), default=None, help="Enroll the first K images.")
@click.option("--probe-frames", type=click.IntRange(min=1), default=1, show_default=True,
              help="Fuse up to K images of one identity into one probe.")
@click.option("--rate", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=1e-4,
              show_default=True, help="Per-comparison false-accept rate the cut is set for.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def normalization(app: AppContext, gallery: tuple[Path, ...], probes: tuple[Path, ...],
                  per_person: int | None, probe_frames: int, rate: float, as_json: bool) -> None:
    """Cohort score normalization (z-norm, t-norm) against raw scores, population by population."""
    from edge.eval.embeddings import embed_set
    from edge.eval.identify import enrolled_view, identity_images, make_probes
    from edge.eval.normalization import format_normalization, normalization_report

    enrolled: dict[str, list[Path]] = {}
    for folder in gallery:
        for name, images in identity_images(folder, per_person).items():
            if name in enrolled:
                raise BadInput(f"{folder}: identity {name!r} is in another gallery folder too")
            enrolled[name] = images
    populations = {folder: identity_images(folder) for folder in probes}
    paths = [p for images in (*enrolled.values(), *(i for pop in populations.values() for i in pop.values()))
             for p in images]
    v = embed_set(_analyzer(app.settings.vision), paths).vectors
    view = enrolled_view({name: [v[p] for p in images] for name, images in enrolled.items()})
    probe_sets = {str(folder): make_probes({name: [v[p] for p in ps] for name, ps in images.items()},
                                           probe_frames) for folder, images in populations.items()}
    try:
        report = normalization_report(view, probe_sets, rate)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    _emit(report, as_json, format_normalization(report))


@eval_cmd.command()
@click.option("--images", type=FOLDER, required=True, help="Folder of Identity/*.jpg (e.g. LFW).")
@click.option("--out", type=FOLDER, required=True, help="New folder for gallery/ and probes/ (symlinks).")
@click.option("--pairs", "pairs_file", type=FILE, default=None,
              help="Only the people named in this pair list (e.g. pairsDevTest.txt, apart from calibration).")
@click.option("--enroll", type=click.IntRange(min=1), default=1, show_default=True,
              help="Images enrolled per enrolled person (they need at least one more to probe).")
def split(images: Path, out: Path, pairs_file: Path | None, enroll: int) -> None:
    """Build an open-set split for 'edge eval identify' (symlinks, nothing copied).

    Of the people with more than --enroll images, every other one is enrolled with the first
    --enroll images and the rest of their images are genuine probes; everyone else's images are
    stranger probes.
    """
    from edge.eval.identify import open_set_split
    from edge.eval.pairs import read_pairs

    people = None
    if pairs_file is not None:
        people = {p.parent.name for pair in read_pairs(pairs_file, images) for p in (pair.a, pair.b)}
    click.echo(open_set_split(images, out, people, enroll))


@eval_cmd.command()
@click.option("--images", type=FOLDER, default=None, help="Folder the TSV's image paths are relative to "
              "(default: the TSV's own folder).")
@click.option("--annotations", type=FILE, required=True, help="TSV: image x y w h (a header line).")
@click.option("--negative", "negatives", type=FILE, multiple=True,
              help="A photo that holds no face: every detection on it is false (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def detect(app: AppContext, images: Path | None, annotations: Path, negatives: tuple[Path, ...],
           as_json: bool) -> None:
    """Detection recall and precision at IoU 0.5 and 0.4, by face width; faces on negatives."""
    from edge.eval.detection import detection_by_size, faces_on_negatives, format_detection

    analyzer = _analyzer(app.settings.vision)
    pixels = app.settings.vision.max_image_pixels
    report: dict[str, Any] = detection_by_size(analyzer.detect, annotations, root=images, max_pixels=pixels)
    text = format_detection(report)
    if negatives:
        found = faces_on_negatives(analyzer.detect, negatives, max_pixels=pixels)
        text += "\nfaces on the negatives: " + ", ".join(f"{name} {n}" for name, n in found.items())
        report = {**report, "negatives": found}
    _emit(report, as_json, text)


@eval_cmd.command()
@click.option("--images", type=FOLDER, required=True, help="Folder of face photos (searched recursively), "
              "or LFW's Name/Name_NNNN.jpg with --pairs.")
@click.option("--pairs", "pairs_file", type=FILE, default=None,
              help="Only the images of this LFW pair list (e.g. pairsDevTest.txt).")
@click.option("--limit", type=click.IntRange(min=1), default=500, show_default=True,
              help="Use this many of the images (a seeded random choice).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the choice and the occluders.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_app
def occlusion(app: AppContext, images: Path, pairs_file: Path | None, limit: int, seed: int,
              as_json: bool) -> None:
    """The occlusion gate on real faces: bare, and with SIMULATED masks and sunglasses drawn on them."""
    import random

    from edge.eval.occlusion import format_occlusion, occlusion_rates
    from edge.eval.pairs import read_pairs
    from edge.eval.strangers import photos_under

    if pairs_file is not None:
        paths = sorted({p for pair in read_pairs(pairs_file, images) for p in (pair.a, pair.b)})
    else:
        paths = photos_under(images)
    if not paths:
        raise BadInput(f"{images}: no images")
    random.Random(seed).shuffle(paths)
    tallies = occlusion_rates(_analyzer(app.settings.vision), paths[:limit], seed)
    report = {kind: tally.as_dict() for kind, tally in tallies.items()}
    _emit(report, as_json, format_occlusion(report))


@eval_cmd.command(name="pad")
@click.option("--bona-fide", "bona_fide", type=FOLDER, required=True,
              help="Folder of bona fide tracks: one sub-folder of frames per track (name order).")
@click.option("--attacks", type=FOLDER, required=True, help="Folder of attack tracks, the same way.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--plot", type=FILE, default=None, help="The DET curve (APCER vs BPCER) as PNG.")
@pass_app
def pad_cmd(app: AppContext, bona_fide: Path, attacks: Path, as_json: bool, plot: Path | None) -> None:
    """APCER, BPCER, ACER of the PAD stage at the site's operating point; APCER at BPCER 1/5/10%."""
    from edge.eval.pad import format_pad, pad_report, score_folders
    from edge.vision.pad.site import load_offset, site_path
    from edge.vision.pad.stage import PadStage

    settings = app.settings
    offset = load_offset(site_path(settings.vision.pad, settings.service.state_dir))
    stage = PadStage.from_settings(settings.vision.pad, offset)
    analyzer = _analyzer(settings.vision)
    pixels = settings.vision.max_image_pixels
    bona = score_folders(stage, bona_fide, analyzer.detect, pixels)
    attack = score_folders(stage, attacks, analyzer.detect, pixels)
    report = pad_report(bona, attack, offset)
    if plot is not None:
        from edge.eval.plots import plot_pad_det

        plot_pad_det(np.asarray(bona), np.asarray(attack), plot, offset)
    _emit(report, as_json, format_pad(report))


@click.command(name="calibrate")
@click.option("--images", type=FOLDER, default=DEFAULT_LFW, show_default=True, help="LFW View 1 images.")
@click.option("--pairs", "pairs_file", type=FILE, default=None, help="Default: IMAGES/pairsDevTrain.txt.")
@click.option("--out", type=FILE, default=None,
              help="Default: the selected descriptor's table (models/<descriptor>/calibration*.json).")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option("--site", is_flag=True, help="Calibrate this door instead: its gallery, its cohort and "
              "calibration.cohort_folder (or --cohort); writes the site calibration file.")
@click.option("--cohort", type=FOLDER, default=None, help="With --site: a folder of photos of people "
              "who are not enrolled (default: calibration.cohort_folder).")
@pass_app
def calibrate_cmd(app: AppContext, images: Path, pairs_file: Path | None, out: Path | None,
                  as_json: bool, site: bool, cohort: Path | None) -> None:
    """Measure the selected descriptor's table from threshold to false-accept rate and write it.

    With --site, measure this door's own population instead: every enrolled face against the
    other people's templates and the cohort's faces against every template, its upper tail
    fitted (docs/risk.md); prints the table, the cohort's size and whether the policy is met.
    """
    if site:
        _calibrate_site(app.settings, cohort, as_json)
        return
    from edge.eval.calibrate import calibrate as measure
    from edge.eval.calibrate import format_calibration
    from edge.eval.pairs import read_pairs

    pairs_file = pairs_file or images / "pairsDevTrain.txt"
    if not pairs_file.is_file():
        raise BadInput(f"{pairs_file}: no pair list (--images DIR with pairsDevTrain.txt, or --pairs)")
    settings = app.settings
    document = measure(_analyzer(settings.vision), read_pairs(pairs_file, images), f"LFW {pairs_file.name}")
    target = out or default_calibration_path(settings.vision)
    try:
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{target}: cannot write the table: {exc}") from exc
    _emit(document, as_json, f"{format_calibration(document)}\nwrote {target}")


def _calibrate_site(settings: Settings, cohort: Path | None, as_json: bool) -> None:
    from edge.gallery.codec import read_key
    from edge.gallery.cohort import CohortStore
    from edge.gallery.store import GalleryStore
    from edge.identify.factory import site_door_cut
    from edge.identify.local.policy import policy_threshold
    from edge.identify.local.recalibrate import SiteCalibrator, describe_site_folder

    folder = cohort or settings.calibration.cohort_folder
    faces = describe_site_folder(_analyzer(settings.vision), folder) if folder else None
    with GalleryStore.from_settings(settings) as gallery:
        key = settings.gallery.encryption_key_file
        store = CohortStore(settings.cohort_path, read_key(key) if key else None,
                            max_faces=settings.calibration.cohort_max_faces,
                            retention_s=settings.calibration.cohort_retention_days * 86400)
        try:
            calibration = SiteCalibrator(gallery, settings.site_calibration_path, cohort=store,
                                         site_faces=faces, door_cut=site_door_cut(settings)).refresh()
        finally:
            store.close()
        people = gallery.snapshot().n_persons(None)
    cut = policy_threshold(_table(settings, None), calibration, settings.access.max_false_accept, people)
    if as_json:
        click.echo(json.dumps({**dataclasses.asdict(calibration), "policy": cut.describe(),
                               "meets_policy": cut.meets_policy}, indent=2))
        return
    lines = [calibration.describe(), "threshold  false accept per comparison"]
    lines += [f"{t:9.4f}  {f:12.2e}" for t, f in calibration.rows]
    lines += [cut.describe(), f"wrote {settings.site_calibration_path}"]
    click.echo("\n".join(lines))
