"""Wire the stages from the settings and run the appliance until stopped."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from edge.access.event import AccessEvent
from edge.capture import open_source
from edge.capture.reader import FrameReader
from edge.capture.sensors import Sensors
from edge.config.settings import Settings
from edge.errors import ConfigError
from edge.events.base import EventSink
from edge.gallery.codec import read_key
from edge.gallery.cohort import CohortStore
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.gallery.sync import sync_once
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends, build_enrollers, door_match_threshold, site_door_cut
from edge.identify.local.recalibrate import SiteCalibrator, describe_site_folder
from edge.identify.policy_check import policy_problems
from edge.service import demo, watchdog
from edge.service.endpoints import serve_health
from edge.service.health import HealthState
from edge.service.memory import map_large_blocks, return_freed_pages
from edge.service.metrics import Metrics
from edge.service.records import AuditLog
from edge.service.runner import Appliance
from edge.ui import serve as ui
from edge.vision.pipeline import FaceAnalyzer

log = logging.getLogger(__name__)

DISCOVERY_CHECK_S = 5.0  # at start, how long to wait for the broker before the clash check


class AuditSink:
    """Every decision into the audit log (retention and pseudonymization are the log's)."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def handle(self, event: AccessEvent) -> None:
        self.audit.record(event)

    def handle_with_face(self, event: AccessEvent, face_jpeg: bytes) -> None:
        self.audit.record(event, face_jpeg)

    def close(self) -> None:
        self.audit.close()


Backlog = Callable[[], int]


def build_sinks(settings: Settings, gallery: GalleryStore) -> tuple[list[EventSink], Backlog | None]:
    """The sinks the settings ask for, and how to read the MQTT outbox's backlog (if any)."""
    sinks: list[EventSink] = [AuditSink(AuditLog.from_settings(settings.service))]
    backlog = None
    if settings.jsonl.path is not None:
        from edge.events.jsonl import JsonlSink

        sinks.append(JsonlSink(settings.jsonl.path))
    if settings.mqtt.enabled:
        from edge.events.mqtt import MqttSink

        mqtt = MqttSink(settings, start=False)
        for person in gallery.people():  # Home Assistant entities exist from enrollment on
            mqtt.person_added(person.id, person.name)
        mqtt.start()
        if mqtt.discovery is not None:
            try:  # never publish over another appliance's Home Assistant entities
                mqtt.discovery.check(DISCOVERY_CHECK_S)
            except ConfigError:
                mqtt.close()
                raise
        gallery.events.person_added.append(mqtt.person_added)
        gallery.events.person_removed.append(mqtt.person_removed)
        mqtt.update_status(gallery_size=gallery.snapshot().n_persons(None))
        sinks.append(mqtt)
        backlog = lambda: mqtt.backlog  # noqa: E731
    return sinks, backlog


class PeriodicSync:
    """Revocation: the gallery synced with the clouds at start and every ``interval_s``."""

    def __init__(self, enrollment: Enrollment, groups: list[str], interval_s: float) -> None:
        self.enrollment = enrollment
        self.groups = groups
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gallery-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = sync_once(self.enrollment, self.groups)
            except Exception:  # the next round tries again; the door keeps working meanwhile
                log.exception("gallery sync failed")
            else:
                if report.removed or report.unreachable:
                    log.info("gallery sync: removed %s, unreachable %s", report.removed,
                             sorted(report.unreachable))
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def site_calibration(settings: Settings, gallery: GalleryStore, analyzer: FaceAnalyzer
                     ) -> tuple[CohortStore | None, SiteCalibrator | None]:
    """The cohort store and the site calibrator (calibrated now, so the first decision uses it),
    or none when ``calibration.enabled`` is off."""
    config = settings.calibration
    if not config.enabled:
        return None, None
    key_file = settings.gallery.encryption_key_file
    cohort = CohortStore(settings.cohort_path, read_key(key_file) if key_file else None,
                         max_faces=config.cohort_max_faces, retention_s=config.cohort_retention_days * 86400)
    folder = describe_site_folder(analyzer, config.cohort_folder) if config.cohort_folder else None
    calibrator = SiteCalibrator(gallery, settings.site_calibration_path, cohort=cohort, site_faces=folder,
                                interval_s=config.interval_s, door_cut=site_door_cut(settings))
    calibrator.refresh()
    return cohort, calibrator


@dataclass
class Running:
    appliance: Appliance
    reader: FrameReader
    metrics: Metrics


@contextmanager
def assemble(settings: Settings, extra_sinks: list[EventSink] | None = None,
             stop: threading.Event | None = None) -> Iterator[Running]:
    """Everything the loop needs, opened in order and closed in reverse; ``stop`` ends the
    capture's waits (reopen backoff) as soon as it is set."""
    with ExitStack() as stack:
        analyzer = FaceAnalyzer(settings.vision)
        gallery = GalleryStore.from_settings(settings)
        stack.callback(gallery.close)
        if demo.is_demo(settings):
            demo.seed_demo_gallery(gallery, analyzer, settings)
        cohort, calibrator = site_calibration(settings, gallery, analyzer)
        if cohort is not None:
            stack.callback(cohort.close)
        site = (lambda: calibrator.current) if calibrator else (lambda: None)
        for problem in policy_problems(settings):  # the door still runs, and denies: say it at start
            log.error("%s", problem)
        backends = build_backends(settings, gallery, site)
        chain = BackendChain(backends, settings.identify)
        stack.callback(chain.close)
        enrollers = build_enrollers(settings)
        if enrollers:
            syncer = PeriodicSync(Enrollment(gallery, analyzer, settings.gallery, enrollers),
                                  settings.access.groups, settings.gallery.sync_interval_s)
            stack.callback(syncer.stop)
        sinks, backlog = build_sinks(settings, gallery)
        live = ui.live_view(settings, gallery)
        sinks += [*(extra_sinks or []), live]
        for sink in reversed(sinks):
            stack.callback(sink.close)
        health = HealthState.from_settings(settings.service)
        metrics = Metrics(health)
        console = ui.console(
            settings, live=live, audit=next(s.audit for s in sinks if isinstance(s, AuditSink)),
            enrollment=Enrollment(gallery, analyzer, settings.gallery, enrollers,
                                  settings.vision.max_image_pixels,
                                  door_match_threshold(settings, gallery)),  # one person, one id
            chain=chain, backends=backends, health=health, metrics=metrics, sinks=sinks)
        server = serve_health(settings.service, metrics, health, console)
        if server is not None:
            stack.callback(server.stop)
        source = open_source(settings.camera)
        camera = settings.camera
        reader = FrameReader(source, reopen_initial_s=camera.reopen_initial_s,
                             reopen_max_s=camera.reopen_max_s,
                             reopen_deadline_s=camera.reopen_deadline_s or None, stop=stop).start()
        stack.callback(reader.stop)
        sensors = Sensors.open(settings.camera) if settings.vision.pad.enabled else None
        if sensors is not None:
            stack.callback(sensors.close)
        appliance = Appliance(settings, analyzer, chain, gallery, sinks, metrics, backlog, cohort,
                              viewer=live, sensors=sensors)
        yield Running(appliance, reader, metrics)


def run(settings: Settings, *, extra_sinks: list[EventSink] | None = None,
        max_frames: int | None = None) -> int:
    """Run until SIGTERM/SIGINT or the end of a finite source; returns frames processed."""
    if settings.service.steady_memory:
        map_large_blocks()  # before the models load: their freed blocks must not raise the threshold
    if demo.is_demo(settings):
        settings = demo.demo_settings(settings)
        log.info("no camera configured: playing the bundled demo clip with a demo gallery")
    if settings.access.schedules:
        log.info("schedules follow the time zone %s (now %s there); log and event times are UTC",
                 settings.access.timezone or "of the host", datetime.now().astimezone(
                     settings.access.zone).strftime("%a %H:%M %Z"))
    stop = threading.Event()
    starting = True

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()
        if starting:  # loading models or waiting on a device: unwind now, closing what is open
            raise SystemExit(0)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    heartbeat = watchdog.Heartbeat(settings.service.watchdog_stall_s)
    with assemble(settings, extra_sinks, stop) as running:
        starting = False
        return_freed_pages()  # what loading the models and the demo enrollment freed
        if stop.is_set():
            return 0
        watchdog.ready()
        heartbeat.start()
        try:
            processed = running.appliance.run(running.reader, stop, heartbeat, max_frames)
        finally:
            watchdog.stopping()
            heartbeat.stop()
    log.info("stopped after %d frames", processed)
    return processed
