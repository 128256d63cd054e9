"""The door agent: executes signed, fresh, first-seen door commands on a lock relay.

Runs beside the appliance or on a separate Pi (``edge door``). Fail mode (``door.fail_mode``):
the relay is claimed in the fail state (secure = locked, safe = released) and stays there until
the agent is connected and subscribed; from then on its rest state is locked and an ``unlock``
releases the door for ``door.pulse_s``. At stop, SIGTERM, SIGINT and on a crash of the Python
process (exception, atexit) the relay returns to the fail state. Door state (``LOCKED`` /
``UNLOCKED``) is published retained on ``<prefix>/door/state``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable

import paho.mqtt.client as paho

from edge.config.secrets import resolve_secret
from edge.config.settings import Settings
from edge.errors import ConfigError
from edge.events.command import CommandRejected, DoorCommand, verify
from edge.events.connection import Identity, MqttConnection
from edge.events.nonces import NonceCache
from edge.events.relay import Relay
from edge.events.topics import Topics

log = logging.getLogger(__name__)

LOCKED, UNLOCKED = "LOCKED", "UNLOCKED"
REJECTION_LOG_EVERY_S = 10.0  # one warning per reason this often: a flood must not flood the log
# MQTT 5 Receive Maximum: let the broker hand over a flood at once instead of queueing it
# (Mosquitto drops what exceeds max_queued_messages: a forged flood would push out the next
# valid command). The agent's handler only checks a signature per message: it keeps up.
RECEIVE_MAXIMUM = 65535


def fail_unlocked(settings: Settings) -> bool:
    """The relay state of the fail mode: safe = released, secure = locked."""
    return settings.door.fail_mode == "safe"


class DoorAgent:
    def __init__(self, settings: Settings, relay: Relay, *,
                 clock: Callable[[], float] = time.time) -> None:
        secret = resolve_secret(settings.mqtt.door_secret, settings.mqtt.door_secret_file,
                                "mqtt.door_secret")
        if not secret:
            raise ConfigError(["mqtt.door_secret: the door agent needs the secret it shares with "
                               "the appliance (or mqtt.door_secret_file)"])
        self._secret = secret
        self.settings = settings
        self.relay = relay
        self._clock = clock
        self.topics = Topics.of(settings)
        self.nonces = NonceCache(settings.door.replay_cache_path
                                 or settings.service.state_dir / "door-nonces.sqlite")
        # A random suffix: a client id someone can guess is a client id someone can take over
        # (the broker disconnects the older of two clients with the same id).
        self.connection = MqttConnection(
            settings.mqtt,
            Identity(f"edge-door-{settings.device.id}-{secrets.token_hex(8)}", self.topics.door_availability),
            receive_maximum=RECEIVE_MAXIMUM,
        )
        self.executed: list[DoorCommand] = []
        self.rejected: Counter[str] = Counter()
        self._last_logged: dict[str, tuple[float, int]] = {}  # reason -> (when, rejected count then)
        self._lock = threading.Lock()
        self._relock: threading.Timer | None = None
        self._operational = False
        self.connection.route(self.topics.door_command, self._on_message)
        self.connection.on_connect.append(self._on_connect)

    def start(self) -> None:
        self.connection.start()

    def stop(self) -> None:
        """Leave the relay in the fail state, say so, disconnect."""
        self.fail()
        self._publish_state()
        self.connection.stop()
        self.relay.close()
        self.nonces.close()

    def fail(self) -> None:
        """Put the relay in the fail state (safe to call more than once, from any thread)."""
        with self._lock:
            if self._relock is not None:
                self._relock.cancel()
            self._operational = False
            self.relay.set_unlocked(fail_unlocked(self.settings))

    # -- commands --------------------------------------------------------------------------

    def execute(self, payload: bytes, *, retained: bool = False) -> DoorCommand:
        """Check and carry out one command; raises :class:`CommandRejected` and counts why."""
        try:
            if retained:
                raise CommandRejected("replayed", "retained message")
            now = self._clock()
            command = verify(payload, self._secret, device=self.settings.device.id,
                             door=self.settings.device.door, now=now,
                             max_skew_s=self.settings.door.max_clock_skew_s,
                             max_ttl_s=self.settings.door.max_ttl_s)
            if not self.nonces.first_use(command.nonce, command.expires_ms, int(now * 1000)):
                raise CommandRejected("replayed")
        except CommandRejected as exc:
            self.rejected[exc.reason] += 1
            self._log_rejection(exc)
            raise
        self.executed.append(command)
        log.info("door: %s (from %s)", command.action, command.source)
        if command.action == "unlock":
            self._unlock()
        else:
            self._rest()
        return command

    def _log_rejection(self, exc: CommandRejected) -> None:
        """The first rejection of each reason, then at most one line per reason per
        :data:`REJECTION_LOG_EVERY_S` with the count since."""
        now = time.monotonic()
        count = self.rejected[exc.reason]
        last = self._last_logged.get(exc.reason)
        if last is None or now - last[0] >= REJECTION_LOG_EVERY_S:
            since = "" if last is None or count - last[1] <= 1 else \
                f" ({count - last[1] - 1} more of this kind since the last line)"
            log.warning("%s%s", exc, since)
            self._last_logged[exc.reason] = (now, count)

    def _on_message(self, message: paho.MQTTMessage) -> None:
        with contextlib.suppress(CommandRejected):  # counted and logged by execute
            self.execute(bytes(message.payload), retained=message.retain)

    def _unlock(self) -> None:
        with self._lock:
            if self._relock is not None:
                self._relock.cancel()
            self.relay.set_unlocked(True)
            self._relock = threading.Timer(self.settings.door.pulse_s, self._rest)
            self._relock.daemon = True
            self._relock.start()
        self._publish_state()

    def _rest(self) -> None:
        with self._lock:
            if self._relock is not None:
                self._relock.cancel()
                self._relock = None
            self.relay.set_unlocked(False)
        self._publish_state()

    # -- connection ------------------------------------------------------------------------

    def _on_connect(self) -> None:
        if not self._operational:
            self._operational = True
            self._rest()  # in control now: leave the fail state for the locked rest state
        self._publish_state(connecting=True)

    def _publish_state(self, *, connecting: bool = False) -> None:
        if connecting or self.connection.connected:
            state = UNLOCKED if self.relay.unlocked else LOCKED
            self.connection.publish(self.topics.door_state, state, qos=1, retain=True)
