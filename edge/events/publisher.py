"""Publishes the outbox over an MQTT connection, in order, deleting each entry on its PUBACK.

At most ``inflight`` entries wait for their acknowledgement at once (default 1: the next event
goes out only after the broker acknowledged the previous one, so the order survives every
failure). Entries handed to paho stay with paho across reconnects (paho re-sends QoS 1
messages in flight after reconnecting); only a process restart replays them from SQLite.

A broker that crashes (SIGKILL, power cut) may lose what it acknowledged last: Mosquitto saves
its state only now and then, and a message it had written to a subscriber's socket dies with
the connection's reset. So when a connection is *lost* (not closed by us), the first thing
published after reconnecting is the events acknowledged in the last ``REPUBLISH_WINDOW_S``
before the loss (at most ``outbox.RECENT_KEEP``), then the rest in order.

A subscriber therefore sees every event at least once, in order of first arrival, and drops
the few repeats (after a broker or appliance crash) by event id.

Each event goes out with ``delivered_at`` (UTC, when handed to the broker) and ``age_s`` (seconds
since it was committed to the outbox): an event that waited out an outage says how old it is,
so an automation can ignore a stale grant.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import datetime, timezone

from edge.events.connection import MqttConnection
from edge.events.outbox import Entry, Outbox

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 60.0
ACK_TIMEOUT_S = 30.0  # connected and no PUBACK this long: start again from the oldest entry
REFUSED_PAUSE_S = 5.0  # the broker refused an event (MQTT 5 PUBACK reason): retry after this
REPUBLISH_WINDOW_S = 5.0


def as_delivered(entry: Entry, now: float) -> bytes:
    """The entry's JSON event with ``delivered_at`` (ISO 8601 UTC) and ``age_s`` set for ``now``
    (seconds since the epoch, the outbox's clock)."""
    event = json.loads(entry.payload)
    event["delivered_at"] = datetime.fromtimestamp(now, timezone.utc).isoformat()
    event["age_s"] = round(max(0.0, now - entry.created), 3)
    return json.dumps(event, separators=(",", ":")).encode()


class OutboxPublisher:
    def __init__(self, outbox: Outbox, connection: MqttConnection, *, inflight: int = 1) -> None:
        self.outbox = outbox
        self.connection = connection
        self.inflight = inflight
        self.acknowledged = 0
        self._acks: queue.SimpleQueue[tuple[int, bool]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pending: dict[int, int] = {}  # paho mid -> outbox seq
        self._last_handed = 0  # seq of the newest entry handed to paho
        self._last_progress = time.monotonic()
        self._paused_until = 0.0
        self._lost_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="mqtt-outbox", daemon=True)
        connection.on_ack = self._acked
        connection.on_connect.append(self._connected)
        connection.on_connection_lost.append(self._connection_lost)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _connection_lost(self) -> None:  # paho's thread
        self._lost_at = time.time()

    def _connected(self) -> None:  # paho's thread, before anything else is published
        lost_at, self._lost_at = self._lost_at, None
        if lost_at is not None:
            recent = self.outbox.acknowledged_between(lost_at - REPUBLISH_WINDOW_S, lost_at)
            for entry in recent:
                self.connection.publish(entry.topic, as_delivered(entry, time.time()), qos=1)
            if recent:
                log.info("outbox: published the last %d acknowledged event(s) again after a lost "
                         "connection", len(recent))
        self._wake.set()

    def _acked(self, mid: int, accepted: bool) -> None:  # paho's thread
        self._acks.put((mid, accepted))
        self._wake.set()

    def _run(self) -> None:
        next_expiry = 0.0
        while not self._stopping.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                self._settle_acks()
                now = time.monotonic()
                if now >= next_expiry:
                    self.outbox.expire()
                    next_expiry = now + EXPIRE_EVERY_S
                if self.connection.connected and now >= self._paused_until:
                    self._check_stalled(now)
                    self._hand_over()
            except Exception:  # keep publishing whatever one round did; the store is the truth
                log.exception("outbox: publishing round failed")
                self._stopping.wait(1.0)

    def _settle_acks(self) -> None:
        done: list[int] = []
        while True:
            try:
                mid, accepted = self._acks.get_nowait()
            except queue.Empty:
                break
            seq = self._pending.pop(mid, None)
            if seq is None:
                continue
            self._last_progress = time.monotonic()
            if accepted:
                done.append(seq)
            else:
                log.error("outbox: the broker refused an event (not authorized?); retrying in %.0f s",
                          REFUSED_PAUSE_S)
                self._paused_until = time.monotonic() + REFUSED_PAUSE_S
                self._last_handed = min(self._last_handed, seq - 1)
        if done:
            self.outbox.acknowledge(done)
            self.acknowledged += len(done)

    def _check_stalled(self, now: float) -> None:
        if self._pending and now - self._last_progress > ACK_TIMEOUT_S:
            log.warning("outbox: no acknowledgement for %.0f s; publishing again from the oldest",
                        ACK_TIMEOUT_S)
            self._pending.clear()
            self._last_handed = 0

    def _hand_over(self) -> None:
        room = self.inflight - len(self._pending)
        if room <= 0:
            return
        if not self._pending:
            self._last_progress = time.monotonic()
        for entry in self.outbox.after(self._last_handed, room):
            info = self.connection.publish(entry.topic, as_delivered(entry, time.time()), qos=1)
            self._pending[info.mid] = entry.seq
            self._last_handed = entry.seq
