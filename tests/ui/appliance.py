"""The appliance running in a thread on the bundled clip, with the console on a free port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from edge.config.settings import Settings
from edge.events.door import DoorAgent
from edge.events.relay import SimulatedRelay
from edge.service.demo import DEMO_DIR
from edge.service.main import Running, assemble
from edge.ui.auth import write_password_file
from tests.support.mosquitto import Broker, free_port

PASSWORD = "correct horse battery"
CLIP = DEMO_DIR / "carphone.mp4"


def console_settings(state_dir: Path, broker: Broker | None = None, **overrides: Any) -> Settings:
    """The clip looped in real time, the console on a free loopback port, MQTT only with ``broker``.

    PAD is off: in a looped clip the driver is one endless track, and a PAD verdict is final for a
    track, so whether he is granted after being enrolled mid-run would depend on how long the
    earlier tests took (PAD on the clip is tested in tests/loop).
    """
    mqtt: dict[str, Any] = {"enabled": False}
    if broker is not None:
        mqtt = {"host": broker.host, "port": broker.port, "door_secret": "s3cret-door-key-for-tests"}
    return Settings.model_validate({
        "device": {"id": "door-ui", "door": "front", "name": "Test door"},
        "camera": {"source": {"type": "opencv", "uri": str(CLIP), "loop": True, "realtime": True}},
        "service": {"state_dir": str(state_dir), "health_port": free_port()},
        "mqtt": mqtt,
        "vision": {"pad": {"enabled": False}},
        **overrides,
    })


@dataclass
class Console:
    url: str
    running: Running
    relay: SimulatedRelay | None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10.0)


@contextmanager
def running_console(settings: Settings, *, password: str | None = PASSWORD) -> Iterator[Console]:
    """Run the loop until the block ends; a door agent with a simulated relay when MQTT is on."""
    if password is not None:
        write_password_file(settings.ui_password_path, password)
    relay = agent = None
    if settings.mqtt.enabled:
        relay = SimulatedRelay(initial_unlocked=False)
        agent = DoorAgent(settings, relay)
        agent.start()
    stop = threading.Event()
    try:
        with assemble(settings) as running:
            loop = threading.Thread(target=running.appliance.run, args=(running.reader, stop),
                                    name="appliance-loop", daemon=True)
            loop.start()
            try:
                yield Console(f"http://127.0.0.1:{settings.service.health_port}", running, relay)
            finally:
                stop.set()
                loop.join(10)
    finally:
        if agent is not None:
            agent.stop()


def log_in(client: httpx.Client, password: str = PASSWORD, user: str = "admin") -> httpx.Response:
    """The login form as a browser posts it (its double-submit CSRF cookie included)."""
    page = client.get("/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    return client.post("/login", data={"csrf": token, "user": user, "password": password})
