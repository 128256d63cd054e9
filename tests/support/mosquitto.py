"""Real Mosquitto brokers for tests: own instances on free loopback ports, killable and restartable."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One mosquitto process with a generated configuration; ``stop``/``start`` keep the port."""

    def __init__(self, workdir: Path, *, port: int | None = None, extra_conf: str = "",
                 anonymous: bool = True) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"
        listener = f"listener {self.port} 127.0.0.1\n"
        self.conf.write_text(
            listener
            + f"allow_anonymous {'true' if anonymous else 'false'}\n"
            + "persistence false\n"
            + f"log_dest file {self.log}\n"
            + "log_type all\n"
            + extra_conf
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> Broker:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err} (see {self.log})")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        """Kill the broker abruptly (as a crash or power cut would)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def add_user(self, username: str, password: str) -> Path:
        """Add a user to this broker's password file (restart the broker to apply)."""
        passwd = self.workdir / f"passwd-{self.port}"
        flags = ["-b"] if passwd.exists() else ["-c", "-b"]
        subprocess.run([MOSQUITTO_PASSWD, *flags, str(passwd), username, password], check=True,
                       capture_output=True)
        passwd.chmod(0o600)
        return passwd


@contextmanager
def running_broker(workdir: Path, **kwargs: object) -> Iterator[Broker]:
    broker = Broker(workdir, **kwargs)  # type: ignore[arg-type]
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
