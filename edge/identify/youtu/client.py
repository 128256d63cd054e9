"""A client of the legacy YouTu face API (``POST /face/<action>``) over httpx.

Images are given as ``bytes`` (uploaded: the body becomes multipart) or as ``str`` URLs (the body
stays JSON), as the official SDKs do. Every answer is parsed from its JSON envelope whatever the
HTTP status; a documented error code raises its typed :mod:`edge.identify.youtu.errors` error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from edge.config.secrets import resolve_secret
from edge.errors import BackendUnavailable, ConfigError
from edge.identify.youtu import models
from edge.identify.youtu.config import YoutuBackendConfig
from edge.identify.youtu.errors import YoutuNotFound, YoutuTransient, error_for
from edge.identify.youtu.signature import SignatureSource, YoutuAuth

Image = bytes | str  # bytes = upload, str = URL the service downloads
Data = TypeVar("Data", bound=BaseModel)

OLD_HOST = "service.image.myqcloud.com"
CANDIDATES = 5  # seed 001: identify answers at most five candidates


class _Body:
    """Fields of one request; JSON unless an image is uploaded, then multipart with indexed arrays."""

    def __init__(self, base: dict[str, str]) -> None:
        self.fields: dict[str, Any] = dict(base)
        self.uploads: dict[str, bytes] = {}

    def set(self, name: str, value: Any) -> _Body:
        if value is not None:
            self.fields[name] = value
        return self

    def image(self, upload_name: str, url_name: str, image: Image) -> _Body:
        if isinstance(image, bytes):
            self.uploads[upload_name] = image
        else:
            self.fields[url_name] = image
        return self

    def images(self, images: Sequence[Image]) -> _Body:
        urls = [i for i in images if isinstance(i, str)]
        uploads = [i for i in images if isinstance(i, bytes)]
        if urls and uploads:
            raise ValueError("give either only URLs or only image bytes")
        if urls:
            self.fields["urls"] = urls
        self.uploads.update({f"images[{n}]": data for n, data in enumerate(uploads)})
        return self

    def httpx_arguments(self) -> dict[str, Any]:
        if not self.uploads:
            return {"json": self.fields}
        form: dict[str, str] = {}
        for name, value in self.fields.items():
            if isinstance(value, list):
                form.update({f"{name}[{n}]": str(v) for n, v in enumerate(value)})
            else:
                form[name] = str(value)
        files = {name: (f"{name}.jpg", data, "image/jpeg") for name, data in self.uploads.items()}
        return {"data": form, "files": files}


class YoutuClient:
    """Every action of the seeds. Raises YoutuError subclasses or BackendUnavailable."""

    def __init__(self, config: YoutuBackendConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        secret_key = resolve_secret(config.secret_key, config.secret_key_file, "youtu.secret_key")
        problems = [f"youtu.{k}: required" for k in ("appid", "secret_id") if not getattr(config, k)]
        if not secret_key:
            problems.append("youtu.secret_key: required (or secret_key_file)")
        if urlsplit(config.base_url).hostname == OLD_HOST and not config.bucket:
            problems.append(f"youtu.bucket: required by {OLD_HOST}")
        if problems:
            raise ConfigError(problems)
        self._config = config
        signature = SignatureSource(
            appid=config.appid,
            bucket=config.bucket,
            secret_id=config.secret_id,
            secret_key=secret_key or "",
            ttl_s=config.signature_ttl_s,
        )
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            auth=YoutuAuth(signature),
            timeout=config.timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> YoutuClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- person and group management ---------------------------------------------------------

    def newperson(
        self,
        person_id: str,
        group_ids: Sequence[str],
        image: Image,
        *,
        person_name: str | None = None,
        tag: str | None = None,
    ) -> models.NewPerson:
        body = self._body().set("person_id", person_id).set("group_ids", list(group_ids))
        body.set("person_name", person_name).set("tag", tag).image("image", "url", image)
        return self._call("newperson", body, models.NewPerson)

    def delperson(self, person_id: str) -> models.DeletedPerson:
        return self._call("delperson", self._body().set("person_id", person_id), models.DeletedPerson)

    def addface(
        self, person_id: str, images: Sequence[Image], *, tag: str | None = None
    ) -> models.AddedFaces:
        body = self._body().set("person_id", person_id).set("tag", tag).images(images)
        return self._call("addface", body, models.AddedFaces)

    def delface(self, person_id: str, face_ids: Sequence[str]) -> models.DeletedFaces:
        body = self._body().set("person_id", person_id).set("face_ids", list(face_ids))
        return self._call("delface", body, models.DeletedFaces)

    def setinfo(
        self, person_id: str, *, person_name: str | None = None, tag: str | None = None
    ) -> models.PersonRef:
        body = self._body().set("person_id", person_id).set("person_name", person_name).set("tag", tag)
        return self._call("setinfo", body, models.PersonRef)

    def getinfo(self, person_id: str) -> models.PersonInfo:
        return self._call("getinfo", self._body().set("person_id", person_id), models.PersonInfo)

    def getgroupids(self) -> list[str]:
        return self._call("getgroupids", self._body(), models.GroupIds).group_ids

    def getpersonids(self, group_id: str) -> list[str]:
        return self._call("getpersonids", self._body().set("group_id", group_id), models.PersonIds).person_ids

    def getfaceids(self, person_id: str) -> list[str]:
        return self._call("getfaceids", self._body().set("person_id", person_id), models.FaceIds).face_ids

    def getfaceinfo(self, face_id: str) -> models.FaceInfo:
        body = self._body().set("face_id", face_id)
        return self._call("getfaceinfo", body, models.FaceInfoData).face_info

    def addgroupids(self, person_id: str, group_ids: Sequence[str]) -> models.GroupChange:
        body = self._body().set("person_id", person_id).set("group_ids", list(group_ids))
        return self._call("addgroupids", body, models.GroupChange)

    def delgroupids(self, person_id: str, group_ids: Sequence[str]) -> models.GroupChange:
        body = self._body().set("person_id", person_id).set("group_ids", list(group_ids))
        return self._call("delgroupids", body, models.GroupChange)

    # -- recognition ---------------------------------------------------------------------------

    # ``session_id``: the caller's own id for the call, echoed in the answer (seeds 001-003).

    def verify(
        self, person_id: str, image: Image, *, timeout: float | None = None, session_id: str | None = None
    ) -> models.Verification:
        body = self._body(session_id).set("person_id", person_id).image("image", "url", image)
        return self._call("verify", body, models.Verification, timeout)

    def identify(
        self, group_ids: Sequence[str], image: Image, *, timeout: float | None = None,
        session_id: str | None = None,
    ) -> models.Identified:
        """Seed 001 takes one ``group_id``: several groups are one call each within ``timeout``,
        their candidates merged (each person once, at its best score, best first, the first
        :data:`CANDIDATES`) and their group sizes added (a person in two groups counts twice, so
        a size-dependent threshold errs strict). Groups that do not exist (-1306) are skipped;
        if none exists, -1307 as the seed's group-list error."""
        if not group_ids:
            raise ValueError("at least one group is needed")
        deadline = time.monotonic() + (timeout if timeout is not None else self._config.timeout_s)
        answers = []
        for group_id in dict.fromkeys(group_ids):
            body = self._body(session_id).set("group_id", group_id).image("image", "url", image)
            remaining = max(deadline - time.monotonic(), 0.0)
            try:
                answers.append(self._call("identify", body, models.Identified, remaining))
            except YoutuNotFound as exc:
                if exc.code != -1306 or len(group_ids) == 1:
                    raise
        if not answers:
            raise error_for(-1307, "none of the groups exists")
        best: dict[str, models.Candidate] = {}
        for candidate in (c for a in answers for c in a.candidates):
            if candidate.person_id not in best or candidate.confidence > best[candidate.person_id].confidence:
                best[candidate.person_id] = candidate
        return models.Identified(
            session_id=answers[0].session_id,
            candidates=sorted(best.values(), key=lambda c: c.confidence, reverse=True)[:CANDIDATES],
            group_size=sum(a.group_size for a in answers),
            time_ms=sum(a.time_ms for a in answers),
        )

    def multidentify(
        self, group_ids: Sequence[str], image: Image, *, timeout: float | None = None,
        session_id: str | None = None,
    ) -> models.MultiIdentified:
        """One call for any number of groups (seed 003 takes ``group_ids``)."""
        body = self._groups(group_ids, session_id).image("image", "url", image)
        return self._call("multidentify", body, models.MultiIdentified, timeout)

    def compare(
        self, image_a: Image, image_b: Image, *, timeout: float | None = None, session_id: str | None = None
    ) -> models.Comparison:
        body = self._body(session_id).image("imageA", "urlA", image_a).image("imageB", "urlB", image_b)
        return self._call("compare", body, models.Comparison, timeout)

    # -- wire ----------------------------------------------------------------------------------

    def _body(self, session_id: str | None = None) -> _Body:
        base = {"appid": self._config.appid}
        if self._config.bucket:
            base["bucket"] = self._config.bucket
        return _Body(base).set("session_id", session_id)

    def _groups(self, group_ids: Sequence[str], session_id: str | None) -> _Body:
        """One group as ``group_id`` (understood by every version), several as ``group_ids``."""
        if not group_ids:
            raise ValueError("at least one group is needed")
        if len(group_ids) == 1:
            return self._body(session_id).set("group_id", group_ids[0])
        return self._body(session_id).set("group_ids", list(group_ids))

    def _call(self, action: str, body: _Body, data_type: type[Data], timeout: float | None = None) -> Data:
        """Send, retrying transient codes (``retries`` times, waits from ``backoff_s`` doubling) as
        long as the next attempt would start within the call's time budget."""
        budget = timeout if timeout is not None else self._config.timeout_s
        deadline = time.monotonic() + budget
        retrying = Retrying(
            retry=retry_if_exception_type(YoutuTransient),
            wait=wait_exponential(multiplier=self._config.backoff_s),
            stop=stop_after_attempt(self._config.retries + 1) | stop_before_delay(budget),
            reraise=True,
        )
        return retrying(self._send, action, body, data_type, deadline)

    def _send(self, action: str, body: _Body, data_type: type[Data], deadline: float) -> Data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BackendUnavailable(f"youtu {action}: no time left for the request")
        try:
            response = self._http.post(f"/face/{action}", timeout=remaining, **body.httpx_arguments())
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(f"youtu {action}: timed out after {remaining:.1f} s") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"youtu {action}: {type(exc).__name__}: {exc}") from exc
        return _parse(action, response, data_type)


def _parse(action: str, response: httpx.Response, data_type: type[Data]) -> Data:
    try:
        envelope = response.json()
    except ValueError:
        raise BackendUnavailable(f"youtu {action}: HTTP {response.status_code} without a JSON body") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        raise BackendUnavailable(f"youtu {action}: HTTP {response.status_code}, answer has no code")
    code = envelope["code"]
    if code != 0:
        raise error_for(code, str(envelope.get("message") or ""))
    try:
        return data_type.model_validate(envelope.get("data") or {})
    except ValidationError as exc:
        raise BackendUnavailable(f"youtu {action}: malformed data: {exc.error_count()} problems") from exc
