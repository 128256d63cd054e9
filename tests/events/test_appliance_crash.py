"""The appliance killed (SIGKILL) mid-stream: after a restart its outbox delivers the rest."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from tests.events.helpers import Subscriber
from tests.support.mosquitto import Broker

ROOT = Path(__file__).resolve().parents[2]
ACCESS = "edge/door-1/access"


class Appliance:
    """``tests.events.appliance_proc`` in a subprocess, its printed lines collected."""

    def __init__(self, broker: Broker, state_dir: Path, before: int, after: int) -> None:
        env = os.environ | {
            "EDGE_DEVICE__ID": "door-1", "EDGE_SERVICE__STATE_DIR": str(state_dir),
            "EDGE_MQTT__HOST": broker.host, "EDGE_MQTT__PORT": str(broker.port),
            "EDGE_MQTT__HOMEASSISTANT__DISCOVERY": "false", "PYTHONPATH": str(ROOT),
        }
        env.pop("EDGE_CONFIG", None)
        self.lines: list[str] = []
        self.drained = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.events.appliance_proc", str(before), str(after)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == "drained":
                self.drained.set()
            else:
                self.lines.append(line.strip())

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


def outbox_ids(state_dir: Path) -> list[str]:
    with sqlite3.connect(state_dir / "outbox.sqlite") as db:
        return [row[0] for row in db.execute("SELECT event_id FROM outbox ORDER BY seq")]


def test_a_killed_appliance_delivers_its_unacknowledged_events_after_restart(
    broker: Broker, tmp_path: Path
) -> None:
    subscriber = Subscriber(broker, ACCESS)
    first = Appliance(broker, tmp_path, before=600, after=400)
    try:
        assert subscriber.wait_for(lambda: len(subscriber.on(ACCESS)) >= 100, 30)
        first.kill()
        produced = list(first.lines)
        waiting = outbox_ids(tmp_path)
        delivered_before = {m.json()["id"] for m in subscriber.on(ACCESS)}
        assert len(waiting) >= 100, "the kill must leave unacknowledged events behind"
        assert set(produced) <= delivered_before | set(waiting), "a committed event vanished"
    finally:
        first.kill()
    second = Appliance(broker, tmp_path, before=0, after=0)
    try:
        assert second.drained.wait(30)
        expected = produced + [i for i in waiting if i not in set(produced)]
        assert subscriber.wait_for(
            lambda: len({m.json()["id"] for m in subscriber.on(ACCESS)}) == len(expected), 10)
        received = [m.json()["id"] for m in subscriber.on(ACCESS)]
        assert list(dict.fromkeys(received)) == expected
        assert len(received) - len(expected) <= 1  # only the event in flight at the kill repeats
    finally:
        second.kill()
        subscriber.close()
