"""``edge emulate <api>``: run a local server of a cloud face API on real HTTP.

The subcommands are the ``emulator`` commands of the backend registry
(:mod:`edge.identify.registry`); the three below are those of YouTu, IAI and SenseTime. Each
command's imports stay inside its function so that one emulator's dependencies never load for
another.
"""

from __future__ import annotations

from pathlib import Path

import click

from edge.cli.main import AppContext, LazyGroup, pass_app
from edge.identify.registry import PLUGINS


class EmulatorGroup(LazyGroup):
    """One subcommand per registered backend with an emulator, named by its ``type``."""

    def lazy_commands(self) -> dict[str, str]:
        return {p.type: p.emulator for p in PLUGINS if p.emulator}


@click.group(cls=EmulatorGroup)
def emulate() -> None:
    """Local servers of the cloud face APIs (for tests, or on premises in place of the cloud)."""


def _server_options(default_port: int):  # noqa: ANN202 - a stack of click decorators
    def decorate(command):  # noqa: ANN001, ANN202
        command = click.option(
            "--data",
            "data_dir",
            required=True,
            type=click.Path(path_type=Path, file_okay=False),
            help="Folder of the server's state (SQLite)",
        )(command)
        command = click.option(
            "--port", default=default_port, show_default=True, type=click.IntRange(0, 65535)
        )(command)
        command = click.option(
            "--latency-ms", default=0.0, show_default=True, type=click.FloatRange(0),
            help="Answer every request this much later, like a distant cloud",
        )(command)
        for flag, what in (("--tls-key", "its private key"), ("--tls-cert", "a PEM certificate (chain)")):
            command = click.option(
                flag, type=click.Path(path_type=Path, dir_okay=False, exists=True),
                help=f"Serve HTTPS only, with {what}; give both --tls-cert and --tls-key",
            )(command)
        return click.option("--host", default="127.0.0.1", show_default=True)(command)

    return decorate


def _url_allow_option():  # noqa: ANN202 - a click decorator
    return click.option(
        "--url-allow",
        multiple=True,
        metavar="HOST",
        help="Fetch url images only from these hosts (name, *.suffix or IP network; default: any)",
    )


def _tls(cert: Path | None, key: Path | None):  # noqa: ANN202 - TlsFiles, imported lazily
    """The TLS files, or None for plain HTTP; both or neither must be given."""
    from edge.emulators.common import TlsFiles

    if (cert is None) != (key is None):
        raise click.UsageError("give both --tls-cert and --tls-key, or neither")
    return TlsFiles(cert, key) if cert and key else None


def _url(host: str, port: int, tls: object) -> str:
    return f"{'https' if tls else 'http'}://{host}:{port}"


def _secret_option(flag: str, envvar: str):  # noqa: ANN202 - a click decorator
    return click.option(flag, envvar=envvar, required=True,
                        help=f"Also from ${envvar} (keeps it out of the process list)")


@click.command("youtu")
@_server_options(8081)
@click.option("--appid", required=True, help="The one appid this server serves")
@click.option("--secret-id", required=True)
@_secret_option("--secret-key", "EDGE_YOUTU_SECRET_KEY")
@click.option("--persons-per-group", default=20000, show_default=True, type=click.IntRange(1))
@click.option(
    "--max-requests-per-s",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Answer code 15 beyond this rate (0 = no limit)",
)
@click.option("--bucket", help="Refuse signatures naming another bucket (16); default: any")
@_url_allow_option()
@pass_app
def youtu(
    app: AppContext,
    host: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    port: int,
    data_dir: Path,
    appid: str,
    secret_id: str,
    secret_key: str,
    persons_per_group: int,
    max_requests_per_s: float,
    bucket: str | None,
    url_allow: tuple[str, ...],
    latency_ms: float,
) -> None:
    """The legacy Tencent YouTu face API (POST /face/<action>)."""
    from edge.emulators.common import serve
    from edge.emulators.latency import with_latency
    from edge.emulators.youtu.app import build

    server = build(app.settings, data_dir, appid, {secret_id: secret_key}, persons_per_group,
                   max_requests_per_s, bucket, url_allow)
    tls = _tls(tls_cert, tls_key)
    click.echo(f"youtu emulator for appid {appid} on {_url(host, port, tls)} (state in {data_dir})")
    serve(with_latency(server, latency_ms), host, port, tls)


@click.command("iai")
@_server_options(8083)
@click.option("--secret-id", required=True)
@_secret_option("--secret-key", "EDGE_IAI_SECRET_KEY")
@click.option(
    "--rate-limit",
    default=20.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Requests per second per SecretId before RequestLimitExceeded (0: no limit)",
)
@_url_allow_option()
@pass_app
def iai(
    app: AppContext, host: str, tls_cert: Path | None, tls_key: Path | None, port: int, data_dir: Path,
    secret_id: str, secret_key: str, rate_limit: float, url_allow: tuple[str, ...], latency_ms: float,
) -> None:
    """Tencent Cloud face recognition, API 2020-03-03 (TC3-HMAC-SHA256 signed POST /)."""
    from edge.emulators.common import serve
    from edge.emulators.iai.app import build
    from edge.emulators.latency import with_latency

    server = build(app.settings.vision, data_dir, {secret_id: secret_key}, rate_limit=rate_limit or None,
                   url_allow=url_allow)
    tls = _tls(tls_cert, tls_key)
    click.echo(f"iai emulator on {_url(host, port, tls)} (state in {data_dir})")
    serve(with_latency(server.app, latency_ms), host, port, tls)


@click.command("sensetime")
@_server_options(8082)
@click.option("--api-id", required=True, help="The one account this server serves")
@_secret_option("--api-secret", "EDGE_SENSETIME_API_SECRET")
@click.option("--rate-limit", default="50q/10s", show_default=True, help="Calls per window, like 50q/10s")
@click.option(
    "--quota",
    multiple=True,
    metavar="KEY=N",
    help="calls, persons, groups, facesets, faces_per_person or persons_per_group",
)
@click.option(
    "--train-delay",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds before a 202 task's untrained target is trained",
)
@_url_allow_option()
@pass_app
def sensetime(
    app: AppContext,
    host: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    port: int,
    data_dir: Path,
    api_id: str,
    api_secret: str,
    rate_limit: str,
    quota: tuple[str, ...],
    train_delay: float,
    url_allow: tuple[str, ...],
    latency_ms: float,
) -> None:
    """The SenseTime face API v1 (seed 004): /info, /face, /person, /group, /faceset."""
    from edge.emulators.common import serve
    from edge.emulators.latency import with_latency
    from edge.emulators.sensetime.app import create_app
    from edge.emulators.sensetime.engine import VisionEngine
    from edge.emulators.sensetime.settings import EmulatorSettings, RateLimit

    settings = EmulatorSettings(
        api_id,
        api_secret,
        data_dir,
        RateLimit.parse(rate_limit),
        EmulatorSettings.parse_quota(list(quota)),
        train_delay_s=train_delay,
        url_allow=url_allow,
    )
    tls = _tls(tls_cert, tls_key)
    click.echo(f"sensetime emulator on {_url(host, port, tls)} (state in {data_dir})")
    serve(with_latency(create_app(settings, VisionEngine(app.settings.vision)), latency_ms), host, port, tls)
