"""A tiny face cloud for the failover tests: real HTTP (Starlette + uvicorn on loopback), real models.

The service analyses uploaded JPEGs with the same vision core and answers 1:N searches over the
persons it holds; :class:`CloudClient` is a real httpx client implementing the Backend and
Enroller protocols against it. ``ServerThread.stop()`` takes it down like a network outage.
Its score table is the test's own (0-1 cosine scale), strict enough for the cloud-taught cache.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import httpx
import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from edge.errors import BackendUnavailable, RemoteError
from edge.identify.base import Candidate, Identification
from edge.identify.matching import assign_rectangles
from edge.identify.thresholds import FarTable, Threshold, door_threshold
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Face

CLOUD_TABLE = FarTable.from_pairs("0-1", [(0.90, 1e-3), (0.93, 1e-5), (0.95, 1e-6)])
MIN_IOU = 0.3


@dataclass
class CloudPerson:
    name: str
    groups: set[str]
    embeddings: list[np.ndarray] = field(default_factory=list)


class CloudState:
    """What the cloud holds; ``delay_s`` makes every search hang that long."""

    def __init__(self, analyzer: FaceAnalyzer) -> None:
        self.analyzer = analyzer
        self.persons: dict[str, CloudPerson] = {}
        self.delay_s = 0.0
        self.searches = 0
        self.lock = threading.Lock()

    def faces(self, jpeg_b64: str) -> list[Face]:
        image = cv2.imdecode(np.frombuffer(base64.b64decode(jpeg_b64), np.uint8), cv2.IMREAD_COLOR)
        return [f for f in self.analyzer.analyze(np.asarray(image)) if f.embedding is not None]

    @staticmethod
    def embedding(face: Face) -> np.ndarray:
        assert face.embedding is not None
        return face.embedding


def cloud_app(state: CloudState) -> Starlette:
    def error(status: int, code: str) -> JSONResponse:
        return JSONResponse({"error": code}, status_code=status)

    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        faces = state.faces(body["jpeg"])
        if len(faces) != 1:
            return error(400, "NO_SINGLE_FACE")
        with state.lock:
            state.persons[body["person_id"]] = CloudPerson(body["name"], set(body["groups"]),
                                                           [state.embedding(faces[0])])
        return JSONResponse({"id": body["person_id"]})

    async def add_face(request: Request) -> JSONResponse:
        person = state.persons.get(request.path_params["pid"])
        if person is None:
            return error(404, "NO_PERSON")
        faces = state.faces((await request.json())["jpeg"])
        if len(faces) != 1:
            return error(400, "NO_SINGLE_FACE")
        person.embeddings.append(state.embedding(faces[0]))
        return JSONResponse({"face_id": f"{request.path_params['pid']}-{len(person.embeddings)}"})

    async def delete(request: Request) -> JSONResponse:
        with state.lock:
            gone = state.persons.pop(request.path_params["pid"], None)
        return error(404, "NO_PERSON") if gone is None else JSONResponse({})

    async def list_persons(request: Request) -> JSONResponse:
        groups = set(request.query_params.get("groups", "").split(","))
        return JSONResponse({"ids": [pid for pid, p in state.persons.items() if p.groups & groups]})

    async def search(request: Request) -> JSONResponse:
        state.searches += 1
        if state.delay_s:
            time.sleep(state.delay_s)  # a cloud that hangs (blocks this server, as a stuck one would)
        body = await request.json()
        groups = set(body["groups"])
        results = []
        for face in state.faces(body["jpeg"]):
            scored = sorted(((max(float(e @ state.embedding(face)) for e in p.embeddings), pid, p.name)
                             for pid, p in state.persons.items() if p.groups & groups), reverse=True)
            box = face.detection.box
            results.append({"rect": [box.x, box.y, box.w, box.h],
                            "candidates": [{"id": pid, "name": name, "score": score}
                                           for score, pid, name in scored[:5]]})
        return JSONResponse({"results": results})

    return Starlette(routes=[
        Route("/persons", create, methods=["POST"]),
        Route("/persons", list_persons, methods=["GET"]),
        Route("/persons/{pid}/faces", add_face, methods=["POST"]),
        Route("/persons/{pid}", delete, methods=["DELETE"]),
        Route("/search", search, methods=["POST"]),
    ])


class CloudClient:
    """Backend + Enroller over HTTP; transport trouble is BackendUnavailable, a 4xx a RemoteError."""

    cloud = True

    def __init__(self, url: str, groups: Sequence[str], name: str = "testcloud") -> None:
        self.name = name
        self.groups = list(groups)
        self._http = httpx.Client(base_url=url, timeout=5.0)

    def _call(self, method: str, path: str, timeout: float = 5.0, **kwargs: object) -> dict:
        try:
            response = self._http.request(method, path, timeout=timeout, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BackendUnavailable(f"{self.name}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RemoteError(response.json()["error"])
        return dict(response.json())

    @staticmethod
    def _jpeg(frame: np.ndarray) -> str:
        return base64.b64encode(cv2.imencode(".jpg", frame)[1].tobytes()).decode()

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        results = self._call("POST", "/search", timeout=deadline_s,
                             json={"jpeg": self._jpeg(frame), "groups": self.groups})["results"]
        rects = [Box(*r["rect"]) for r in results]
        assigned = assign_rectangles([face.detection.box for face in faces], rects, MIN_IOU)
        return [Identification(tuple(Candidate(c["id"], c["score"], c["name"])
                                     for c in (results[r]["candidates"] if r is not None else [])),
                               self.name, "0-1") for r in assigned]

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        return door_threshold(CLOUD_TABLE, max_false_accept, gallery_size)

    def create_person(self, person_id: str, name: str, groups: Sequence[str], jpeg: bytes) -> str:
        body = {"person_id": person_id, "name": name, "groups": list(groups),
                "jpeg": base64.b64encode(jpeg).decode()}
        return str(self._call("POST", "/persons", json=body)["id"])

    def add_face(self, person_id: str, jpeg: bytes) -> str:
        body = {"jpeg": base64.b64encode(jpeg).decode()}
        return str(self._call("POST", f"/persons/{person_id}/faces", json=body)["face_id"])

    def delete_person(self, person_id: str) -> None:
        self._call("DELETE", f"/persons/{person_id}")

    def list_persons(self, groups: Sequence[str]) -> list[str]:
        return list(self._call("GET", "/persons", params={"groups": ",".join(groups)})["ids"])

    def close(self) -> None:
        self._http.close()
