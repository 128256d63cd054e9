"""``edge people``: enroll, list, change and remove the people the door knows, here and in the clouds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from edge.cli.main import AppContext, pass_app
from edge.config.settings import Settings
from edge.errors import BadInput, WorldError
from edge.gallery.enroll import Enrollment, EnrollReport, LookAlike, photos_in
from edge.gallery.ids import check_name, new_person_id
from edge.gallery.store import GalleryStore, Person
from edge.gallery.sync import sync_once
from edge.vision.types import Face

if TYPE_CHECKING:
    from edge.vision.pipeline import FaceAnalyzer


class _LazyAnalyzer:
    """The vision core, loaded only by the commands that look at photos."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._analyzer: FaceAnalyzer | None = None

    def analyze(self, image: np.ndarray, *, describe: bool = True) -> list[Face]:
        if self._analyzer is None:
            from edge.vision.pipeline import FaceAnalyzer

            self._analyzer = FaceAnalyzer(self._settings.vision)
        return self._analyzer.analyze(image, describe=describe)


@contextmanager
def _enrollment(app: AppContext) -> Iterator[Enrollment]:
    from edge.identify.factory import build_enrollers, door_match_threshold

    settings = app.settings
    with GalleryStore.from_settings(settings) as store:
        yield Enrollment(store, _LazyAnalyzer(settings), settings.gallery, build_enrollers(settings),
                         settings.vision.max_image_pixels, door_match_threshold(settings, store))


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def _sync_state(person: Person) -> str:
    if not person.remote:
        return "local"
    return ", ".join(f"{r.backend}:{r.state}" for r in person.remote)


def _print_report(report: EnrollReport) -> None:
    for refusal in report.refused:
        click.echo(f"refused {refusal.source}: {refusal.reason}", err=True)
    click.echo(f"{report.person_id}: {len(report.added)} face(s) enrolled")
    for backend, error in report.cloud_errors.items():
        click.echo(f"{backend}: pending ({error}); 'edge people sync' will finish it", err=True)


def _record_overrides(app: AppContext, report: EnrollReport, reason: str | None) -> None:
    """Keep the operator's reason for each look-alike enrolled as a new person (audit log)."""
    if not report.look_alikes or reason is None:
        return
    from edge.service.records import AuditLog

    with AuditLog.from_settings(app.settings.service) as audit:
        for look_alike in report.look_alikes:
            audit.record_override(report.person_id, look_alike.other.person_id, look_alike.other.score,
                                  look_alike.threshold, reason)
            click.echo(f"{look_alike.source} matches {look_alike.other.person_id} at "
                       f"{look_alike.other.score:.3f}: enrolled as another person (recorded: {reason})",
                       err=True)


def _target(person_id: str | None, same_as: str | None, new_person: bool, reason: str | None) -> str:
    """The id the photos go to: --same-as ID, --id ID, or a new opaque id."""
    if new_person != (reason is not None):
        raise BadInput("--new-person and --reason go together: say why this is another person")
    if same_as is not None and (person_id is not None or new_person):
        raise BadInput("--same-as adds the photos to that person: do not also give --id or --new-person")
    return same_as or person_id or new_person_id()


def _say_still_matching(person_id: str, look_alikes: list[LookAlike]) -> None:
    """After a removal: the same face under another id still opens the door."""
    for a in look_alikes:
        click.echo(f"warning: {person_id}'s faces still match {a.other.person_id} ({a.other.name}) at "
                   f"{a.other.score:.3f} >= the door's threshold {a.threshold:.3f}: remove that id too "
                   "if it is the same person", err=True)


def _report_owed(backends: list[str]) -> None:
    for backend in backends:
        click.echo(f"{backend}: deletion pending; 'edge people sync' will finish it", err=True)


class _PeopleGroup(click.Group):
    """The world's errors (models missing, camera gone) as one clear line, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WorldError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_PeopleGroup)
def people() -> None:
    """Enroll and manage the people the door recognizes."""


def _identity_options(command: Callable[..., None]) -> Callable[..., None]:
    """--id, --name, --same-as, --new-person, --reason, --group: whom the photos are of."""
    for option in reversed([
        click.option("--id", "person_id", help="Id of a new or existing person (1-64 of A-Z a-z 0-9 "
                     "_ @ -); empty = a new opaque id"),
        click.option("--name", help="Display name of a new person (any Unicode, 1-60 characters)"),
        click.option("--same-as", help="Add the photos to this existing person"),
        click.option("--new-person", is_flag=True,
                     help="Enroll as a new person although the face matches someone (needs --reason)"),
        click.option("--reason", help="Why the look-alike is another person (kept in the audit log)"),
        click.option("--group", "groups", multiple=True, help="Group to join (repeat for several)"),
    ]):
        command = option(command)
    return command


@people.command()
@_identity_options
@click.argument("photos", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@pass_app
def add(app: AppContext, person_id: str | None, name: str | None, same_as: str | None, new_person: bool,
        reason: str | None, groups: tuple[str, ...], photos: tuple[Path, ...]) -> None:
    """Enroll a person from PHOTOS (files or folders); adds faces to an existing id.

    A face the door would take for someone else is refused: give --same-as ID if it is them,
    or --new-person --reason TEXT if it is really another person.
    """
    target = _target(person_id, same_as, new_person, reason)
    with _enrollment(app) as enrollment:
        accepted, refused = enrollment.examine_files(photos)
        groups = groups or tuple(app.settings.access.groups)
        report = enrollment.add(target, name, groups, accepted, refused, new_person_reason=reason)
    _record_overrides(app, report, reason)
    _print_report(report)


@people.command()
@click.option("--camera", is_flag=True, required=True, help="Use the configured camera")
@_identity_options
@click.option("--frames", default=5, show_default=True, help="Good, different frames to collect")
@click.option("--timeout", "timeout_s", default=60.0, show_default=True, help="Seconds to try")
@pass_app
def enroll(app: AppContext, camera: bool, person_id: str | None, name: str | None, same_as: str | None,
           new_person: bool, reason: str | None, groups: tuple[str, ...], frames: int,
           timeout_s: float) -> None:
    """Enroll a person in front of the camera, with guidance on the terminal."""
    from edge.capture import open_source
    from edge.gallery.camera import collect_from_camera

    target = _target(person_id, same_as, new_person, reason)
    with _enrollment(app) as enrollment:
        click.echo(f"look at the camera; collecting {frames} frames")
        collected = collect_from_camera(open_source(app.settings.camera), enrollment, frames, timeout_s,
                                        click.echo)
        if not collected:
            raise BadInput("no usable frame was captured: check the camera and the light")
        report = enrollment.add(target, name, groups or app.settings.access.groups, collected,
                                new_person_reason=reason)
    _record_overrides(app, report, reason)
    _print_report(report)


@people.command("list")
@pass_app
def list_people(app: AppContext) -> None:
    """Everyone in the gallery."""
    with GalleryStore.from_settings(app.settings) as store:
        everyone = store.people()
        for p in everyone:
            click.echo(f"{p.id}\t{p.name}\t{','.join(p.groups)}\t{p.enrolled_faces}+{p.learned_faces} faces"
                       f"\tconfirmed {_when(p.last_confirmed)}\t{_sync_state(p)}")
        click.echo(f"{len(everyone)} people, {store.face_count()} faces", err=True)


@people.command()
@click.argument("person_id")
@pass_app
def show(app: AppContext, person_id: str) -> None:
    """One person's record (no biometric data is shown)."""
    with GalleryStore.from_settings(app.settings) as store:
        p = store.require_person(person_id)
        click.echo(f"id: {p.id}\nname: {p.name}\ngroups: {', '.join(p.groups) or '-'}")
        click.echo(f"faces: {p.enrolled_faces} enrolled, {p.learned_faces} learned from the cloud")
        click.echo(f"created: {_when(p.created)}\nlast confirmed: {_when(p.last_confirmed)}")
        for r in p.remote:
            click.echo(f"{r.backend}: {r.state}" + (f" as {r.remote_id}" if r.remote_id else "")
                       + (f" ({r.error})" if r.error else ""))


@people.command()
@click.argument("person_id")
@pass_app
def remove(app: AppContext, person_id: str) -> None:
    """Remove a person here and in the clouds."""
    with _enrollment(app) as enrollment:
        still = enrollment.still_matching(person_id)
        _report_owed(enrollment.remove(person_id))
    click.echo(f"{person_id}: removed")
    _say_still_matching(person_id, still)


@people.command()
@click.argument("person_id")
@pass_app
def forget(app: AppContext, person_id: str) -> None:
    """Erase a person everywhere: gallery, clouds, and their audit entries (pseudonymized)."""
    from edge.service.records import AuditLog

    with AuditLog.from_settings(app.settings.service) as audit, _enrollment(app) as enrollment:
        if enrollment.store.person(person_id) is None:  # removed before: the audit log may still name them
            click.echo(f"{person_id}: not in the gallery; {audit.forget(person_id).entries} audit entries "
                       "pseudonymized")
            return
        erased: list[int] = []
        enrollment.store.events.person_forgotten.append(lambda pid: erased.append(audit.forget(pid).entries))
        still = enrollment.still_matching(person_id)
        _report_owed(enrollment.remove(person_id, forget=True))
    click.echo(f"{person_id}: forgotten ({sum(erased)} audit entries pseudonymized)")
    _say_still_matching(person_id, still)


@people.command()
@click.argument("person_id")
@click.argument("name")
@pass_app
def rename(app: AppContext, person_id: str, name: str) -> None:
    """Change a person's display name (here; the clouds keep the id)."""
    with GalleryStore.from_settings(app.settings) as store:
        store.rename(person_id, name)
    click.echo(f"{person_id}: renamed")


@people.group()
def groups() -> None:
    """Group membership."""


@groups.command("list")
@pass_app
def list_groups(app: AppContext) -> None:
    """Every group with its number of members."""
    with GalleryStore.from_settings(app.settings) as store:
        for group, count in store.groups().items():
            click.echo(f"{group}\t{count}")


@groups.command("add")
@click.argument("person_id")
@click.argument("group_ids", nargs=-1, required=True)
@pass_app
def join(app: AppContext, person_id: str, group_ids: tuple[str, ...]) -> None:
    """Add a person to groups."""
    with GalleryStore.from_settings(app.settings) as store:
        store.add_to_groups(person_id, group_ids)
        click.echo(f"{person_id}: {', '.join(store.require_person(person_id).groups)}")


@groups.command("remove")
@click.argument("person_id")
@click.argument("group_ids", nargs=-1, required=True)
@pass_app
def leave(app: AppContext, person_id: str, group_ids: tuple[str, ...]) -> None:
    """Take a person out of groups."""
    with GalleryStore.from_settings(app.settings) as store:
        store.remove_from_groups(person_id, group_ids)
        click.echo(f"{person_id}: {', '.join(store.require_person(person_id).groups) or '-'}")


def _import_plan(tree: Path, store: GalleryStore) -> list[tuple[Path, str]]:
    """(folder, display name) per identity folder; BadInput naming both sources of any collision.

    Names are the folder names NFC-normalized, so two folders spelling one name differently
    (composed or decomposed accents) or a folder named like someone already enrolled would be
    one person twice: that is refused before anything is enrolled.
    """
    folders = sorted(d for d in tree.iterdir() if d.is_dir() and photos_in([d]))
    if not folders:
        raise BadInput(f"{tree}: no <Identity>/<photo> folders found")
    taken = {p.name: f"person {p.id} already in the gallery" for p in store.people()}
    plan = []
    for folder in folders:
        try:
            name = check_name(folder.name)
        except BadInput as exc:
            raise BadInput(f"{folder}: {exc}") from exc
        if name in taken:
            raise BadInput(f"{folder} and {taken[name]} are both named {name!r}: one of them would be "
                           "enrolled twice; rename or remove one folder (or remove the person)")
        taken[name] = str(folder)
        plan.append((folder, name))
    return plan


@people.command("import")
@click.argument("tree", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--group", "groups", multiple=True)
@pass_app
def import_tree(app: AppContext, tree: Path, groups: tuple[str, ...]) -> None:
    """Bulk-enroll TREE/<Identity>/*.jpg: one new person per folder, named after it."""
    enrolled = refused_photos = failed = 0
    with _enrollment(app) as enrollment:
        plan = _import_plan(tree, enrollment.store)
        with click.progressbar(plan, label="importing") as bar:
            for folder, name in bar:
                accepted, refused = enrollment.examine_files([folder])
                try:
                    report = enrollment.add(new_person_id(), name, groups or app.settings.access.groups,
                                            accepted, refused)
                except BadInput as exc:
                    failed += 1
                    click.echo(f"\n{folder.name}: {exc}", err=True)
                    continue
                enrolled += 1
                refused_photos += len(report.refused)
    click.echo(f"{enrolled} people enrolled, {failed} not enrolled, {refused_photos} photos refused")


@people.command()
@pass_app
def sync(app: AppContext) -> None:
    """Finish pending cloud steps and follow the cloud's removals (revocation)."""
    with _enrollment(app) as enrollment:
        if not enrollment.enrollers:
            click.echo("no cloud backend configured: nothing to sync")
            return
        report = sync_once(enrollment, app.settings.access.groups)
    click.echo(f"confirmed {len(report.confirmed)}, removed {len(report.removed)}, "
               f"completed {len(report.completed)}, deletions done {report.deletions_done}")
    for person_id in report.removed:
        click.echo(f"removed {person_id}: no longer in the cloud")
    for person_id, errors in report.still_pending.items():
        for backend, error in errors.items():
            click.echo(f"{person_id}: still pending in {backend}: {error}", err=True)
    for backend, error in report.unreachable.items():
        click.echo(f"{backend}: unreachable: {error}", err=True)
