"""The official SDK's client, configured from settings, with its errors turned into ours.

Everything on the wire (TC3-HMAC-SHA256 signing, headers, envelope, error parsing) is the SDK's
``IaiClient``; this module only builds it and names the calls.
"""

from __future__ import annotations

import json
from typing import Any

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import iai_client, models

from edge.config.secrets import resolve_secret
from edge.errors import ConfigError
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.iai.errors import from_sdk

SECRET_KEY_SETTING = "identify.backends.iai.secret_key"


class IaiApi:
    """Calls IAI actions by name with plain parameters; answers are the SDK's response models.

    The SDK takes its timeout when a client is built, so one client is kept per timeout used
    (in practice two: the configured one and the identification deadline).
    """

    def __init__(self, config: IaiBackendConfig) -> None:
        secret_key = resolve_secret(config.secret_key, config.secret_key_file, SECRET_KEY_SETTING)
        problems = []
        if not config.secret_id:
            problems.append("identify.backends.iai.secret_id: required")
        if not secret_key:
            problems.append(f"{SECRET_KEY_SETTING}: required (or {SECRET_KEY_SETTING}_file)")
        if problems:
            raise ConfigError(problems)
        self._config = config
        self._credential = Credential(config.secret_id, secret_key)
        self._clients: dict[int, iai_client.IaiClient] = {}

    def _client(self, timeout_s: float) -> iai_client.IaiClient:
        key = max(1, round(timeout_s * 1000))
        client = self._clients.get(key)
        if client is None:
            http = HttpProfile(
                protocol=self._config.scheme, endpoint=self._config.endpoint, reqTimeout=key / 1000
            )
            client = iai_client.IaiClient(
                self._credential, self._config.region, ClientProfile(httpProfile=http)
            )
            self._clients[key] = client
        return client

    def call(self, action: str, params: dict[str, Any], *, timeout_s: float | None = None) -> Any:
        """Run ``action`` (e.g. ``"SearchPersons"``) and return its response model.

        Raises the typed errors of :mod:`edge.identify.iai.errors`, or
        :class:`edge.errors.BackendUnavailable` when no answer came in time.
        """
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        timeout = self._config.timeout_s if timeout_s is None else min(timeout_s, self._config.timeout_s)
        try:
            return getattr(self._client(timeout), action)(request)
        except TencentCloudSDKException as exc:
            raise from_sdk(exc) from exc
