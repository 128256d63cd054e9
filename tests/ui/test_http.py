"""The console over real HTTP: who gets in, what refuses whom, what each page shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.events.helpers import wait_until
from tests.support.mosquitto import Broker, running_broker
from tests.ui.appliance import PASSWORD, Console, console_settings, log_in, running_console

# every console route, with the method it answers; none may answer without a session
ROUTES = [
    ("GET", "/"), ("GET", "/live/panel"), ("GET", "/live.mjpg"), ("GET", "/people"),
    ("POST", "/people/draft/photos"), ("POST", "/people/draft/camera"), ("POST", "/people/draft/discard"),
    ("POST", "/people/draft/save"), ("POST", "/people/someone/remove"), ("POST", "/people/someone/forget"),
    ("POST", "/people/someone/rename"), ("POST", "/people/someone/join"), ("GET", "/events"),
    ("GET", "/events/01ABC/face.jpg"), ("GET", "/status"), ("GET", "/settings"), ("GET", "/settings/check"),
    ("POST", "/door/test"), ("POST", "/logout"),
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with running_broker(tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, broker: Broker) -> Iterator[Console]:
    with running_console(console_settings(tmp_path_factory.mktemp("state"), broker)) as running:
        yield running


@pytest.fixture
def admin(console: Console) -> Iterator[httpx.Client]:
    with console.client() as client:
        assert log_in(client).status_code == 303
        yield client


def csrf_of(client: httpx.Client) -> str:
    return client.get("/status").text.split('"X-CSRF-Token": "')[1].split('"')[0]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_refuses_a_client_without_session(console: Console, method: str, path: str) -> None:
    with console.client() as client:
        response = client.request(method, path)
    if response.status_code == 303:
        assert response.headers["location"] == "/login"
    else:
        assert response.status_code == 401, (method, path, response.status_code)
    assert b"image/jpeg" not in response.content


def test_a_forged_session_cookie_is_refused(console: Console) -> None:
    with console.client() as client:
        client.cookies.set("edge_session", "A" * 43)
        assert client.get("/status").status_code == 303
        assert client.get("/live.mjpg").status_code == 401


def test_healthz_and_metrics_answer_as_before(console: Console) -> None:
    with console.client() as client:
        assert client.get("/healthz").json()["status"] in ("ok", "degraded")
        assert b"edge_frames_total" in client.get("/metrics").content


def test_login_sets_a_strict_httponly_cookie(console: Console) -> None:
    with console.client() as client:
        response = log_in(client)
        assert response.status_code == 303 and response.headers["location"] == "/"
        cookie = next(v for k, v in response.headers.multi_items()
                      if k == "set-cookie" and v.startswith("edge_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        status = client.get("/status")
        assert status.status_code == 200 and "enabled = False" in status.text  # the PAD stage (off here)


def test_the_session_cookie_is_secure_behind_a_tls_proxy(console: Console) -> None:
    """uvicorn takes the scheme from a loopback proxy's X-Forwarded-Proto (TLS ends there)."""
    with console.client() as client:
        client.headers["X-Forwarded-Proto"] = "https"
        page = client.get("/login")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        # httpx keeps Secure cookies for https URLs only: send the login's CSRF cookie by hand
        response = client.post("/login", data={"csrf": token, "user": "admin", "password": PASSWORD},
                               headers={"Cookie": f"edge_login_csrf={page.cookies['edge_login_csrf']}"})
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("edge_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_login_without_its_csrf_token_is_refused(console: Console) -> None:
    with console.client() as client:
        response = client.post("/login", data={"user": "admin", "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_is_refused_then_rate_limited(tmp_path: Path) -> None:
    settings = console_settings(tmp_path, ui={"login_attempts": 3})
    with running_console(settings) as console, console.client() as client:
        for _ in range(3):
            assert log_in(client, password="not the password").status_code == 401
        refused = log_in(client)  # even the right password, until the window has passed
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "edge_session" not in client.cookies


def test_a_change_without_csrf_token_is_refused(admin: httpx.Client) -> None:
    assert admin.post("/door/test").status_code == 403
    assert admin.post("/door/test", headers={"X-CSRF-Token": "wrong"}).status_code == 403


def test_door_test_pulses_the_relay_and_is_audited(console: Console, admin: httpx.Client) -> None:
    assert console.relay is not None
    assert wait_until(lambda: console.running.appliance.sinks is not None and _broker_up(admin), 10)
    response = admin.post("/door/test", headers={"X-CSRF-Token": csrf_of(admin)})
    assert "unlock pulse sent" in response.text
    assert wait_until(lambda: console.relay is not None and console.relay.unlocked, 5)
    actions = admin.get("/events").text
    assert "door.test" in actions and "admin" in actions


def _broker_up(client: httpx.Client) -> bool:
    return "broker connected" in client.get("/status").text


def test_enroll_rename_and_remove_from_uploaded_photos(admin: httpx.Client) -> None:
    token = csrf_of(admin)
    headers = {"X-CSRF-Token": token}
    photos = [("photos", (p.name, p.read_bytes(), "image/jpeg"))
              for p in sorted((FIXTURES / "faces" / "Joe_Biden").glob("*.jpg"))]
    checked = admin.post("/people/draft/photos", files=photos, headers=headers)
    assert checked.text.count("good (face") == 2, checked.text
    saved = admin.post("/people/draft/save", data={"person_id": "joe", "name": "Joe B"}, headers=headers)
    assert "joe: 2 face(s) enrolled" in saved.text
    assert "Joe B" in admin.get("/people", params={"q": "joe"}).text
    assert "Joe B" not in admin.get("/people", params={"q": "nobody-like-that"}).text
    admin.post("/people/joe/rename", data={"csrf": token, "name": "Joseph"})
    admin.post("/people/joe/join", data={"csrf": token, "groups": "staff"})
    listing = admin.get("/people").text
    assert "Joseph" in listing and "staff" in listing
    assert admin.post("/people/joe/remove", data={"csrf": token}).status_code == 303
    assert "Joseph" not in admin.get("/people").text
    audit = admin.get("/events").text
    for action in ("person.enroll", "person.rename", "person.join", "person.remove"):
        assert action in audit


def test_forget_leaves_no_trace_of_the_id_in_the_audit_log(console: Console, admin: httpx.Client) -> None:
    token = csrf_of(admin)
    photo = (FIXTURES / "faces" / "Eileen_Collins" / "1.jpg")
    admin.post("/people/draft/photos", files=[("photos", (photo.name, photo.read_bytes(), "image/jpeg"))],
               headers={"X-CSRF-Token": token})
    saved = admin.post("/people/draft/save", data={"person_id": "eileen-c", "name": "Eileen C"},
                       headers={"X-CSRF-Token": token})
    assert "eileen-c: 1 face(s) enrolled" in saved.text
    assert admin.post("/people/eileen-c/forget", data={"csrf": token}).status_code == 303
    actions = console.running.appliance.sinks[0].audit.actions()  # type: ignore[attr-defined]
    assert [a.action for a in actions[:2]] == ["person.forget", "person.enroll"]
    assert all(a.target != "eileen-c" and a.target.startswith("forgotten-") for a in actions[:2])
    assert "eileen-c" not in admin.get("/events").text


def test_a_photo_without_a_usable_face_gets_its_reason(admin: httpx.Client, tmp_path: Path) -> None:
    blank = (FIXTURES / "faces" / "Joe_Biden" / "1.jpg").read_bytes()[:200]
    response = admin.post("/people/draft/photos", files=[("photos", ("broken.jpg", blank, "image/jpeg"))],
                          headers={"X-CSRF-Token": csrf_of(admin)})
    assert "broken.jpg:" in response.text and "good (face" not in response.text


def test_live_stream_sends_jpeg_frames(admin: httpx.Client) -> None:
    with admin.stream("GET", "/live.mjpg") as response:
        assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
        received = b""
        for chunk in response.iter_bytes():
            received += chunk
            if received.count(b"\xff\xd9") >= 2:
                break
    assert received.count(b"Content-Type: image/jpeg") >= 2


def test_pages_render(admin: httpx.Client) -> None:
    status = admin.get("/status")
    assert "Policy in force" in status.text
    assert status.headers["x-frame-options"] == "DENY" and status.headers["cache-control"] == "no-store"
    settings = admin.get("/settings").text
    assert "door_secret" in settings and "s3cret-door-key" not in settings
    assert "settings OK" in admin.get("/settings/check").text


def test_the_console_is_off_until_a_password_is_set(tmp_path: Path) -> None:
    with running_console(console_settings(tmp_path), password=None) as console, console.client() as client:
        assert client.get("/login").status_code == 404
        assert client.get("/healthz").status_code in (200, 503)
