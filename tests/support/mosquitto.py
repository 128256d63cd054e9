"""Real Mosquitto brokers for tests: own instances on free loopback ports, killable and restartable.

Beyond a plain anonymous listener, a broker can get users (a password file made with
``mosquitto_passwd``), an ACL, a TLS listener with certificates made by :func:`make_pki`, and
on-disk persistence that survives ``stop()`` + ``start()`` (saved after every change).
"""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Pki:
    """A test CA and the server's certificate for 127.0.0.1 / localhost (PEM files)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def make_pki(workdir: Path) -> Pki:
    """Generate a CA and a server certificate signed by it, valid for a day."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
        ]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(workdir / "ca.crt", workdir / "server.crt", workdir / "server.key")
    pki.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pki.server_key)
    return pki


class Broker:
    """One mosquitto process with a generated configuration; ``stop``/``start`` keep the port.

    ``users`` (name -> password) makes a password file; ``acl`` (user -> lines such as
    ``"topic write a/b"``) an ACL file; ``tls`` adds a TLS listener on ``tls_port``;
    ``persistent`` keeps sessions and queued messages on disk across ``stop``/``start``.
    """

    def __init__(self, workdir: Path, *, port: int | None = None, extra_conf: str = "",
                 anonymous: bool = True, users: Mapping[str, str] | None = None,
                 acl: Mapping[str, Sequence[str]] | None = None, tls: Pki | None = None,
                 persistent: bool = False) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.tls_port = free_port() if tls else None
        self.host = "127.0.0.1"
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"
        # Started as root, mosquitto drops to the "mosquitto" user, which cannot read files in
        # the test's private folder (password file, keys, log): stay the user we are.
        conf = [f"user {getpass.getuser()}", f"listener {self.port} 127.0.0.1",
                f"allow_anonymous {'true' if anonymous else 'false'}"]
        if persistent:
            store = workdir / f"store-{self.port}"
            store.mkdir(exist_ok=True)
            conf += ["persistence true", f"persistence_location {store}/",
                     "autosave_on_changes true", "autosave_interval 1"]
        else:
            conf.append("persistence false")
        conf += [f"log_dest file {self.log}", "log_type all"]
        for name, password in (users or {}).items():
            conf_line = f"password_file {self.add_user(name, password)}"
            if conf_line not in conf:
                conf.append(conf_line)
        if acl is not None:
            acl_file = workdir / f"acl-{self.port}"
            acl_file.write_text("".join(f"user {user}\n" + "".join(f"{line}\n" for line in lines) + "\n"
                                        for user, lines in acl.items()))
            conf.append(f"acl_file {acl_file}")
        if tls is not None:
            conf += [f"listener {self.tls_port} 127.0.0.1", f"cafile {tls.ca_cert}",
                     f"certfile {tls.server_cert}", f"keyfile {tls.server_key}"]
        self.conf.write_text("\n".join(conf) + "\n" + extra_conf)
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

    def freeze(self) -> None:
        """Stop the broker's process where it is (SIGSTOP): it acknowledges nothing from now on."""
        assert self.process is not None and self.process.poll() is None
        self.process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        """Kill the broker abruptly (as a crash or power cut would), frozen or not."""
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
