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
from edge.identify.families import Family, family_of
from edge.identify.registry import plugin_for
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
    """A harmless call to each configured backend (its registry record's ``check``: nothing is
    created or changed); a vendor's refusal is reported by its error family."""
    for config in settings.identify.backends:
        name = f"backend {config.type}"
        plugin = plugin_for(config.type)
        try:
            detail = plugin.check(config)
        except ConfigError as exc:
            yield CheckResult(name, "fail", str(exc).replace("\n", "; "),
                              "set the backend's credentials in /etc/edge/edge.toml and /etc/edge/secrets")
        except RemoteError as exc:
            yield _refusal(name, exc)
        except BackendUnavailable as exc:
            yield CheckResult(name, "fail", f"unreachable: {exc}",
                              f"check the network and the endpoint {_endpoint(config)}")
        except EdgeError as exc:
            yield CheckResult(name, "fail", str(exc))
        else:
            yield CheckResult(name, "ok", detail)


def _refusal(name: str, exc: RemoteError) -> CheckResult:
    """A documented error of the vendor, judged by its family (:mod:`edge.identify.families`)."""
    family = family_of(exc)
    if family is Family.RATE_LIMITED:
        return CheckResult(name, "warn", f"rate-limited: {exc}",
                           "the account's call rate or quota is used up: wait, or raise it in the vendor's "
                           "console (and run the doctor again: the key may not have been checked); "
                           "meanwhile the door fails over to the next backend")
    if family is Family.UNAVAILABLE:
        return CheckResult(name, "fail", f"the service failed: {exc}",
                           "a fault of the vendor's service: try again later; meanwhile the door fails over "
                           "to the next backend")
    if family is Family.UNAUTHORIZED:
        return CheckResult(name, "fail", f"refused: {exc}", _credentials_hint(exc))
    return CheckResult(name, "fail", f"refused: {exc}",
                       "the endpoint answered, but not as this API: check the backend's endpoint setting")


def _credentials_hint(exc: RemoteError) -> str:
    code = str(exc.code)
    if "SignatureExpire" in code or code == "9":  # IAI's and YouTu's "signature expired"
        return "the device clock is off (see the clock line): enable NTP with `timedatectl set-ntp true`"
    return ("check the backend's id and secret key (copy them again from the vendor's console "
            "into /etc/edge/secrets) and that the account is active")


def _endpoint(config: BackendConfig) -> str:
    endpoint = plugin_for(config.type).endpoint
    return endpoint(config) if endpoint is not None else ""


def clock(settings: Settings) -> Iterator[CheckResult]:
    """Compare the local clock with the Date header of the reference (or the first cloud)."""
    url = settings.service.clock_reference_url or next(
        (_endpoint(b) for b in settings.identify.backends if plugin_for(b.type).endpoint), None)
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
