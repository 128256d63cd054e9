"""``edge doctor``'s checks of what lies beyond the device: broker, cloud backends, clock skew."""

from __future__ import annotations

import secrets
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from edge.config.secrets import resolve_secret
from edge.config.settings import Settings
from edge.errors import BackendUnavailable, ConfigError, EdgeError, RemoteError
from edge.events.connection import new_client
from edge.identify.config import BackendConfig
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.sensetime.config import SenseTimeBackendConfig
from edge.identify.youtu.config import YoutuBackendConfig
from edge.service.check import CheckResult

MAX_SKEW_S = 300.0  # Tencent's current API rejects signatures more than 5 minutes off
WARN_SKEW_S = 30.0
CONNECT_TIMEOUT_S = 5.0
# CONNACK reasons that mean "reached the broker, but it refused who we are"
_CREDENTIAL_REFUSALS = {"Bad user name or password", "Not authorized", "Client identifier not valid"}


def broker(settings: Settings) -> Iterator[CheckResult]:
    """Connect with the configured protocol, TLS and credentials; tell unreachable from refused."""
    mqtt = settings.mqtt
    where = f"{mqtt.host}:{mqtt.port}"
    if not mqtt.enabled:
        yield CheckResult("broker", "skip", "mqtt.enabled = false")
        return
    protocol = MQTTProtocolVersion.MQTTv311 if mqtt.protocol == "3.1.1" else MQTTProtocolVersion.MQTTv5
    client = new_client(mqtt, f"edge-doctor-{settings.device.id}-{secrets.token_hex(4)}", protocol,
                        resolve_secret(mqtt.password, mqtt.password_file, "mqtt.password"))
    client.connect_timeout = CONNECT_TIMEOUT_S
    answered = threading.Event()
    reasons: list[ReasonCode] = []

    def on_connect(client: paho.Client, userdata: object, flags: object, reason: ReasonCode,
                   properties: object) -> None:
        reasons.append(reason)
        answered.set()

    client.on_connect = on_connect
    unreachable_hint = (f"start the broker or fix mqtt.host/mqtt.port; from here: "
                        f"`mosquitto_sub -h {mqtt.host} -p {mqtt.port} -t '#' -C 1`")
    try:
        client.connect(mqtt.host, mqtt.port, keepalive=mqtt.keepalive_s)
    except ssl.SSLError as exc:
        yield CheckResult("broker", "fail", f"{where}: TLS handshake failed: {exc}",
                          "mqtt.tls_ca_file must hold the CA that signed the broker's certificate, "
                          "and mqtt.host must be a name the certificate carries")
        return
    except OSError as exc:
        yield CheckResult("broker", "fail", f"{where} unreachable: {exc}", unreachable_hint)
        return
    client.loop_start()
    try:
        if not answered.wait(CONNECT_TIMEOUT_S):
            yield CheckResult("broker", "fail", f"{where}: no CONNACK within {CONNECT_TIMEOUT_S:.0f} s",
                              unreachable_hint + "; a TLS port needs mqtt.tls_ca_file")
            return
        reason = reasons[0]
        if not reason.is_failure:
            user = f" as {mqtt.username}" if mqtt.username else " anonymously"
            yield CheckResult("broker", "ok", f"{where}: connected{user}")
        elif str(reason) in _CREDENTIAL_REFUSALS:
            yield CheckResult("broker", "fail", f"{where} refused the credentials: {reason}",
                              "fix mqtt.username and mqtt.password_file (mosquitto_passwd on the broker)")
        else:
            yield CheckResult("broker", "fail", f"{where} refused the connection: {reason}",
                              "see the broker's log; mqtt.protocol = \"3.1.1\" for an old broker")
    finally:
        client.disconnect()
        client.loop_stop()


def backends(settings: Settings) -> Iterator[CheckResult]:
    """A signed, harmless call to each configured cloud backend (nothing is created or changed)."""
    for config in settings.identify.backends:
        name = f"backend {config.type}"
        if config.type == "local":
            yield CheckResult(name, "ok", "on-device (see models and gallery)")
            continue
        try:
            detail = _probe(config)
        except ConfigError as exc:
            yield CheckResult(name, "fail", str(exc).replace("\n", "; "),
                              "set the backend's credentials in /etc/edge/edge.toml and /etc/edge/secrets")
        except BackendUnavailable as exc:
            yield CheckResult(name, "fail", f"unreachable: {exc}",
                              f"check the network and the endpoint {_base_url(config)}")
        except RemoteError as exc:
            yield CheckResult(name, "fail", f"refused: {exc}", _remote_hint(exc))
        except EdgeError as exc:
            yield CheckResult(name, "fail", str(exc))
        else:
            yield CheckResult(name, "ok", detail)


def _probe(config: BackendConfig) -> str:
    if isinstance(config, YoutuBackendConfig):
        from edge.identify.youtu.client import YoutuClient

        with YoutuClient(config) as youtu:
            groups = youtu.getgroupids()
        return f"getgroupids answered: {len(groups)} groups"
    if isinstance(config, IaiBackendConfig):
        from edge.identify.iai.client import IaiApi

        answer = IaiApi(config).call("GetGroupList", {"Offset": 0, "Limit": 1})
        return f"GetGroupList answered: {answer.GroupNum} groups"
    assert isinstance(config, SenseTimeBackendConfig)
    return _sensetime_info(config)


def _sensetime_info(config: SenseTimeBackendConfig) -> str:
    """``/info/api``: the account's rate limit and quotas (the backend resolves the credentials)."""
    from edge.identify.sensetime.backend import SenseTimeBackend

    with SenseTimeBackend(config).client as client:
        info = client.info_api()
    return f"/info/api answered: rate limit {info.rate_limit}"


def _remote_hint(exc: RemoteError) -> str:
    code = str(exc.code)
    if "SignatureExpire" in code or code == "9" or code == "KEY_EXPIRED":
        return "the device clock is off (see the clock line): enable NTP with `timedatectl set-ntp true`"
    return ("check the backend's id and secret key (copy them again from the vendor's console "
            "into /etc/edge/secrets) and that the account is active")


def _base_url(config: BackendConfig) -> str:
    if isinstance(config, IaiBackendConfig):
        return f"{config.scheme}://{config.endpoint}"
    if isinstance(config, YoutuBackendConfig | SenseTimeBackendConfig):
        return config.base_url
    return ""


def clock(settings: Settings) -> Iterator[CheckResult]:
    """Compare the local clock with the Date header of the reference (or the first cloud)."""
    url = settings.service.clock_reference_url or next(
        (_base_url(b) for b in settings.identify.backends if b.type != "local"), None)
    if url is None:
        yield CheckResult("clock", "skip", "no cloud backend and no service.clock_reference_url")
        return
    try:
        response = httpx.head(url, timeout=CONNECT_TIMEOUT_S)
    except httpx.HTTPError as exc:
        yield CheckResult("clock", "fail", f"{url} unreachable: {type(exc).__name__}",
                          "set service.clock_reference_url to a reachable HTTP server")
        return
    local = datetime.now(timezone.utc)
    try:
        remote = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        yield CheckResult("clock", "fail", f"{url} sent no usable Date header",
                          "set service.clock_reference_url to a server that sends one")
        return
    skew = (local - remote).total_seconds()
    detail = f"local clock {skew:+.0f} s against {url}"
    hint = "enable NTP (`timedatectl set-ntp true`, systemd-timesyncd or chrony) and check the RTC"
    if abs(skew) > MAX_SKEW_S:
        yield CheckResult("clock", "fail", f"{detail}: more than {MAX_SKEW_S:.0f} s, cloud calls "
                          "will be refused", hint)
    elif abs(skew) > WARN_SKEW_S:
        yield CheckResult("clock", "warn", detail, hint)
    else:
        yield CheckResult("clock", "ok", detail)
