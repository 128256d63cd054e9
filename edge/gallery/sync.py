"""Revocation sync: the cloud is the authority on who may pass; the gallery follows it.

``sync_once`` first finishes what is owed to the clouds (pending enrollments and deletions), then
asks each cloud which persons it holds in the door's groups and in every group the gallery knows.
A person the cloud no longer holds in any of them is removed here (denied offline from then on);
a person every cloud still holds gets
``last_confirmed = now``, which keeps them able to open the door offline for ``offline.max_age``.
A cloud that cannot answer changes nothing: nobody is removed or confirmed on its account.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.errors import EdgeError
from edge.gallery.enroll import Enrollment

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    removed: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)  # pending enrollments finished
    still_pending: dict[str, dict[str, str]] = field(default_factory=dict)  # person -> backend -> error
    deletions_done: int = 0
    unreachable: dict[str, str] = field(default_factory=dict)  # backend -> error

    @property
    def ok(self) -> bool:
        return not self.unreachable and not self.still_pending


def sync_once(enrollment: Enrollment, groups: Sequence[str], now: float | None = None) -> SyncReport:
    """One sync of the gallery with every cloud enroller (the service calls it periodically).

    ``groups`` are the door's groups (``access.groups``); the gallery's own groups are asked too,
    so that a person enrolled in another group is not taken for removed.
    """
    store = enrollment.store
    now = time.time() if now is None else now
    report = SyncReport()
    _finish_deletions(enrollment, report)
    for person in store.people():
        if person.sync_pending or len(person.remote) < len(enrollment.enrollers):
            errors = enrollment.finish_pending(person.id)
            if errors:
                report.still_pending[person.id] = errors
            else:
                report.completed.append(person.id)
    everyone = {p.id for p in store.people()}
    asked = sorted(set(groups) | set(store.groups()))
    confirmed_everywhere = set(everyone)
    gone: set[str] = set()
    for enroller in enrollment.enrollers:
        try:
            held = set(enroller.list_persons(asked))
        except EdgeError as exc:
            report.unreachable[enroller.name] = str(exc)
            confirmed_everywhere.clear()
            continue
        records = store.remote_records(enroller.name)
        for person_id in everyone:
            record = records.get(person_id)
            if record is None or record.state != "synced" or record.remote_id is None:
                confirmed_everywhere.discard(person_id)
            elif record.remote_id not in held:
                gone.add(person_id)
    confirmed_everywhere -= gone
    for person_id in sorted(gone):
        if store.remove(person_id):
            report.removed.append(person_id)
            log.info("person %s is no longer in the cloud: removed from the gallery", person_id)
    if enrollment.enrollers and confirmed_everywhere:
        store.confirm(confirmed_everywhere, now)
        report.confirmed = sorted(confirmed_everywhere)
    return report


def _finish_deletions(enrollment: Enrollment, report: SyncReport) -> None:
    by_name = {e.name: e for e in enrollment.enrollers}
    for backend, remote_id in enrollment.store.pending_deletes():
        enroller = by_name.get(backend)
        if enroller is None:
            continue
        try:
            enroller.delete_person(remote_id)
        except EdgeError as exc:
            report.unreachable.setdefault(backend, str(exc))
            continue
        enrollment.store.clear_pending_delete(backend, remote_id)
        report.deletions_done += 1
