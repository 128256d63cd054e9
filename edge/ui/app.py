"""The console's routes: server-rendered pages (Jinja2) with htmx for the parts that update.

Every route but ``/login`` and ``/static/*`` needs a session: pages redirect to ``/login``,
everything else answers 401. Every POST needs the session's CSRF token (form field ``csrf`` or
header ``X-CSRF-Token``, which htmx sends from ``hx-headers`` on ``<body>``). Every change is
written to the audit log with the user.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, get_args

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from edge.access.event import Reason
from edge.config.render import render
from edge.config.settings import config_path, load_settings
from edge.errors import BadInput, EdgeError
from edge.gallery.camera import guidance_for
from edge.gallery.enroll import Accepted, Refusal
from edge.ui import status
from edge.ui.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginLimiter,
    Session,
    Sessions,
    password_matches,
    same_token,
)
from edge.ui.parts import ConsoleParts
from edge.vision.image_io import decode_image

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MJPEG_BOUNDARY = "frame"
MAX_UPLOAD_FILES = 10
CAMERA_GRAB_TIMEOUT_S = 3.0
EVENTS_SCANNED = 500  # newest audit rows the events page filters
# No framing (a door-test button under someone else's page) and no caching of pages with faces
PAGE_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Session], Awaitable[Response]]


class Console:
    """The console's state (sessions, login limits, enrollment drafts) and its routes."""

    def __init__(self, parts: ConsoleParts, password_hash: str) -> None:
        self.parts = parts
        self.settings = parts.settings
        self._password_hash = password_hash
        ui = self.settings.ui
        self.sessions = Sessions(ui.session_max_age_s)
        self.limiter = LoginLimiter(ui.login_attempts, ui.login_window_s)
        self.drafts: dict[str, list[Accepted]] = {}  # session id -> photos examined, not yet saved
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    # -- plumbing ----------------------------------------------------------------------------
    def _page(self, request: Request, name: str, session: Session | None, **context: Any) -> HTMLResponse:
        context.update(session=session, device=self.settings.device, active=name.split(".")[0])
        response = self.templates.TemplateResponse(request, name, context)
        response.headers.update(PAGE_HEADERS)
        return response

    def _set_cookie(self, request: Request, response: Response, key: str, value: str, max_age: int) -> None:
        response.set_cookie(key, value, max_age=max_age, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")

    def authed(self, handler: Handler, *, page: bool = False) -> Endpoint:
        """``handler`` behind the session check (and the CSRF check for anything but GET)."""

        async def endpoint(request: Request) -> Response:
            session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
            if session is None:
                if page and request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return Response("login required", status_code=401, headers={"HX-Redirect": "/login"})
            if request.method != "GET":
                sent = request.headers.get("x-csrf-token")
                if sent is None:
                    sent = str((await request.form()).get("csrf") or "")
                if not same_token(sent, session.csrf):
                    return Response("CSRF token missing or wrong: reload the page", status_code=403)
            return await handler(request, session)

        return endpoint

    def _audit(self, session: Session, action: str, target: str | None = None,
               detail: str | None = None) -> None:
        self.parts.audit.record_action(session.user, action, target, detail)

    # -- login -------------------------------------------------------------------------------
    async def login_page(self, request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = self._page(request, "login.html", None, csrf=token, error=None)
        self._set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 600)
        return response

    async def login(self, request: Request) -> Response:
        client = request.client.host if request.client else "?"
        form = await request.form()
        if not same_token(str(form.get("csrf") or ""), request.cookies.get(LOGIN_CSRF_COOKIE)):
            return Response("CSRF token missing or wrong: reload the login page", status_code=403)
        wait = self.limiter.retry_after(client)
        if wait > 0:
            log.warning("console: login refused for %s, too many failures", client)
            return self._login_error(request, f"Too many failed logins: try again in {wait:.0f} s.", 429,
                                     {"Retry-After": str(int(wait) + 1)})
        user, password = str(form.get("user") or ""), str(form.get("password") or "")
        good = await run_in_threadpool(password_matches, self._password_hash, password)
        if not good or not secrets.compare_digest(user, self.settings.ui.user):
            self.limiter.failed(client)
            log.warning("console: failed login from %s", client)
            return self._login_error(request, "Wrong user or password.", 401)
        self.limiter.succeeded(client)
        session_id, session = self.sessions.open(user)
        self._audit(session, "console.login", detail=client)
        response = RedirectResponse("/", status_code=303)
        self._set_cookie(request, response, SESSION_COOKIE, session_id, self.settings.ui.session_max_age_s)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    def _login_error(self, request: Request, error: str, status_code: int,
                     headers: dict[str, str] | None = None) -> Response:
        token = secrets.token_urlsafe(32)
        response = self._page(request, "login.html", None, csrf=token, error=error)
        response.status_code = status_code
        response.headers.update(headers or {})
        self._set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 600)
        return response

    async def logout(self, request: Request, session: Session) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        self.sessions.close(session_id)
        self.drafts.pop(session_id or "", None)
        self._audit(session, "console.logout")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- live view ---------------------------------------------------------------------------
    async def live_page(self, request: Request, session: Session) -> Response:
        return self._page(request, "live.html", session)

    async def live_panel(self, request: Request, session: Session) -> Response:
        return self._page(request, "_live_panel.html", session, faces=self.parts.live.labels(),
                          recent=list(self.parts.live.recent))

    async def live_stream(self, request: Request, session: Session) -> Response:
        live = self.parts.live

        async def frames() -> AsyncIterator[bytes]:
            seq = 0
            with live.viewer():
                while True:
                    got = await run_in_threadpool(live.next_jpeg, seq, 1.0)
                    if got is None:
                        await asyncio.sleep(0)  # no new frame within 1 s; let a disconnect be seen
                        continue
                    seq, jpeg = got
                    yield (f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                           f"Content-Length: {len(jpeg)}\r\n\r\n").encode() + jpeg + b"\r\n"

        return StreamingResponse(frames(), media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
                                 headers={"Cache-Control": "no-store"})

    # -- people ------------------------------------------------------------------------------
    async def people_page(self, request: Request, session: Session) -> Response:
        query = request.query_params.get("q", "").strip().lower()
        store = self.parts.enrollment.store
        everyone = [p for p in store.people()
                    if not query or query in p.id.lower() or query in p.name.lower()
                    or any(query in g.lower() for g in p.groups)]
        template = "_people_list.html" if request.headers.get("hx-request") else "people.html"
        return self._page(request, template, session, people=everyone, q=query, groups=store.groups(),
                          draft=self._draft(request), default_groups=",".join(self.settings.access.groups))

    def _draft(self, request: Request) -> list[Accepted]:
        """This session's examined photos; drafts of ended sessions are dropped (photos kept in
        memory only, never longer than the session)."""
        for ended in [sid for sid in self.drafts if self.sessions.get(sid) is None]:
            del self.drafts[ended]
        return self.drafts.setdefault(request.cookies.get(SESSION_COOKIE) or "", [])

    def _draft_view(self, request: Request, session: Session, refused: list[Refusal],
                    message: str | None = None) -> Response:
        return self._page(request, "_draft.html", session, draft=self._draft(request), refused=refused,
                          message=message, default_groups=",".join(self.settings.access.groups))

    async def draft_photos(self, request: Request, session: Session) -> Response:
        """Examine uploaded photos: the good ones join the draft, the others say why not."""
        form = await request.form(max_files=MAX_UPLOAD_FILES)
        uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
        refused: list[Refusal] = []
        if not uploads:
            refused.append(Refusal("upload", "no photo chosen"))
        for upload in uploads:
            data = await upload.read()
            name = Path(upload.filename or "photo").name
            try:
                accepted = await run_in_threadpool(self._examine, data, name)
            except BadInput as exc:
                refused.append(Refusal(name, str(exc)))
            else:
                self._draft(request).append(accepted)
        return self._draft_view(request, session, refused)

    def _examine(self, data: bytes, source: str) -> Accepted:
        image = decode_image(data, max_pixels=self.settings.vision.max_image_pixels)
        return self.parts.enrollment.examine(image, source)

    async def draft_camera(self, request: Request, session: Session) -> Response:
        """Examine the camera's next frame; refusals come as guidance for the person."""
        image = await run_in_threadpool(self.parts.live.grab, CAMERA_GRAB_TIMEOUT_S)
        if image is None:
            return self._draft_view(request, session, [Refusal("camera", "no frame from the camera")])
        draft = self._draft(request)
        try:
            accepted = await run_in_threadpool(self.parts.enrollment.examine, image,
                                               f"camera frame {len(draft) + 1}")
        except BadInput as exc:
            return self._draft_view(request, session, [Refusal("camera", guidance_for(str(exc)))])
        draft.append(accepted)
        return self._draft_view(request, session, [])

    async def draft_discard(self, request: Request, session: Session) -> Response:
        self._draft(request).clear()
        return self._draft_view(request, session, [])

    async def draft_save(self, request: Request, session: Session) -> Response:
        form = await request.form()
        person_id, name = str(form.get("person_id") or "").strip(), str(form.get("name") or "").strip()
        groups = _split_groups(str(form.get("groups") or "")) or list(self.settings.access.groups)
        draft = self._draft(request)
        try:
            report = await run_in_threadpool(self.parts.enrollment.add, person_id, name, groups, list(draft))
        except EdgeError as exc:
            return self._draft_view(request, session, [], message=f"not saved: {exc}")
        draft.clear()
        self._audit(session, "person.enroll", person_id,
                    f"{len(report.added)} face(s), groups {','.join(groups)}")
        clouds = "; ".join(f"{b}: pending ({e})" for b, e in report.cloud_errors.items())
        message = f"{person_id}: {len(report.added)} face(s) enrolled" + (f"; {clouds}" if clouds else "")
        return self._page(request, "_draft.html", session, draft=draft, refused=report.refused,
                          message=message, oob_people=True, people=self.parts.enrollment.store.people(),
                          groups=self.parts.enrollment.store.groups())

    async def person_change(self, request: Request, session: Session) -> Response:
        """Rename, join or leave groups, remove or forget one person."""
        person_id = request.path_params["person_id"]
        change = request.path_params["change"]
        form = await request.form()
        enrollment = self.parts.enrollment
        store = enrollment.store
        try:
            if change == "rename":
                name = str(form.get("name") or "")
                await run_in_threadpool(store.rename, person_id, name)
                detail: str | None = None
            elif change in ("join", "leave"):
                groups = _split_groups(str(form.get("groups") or ""))
                if not groups:
                    raise BadInput("name at least one group")
                act = store.add_to_groups if change == "join" else store.remove_from_groups
                await run_in_threadpool(act, person_id, groups)
                detail = ",".join(groups)
            elif change in ("remove", "forget"):
                owed = await run_in_threadpool(self._remove, person_id, change == "forget")
                detail = f"cloud deletion pending: {', '.join(owed)}" if owed else None
            else:
                return Response("unknown change", status_code=404)
        except EdgeError as exc:
            return Response(str(exc), status_code=400)
        # a forgotten person is named in the audit log by their pseudonym only
        target = self.parts.audit.pseudonym(person_id) if change == "forget" else person_id
        self._audit(session, f"person.{change}", target, detail)
        return RedirectResponse("/people", status_code=303)

    def _remove(self, person_id: str, forget: bool) -> list[str]:
        owed = self.parts.enrollment.remove(person_id, forget=forget)
        if forget:
            self.parts.audit.forget(person_id)
        return owed

    # -- events ------------------------------------------------------------------------------
    async def events_page(self, request: Request, session: Session) -> Response:
        params = request.query_params
        decision, reason = params.get("decision", ""), params.get("reason", "")
        person = params.get("person", "").strip() or None
        entries = [e for e in self.parts.audit.entries(person, limit=EVENTS_SCANNED)
                   if (not decision or e.decision == decision) and (not reason or e.reason == reason)]
        template = "_events_table.html" if request.headers.get("hx-request") else "events.html"
        return self._page(request, template, session, entries=entries[:200], decision=decision,
                          reason=reason, reasons=get_args(Reason), person=person or "",
                          actions=self.parts.audit.actions(20))

    async def event_face(self, request: Request, session: Session) -> Response:
        """A decision's face crop: only where image keeping is on and the crop is still kept."""
        event_id = request.path_params["event_id"]
        entry = next((e for e in self.parts.audit.entries(None, limit=EVENTS_SCANNED)
                      if e.event_id == event_id), None)
        if entry is None or entry.face_file is None or not entry.face_file.exists():
            return Response("no image kept for this decision", status_code=404)
        return FileResponse(entry.face_file, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    # -- status, settings, door --------------------------------------------------------------
    async def status_page(self, request: Request, session: Session) -> Response:
        return self._page(request, "status.html", session, status=status.summary(self.parts))

    async def settings_page(self, request: Request, session: Session) -> Response:
        return self._page(request, "settings.html", session, text=render(self.settings, commented=False))

    async def settings_check(self, request: Request, session: Session) -> Response:
        """``edge config check`` on the settings file as it is now, and the doctor's quick checks."""
        source = config_path()
        try:
            await run_in_threadpool(load_settings, source)
            problems: list[str] = []
        except EdgeError as exc:
            problems = str(exc).splitlines()
        results = await run_in_threadpool(status.quick_checks, self.settings)
        return self._page(request, "_checks.html", session, source=source, problems=problems,
                          results=results)

    async def door_test(self, request: Request, session: Session) -> Response:
        problem = self.parts.door_pulse()
        self._audit(session, "door.test", self.settings.device.door, problem or "unlock pulse sent")
        text = f"not sent: {problem}" if problem else \
            f"unlock pulse sent to door {self.settings.device.door} ({self.settings.door.pulse_s:g} s)"
        return self._page(request, "_door_result.html", session, text=text, ok=not problem)

    # -- the app -----------------------------------------------------------------------------
    def routes(self) -> list[Route | Mount]:
        a = self.authed
        return [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", a(self.logout), methods=["POST"]),
            Route("/", a(self.live_page, page=True)),
            Route("/live/panel", a(self.live_panel)),
            Route("/live.mjpg", a(self.live_stream)),
            Route("/people", a(self.people_page, page=True)),
            Route("/people/draft/photos", a(self.draft_photos), methods=["POST"]),
            Route("/people/draft/camera", a(self.draft_camera), methods=["POST"]),
            Route("/people/draft/discard", a(self.draft_discard), methods=["POST"]),
            Route("/people/draft/save", a(self.draft_save), methods=["POST"]),
            Route("/people/{person_id}/{change}", a(self.person_change), methods=["POST"]),
            Route("/events", a(self.events_page, page=True)),
            Route("/events/{event_id}/face.jpg", a(self.event_face)),
            Route("/status", a(self.status_page, page=True)),
            Route("/settings", a(self.settings_page, page=True)),
            Route("/settings/check", a(self.settings_check)),
            Route("/door/test", a(self.door_test), methods=["POST"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]


def _split_groups(text: str) -> list[str]:
    return [g.strip() for g in text.replace(" ", ",").split(",") if g.strip()]


def console_app(parts: ConsoleParts, password_hash: str) -> Starlette:
    return Starlette(routes=Console(parts, password_hash).routes())
