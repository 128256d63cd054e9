"""One paho-mqtt 2.x connection: protocol choice, TLS, credentials, last will, reconnect.

Used by the appliance (:mod:`edge.events.mqtt`) and by the door agent (:mod:`edge.events.door`).
paho's own thread (``loop_start``) connects, reconnects with exponential backoff between
``RECONNECT_MIN_S`` and ``RECONNECT_MAX_S``, re-sends QoS 1 messages still in flight after a
reconnect, and runs the callbacks below. On every connect this class publishes ``online``
(retained) on the availability topic and re-subscribes its routes.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, LogLevel, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge.config.secrets import resolve_secret
from edge.errors import ConfigError
from edge.events.config import MqttSettings

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
# MQTT 5 DISCONNECT reason 0x8E: another client connected with our client id (Mosquitto: "session
# taken over"). Brokers that just close the old socket (Mosquitto 2.0.11, MQTT 3.1.1) show the same
# fault as connections lost within seconds of connecting, over and over.
SESSION_TAKEN_OVER = 142
SHORT_LIVED_S = 5.0
FLAPPING_BACKOFF_MAX_S = 300
_paho_log = logging.getLogger("paho")
ONLINE, OFFLINE = "online", "offline"
# CONNACK codes of a broker that does not speak MQTT 5: 3.1.1's "unacceptable protocol
# version" and 5's "unsupported protocol version".
_UNSUPPORTED_PROTOCOL = {1, 132}

MessageHandler = Callable[[paho.MQTTMessage], None]


def new_client(settings: MqttSettings, client_id: str, protocol: MQTTProtocolVersion,
               password: str | None) -> paho.Client:
    """A paho client as the appliance connects: protocol, credentials and TLS from ``settings``.

    Shared by :class:`MqttConnection` and ``edge doctor``, so that the doctor tests what the
    service will do. Raises :class:`ConfigError` for TLS files that cannot be loaded.
    """
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    if settings.username is not None:
        client.username_pw_set(settings.username, password)
    s = settings
    if s.tls_ca_file is None and s.tls_cert_file is None:
        return client
    if (s.tls_cert_file is None) != (s.tls_key_file is None):
        raise ConfigError(["mqtt.tls_cert_file and mqtt.tls_key_file: set both or neither"])
    try:
        client.tls_set(
            ca_certs=str(s.tls_ca_file) if s.tls_ca_file else None,
            certfile=str(s.tls_cert_file) if s.tls_cert_file else None,
            keyfile=str(s.tls_key_file) if s.tls_key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConfigError([f"mqtt.tls_*: cannot load the TLS files: {exc}"]) from exc
    return client


@dataclass(frozen=True)
class Identity:
    """Who connects: client id, and the availability topic that carries its last will."""

    client_id: str
    availability_topic: str


class MqttConnection:
    """A reconnecting client; callbacks run on paho's network thread and must be quick."""

    def __init__(self, settings: MqttSettings, identity: Identity, *,
                 receive_maximum: int | None = None) -> None:
        """``receive_maximum``: QoS 1 messages the broker may send before our PUBACKs (MQTT 5)."""
        self.settings = settings
        self.identity = identity
        self.receive_maximum = receive_maximum
        self._password = resolve_secret(settings.password, settings.password_file, "mqtt.password")
        self._protocol = MQTTProtocolVersion.MQTTv311 if settings.protocol == "3.1.1" \
            else MQTTProtocolVersion.MQTTv5
        self._routes: dict[str, tuple[int, MessageHandler]] = {}
        self._connected = threading.Event()
        self._last_refusal: str | None = None
        self._stopping = False
        self._connected_at = 0.0
        self._short_lived = 0  # connections in a row lost within SHORT_LIVED_S (or taken over)
        self._unreachable_told = False
        self.on_connect: list[Callable[[], None]] = []
        self.on_connection_lost: list[Callable[[], None]] = []
        self.on_ack: Callable[[int, bool], None] | None = None
        self._client = self._build_client()

    @property
    def is_v5(self) -> bool:
        return self._protocol == MQTTProtocolVersion.MQTTv5

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def route(self, topic_filter: str, handler: MessageHandler, qos: int = 1) -> None:
        """Deliver messages matching ``topic_filter`` to ``handler`` (subscribed on every connect)."""
        self._routes[topic_filter] = (qos, handler)
        self._client.message_callback_add(topic_filter, self._guarded(handler))
        if self.connected:
            self._client.subscribe(topic_filter, qos)

    def publish(self, topic: str, payload: bytes | str, *, qos: int, retain: bool = False,
                expiry_s: int | None = None) -> paho.MQTTMessageInfo:
        properties = None
        if expiry_s is not None and self.is_v5:
            properties = Properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = expiry_s
        return self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

    def start(self) -> None:
        """Connect in the background; returns at once, also when the broker is down."""
        properties = None
        if self.is_v5 and self.receive_maximum is not None:
            properties = Properties(PacketTypes.CONNECT)
            properties.ReceiveMaximum = self.receive_maximum
        self._client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive_s,
                                   properties=properties)
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Say ``offline`` (retained; a clean disconnect sends no will), disconnect, stop the thread."""
        self._stopping = True
        if self.connected:
            info = self.publish(self.identity.availability_topic, OFFLINE, qos=1, retain=True)
            info.wait_for_publish(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    # -- paho client and callbacks --------------------------------------------------------

    def _build_client(self) -> paho.Client:
        client = new_client(self.settings, self.identity.client_id, self._protocol, self._password)
        client.on_log = self._on_paho_log
        client.on_connect_fail = self._on_connect_fail
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.will_set(self.identity.availability_topic, OFFLINE, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        for topic_filter, (_, handler) in self._routes.items():
            client.message_callback_add(topic_filter, self._guarded(handler))
        return client

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            self._refused(reason)
            return
        self._last_refusal = None
        self._unreachable_told = False
        self._connected_at = time.monotonic()
        log.info("mqtt: connected to %s:%d as %s (MQTT %s)", self.settings.host, self.settings.port,
                 self.identity.client_id, "5" if self.is_v5 else "3.1.1")
        client.publish(self.identity.availability_topic, ONLINE, qos=1, retain=True)
        for topic_filter, (qos, _) in self._routes.items():
            client.subscribe(topic_filter, qos)
        # Callbacks publish before anyone else may (``connected`` is still false) and before
        # paho re-sends what was in flight when the connection was lost: order is kept.
        for callback in self.on_connect:
            callback()
        self._connected.set()

    def _refused(self, reason: ReasonCode) -> None:
        if self.settings.protocol == "auto" and self.is_v5 and reason.value in _UNSUPPORTED_PROTOCOL:
            log.warning("mqtt: the broker does not speak MQTT 5; falling back to 3.1.1")
            threading.Thread(target=self._fall_back_to_311, name="mqtt-fallback", daemon=True).start()
            return
        if str(reason) != self._last_refusal:  # log a refusal once, not at every retry
            log.error("mqtt: %s:%d refused the connection: %s", self.settings.host,
                      self.settings.port, reason)
            self._last_refusal = str(reason)

    def _fall_back_to_311(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._protocol = MQTTProtocolVersion.MQTTv311
        self._client = self._build_client()
        self.start()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: paho.DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and not self._stopping:
            self._back_off_if_flapping(client, reason)
            for callback in self.on_connection_lost:
                callback()

    def _back_off_if_flapping(self, client: paho.Client, reason: ReasonCode) -> None:
        """Say why the connection was lost; wait longer each time it is lost right after connecting.

        paho restarts its backoff at every successful connect, so two devices sharing a client id
        would take the session from each other every second, forever.
        """
        lived_s = time.monotonic() - self._connected_at
        taken_over = reason.value == SESSION_TAKEN_OVER
        self._short_lived = self._short_lived + 1 if taken_over or lived_s < SHORT_LIVED_S else 0
        delay = min(RECONNECT_MIN_S * 2 ** self._short_lived, FLAPPING_BACKOFF_MAX_S)
        client.reconnect_delay_set(delay, max(delay, RECONNECT_MAX_S))
        client_id = self.identity.client_id
        if taken_over:
            log.error("mqtt: the broker gave our session to another client with the client id %r: "
                      "two devices share it (device.id or mqtt.client_id); give each its own. "
                      "Reconnecting in %d s", client_id, delay)
        elif self._short_lived >= 2:
            log.error("mqtt: connection lost %.1f s after connecting (%s), %d times in a row: does "
                      "another device use the client id %r (the same device.id)? Reconnecting in "
                      "%d s", lived_s, reason, self._short_lived, client_id, delay)
        else:
            log.warning("mqtt: connection lost (%s); reconnecting in %d s", reason, delay)

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        """The broker cannot be reached: said once per outage; paho retries with backoff."""
        if not self._unreachable_told:
            log.warning("mqtt: broker %s:%d not reachable; retrying with backoff (events wait in "
                        "the outbox)", self.settings.host, self.settings.port)
            self._unreachable_told = True

    def _on_paho_log(self, client: paho.Client, userdata: object, level: int, text: str) -> None:
        """paho's own log, with its error lines about a broker not there yet kept to DEBUG:
        waiting for a broker is normal, and :meth:`_on_connect_fail` says it once."""
        python_level = paho.LOGGING_LEVEL[LogLevel(level)]
        if level == LogLevel.MQTT_LOG_ERR and not self.connected:
            python_level = logging.DEBUG
        _paho_log.log(python_level, text)

    def _on_publish(self, client: paho.Client, userdata: object, mid: int, reason: ReasonCode,
                    properties: Properties | None) -> None:
        """The broker's PUBACK; under MQTT 5 it may carry a refusal (e.g. not authorized)."""
        if self.on_ack is not None:
            self.on_ack(mid, not reason.is_failure)

    @staticmethod
    def _guarded(handler: MessageHandler) -> Callable[[paho.Client, object, paho.MQTTMessage], None]:
        """A message handler that logs its own failure instead of killing paho's thread."""
        def call(client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
            try:
                handler(message)
            except Exception:
                log.exception("mqtt: handler for %s failed", message.topic)
        return call
