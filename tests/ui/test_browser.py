"""The console in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

One browser and one running appliance for the module. With ``EDGE_UI_SCREENSHOTS=1`` each page
is saved to docs/ui/<page>.png (for docs/ui.md); CI leaves the tree clean.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.service.demo import DEMO_DIR
from tests.conftest import FIXTURES
from tests.support.mosquitto import running_broker
from tests.ui.appliance import PASSWORD, Console, console_settings, running_console

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"
# Without these, Chromium on a closed network waits on its background connections.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-dev-shm-usage", "--window-size=1280,900")

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver (scripts/setup.sh dev)")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="edge-ui-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_broker(tmp_path_factory.mktemp("broker")) as broker, \
            running_console(console_settings(tmp_path_factory.mktemp("state"), broker)) as running:
        yield running


def wait_for_text(browser: WebDriver, css: str, text: str, timeout: float = 20.0) -> None:
    WebDriverWait(browser, timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def screenshot(browser: WebDriver, page: str) -> None:
    if os.environ.get("EDGE_UI_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"{page}.png"))


def log_in(browser: WebDriver, console: Console, password: str) -> None:
    browser.get(console.url + "/login")
    browser.find_element(By.ID, "user").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login").click()


def enroll(browser: WebDriver, console: Console, photos: list[Path], person_id: str, name: str,
           page: str | None = None) -> str:
    """Check ``photos``, save the good ones as ``person_id``; the feedback shown before saving."""
    browser.get(console.url + "/people")
    browser.find_element(By.ID, "photos").send_keys("\n".join(str(p) for p in photos))
    browser.find_element(By.ID, "check-photos").click()
    wait_for_text(browser, "#draft-feedback", "good (face")
    feedback = browser.find_element(By.ID, "draft-feedback").text
    if page:
        screenshot(browser, page)
    browser.find_element(By.ID, "person-id").send_keys(person_id)
    browser.find_element(By.ID, "person-name").send_keys(name)
    browser.find_element(By.ID, "save-person").click()
    wait_for_text(browser, "#draft-message", f"{person_id}: ")
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, f"person-{person_id}")))
    return feedback


def test_a_wrong_password_is_refused(browser: WebDriver, console: Console) -> None:
    browser.get(console.url + "/people")
    assert browser.current_url.endswith("/login")
    log_in(browser, console, "not the password")
    wait_for_text(browser, "#login-error", "Wrong user or password")
    screenshot(browser, "login")


@pytest.fixture(scope="module")
def group_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two portraits side by side: a photo enrollment must refuse."""
    import cv2

    faces = [cv2.imread(str(FIXTURES / "faces" / who / "1.jpg")) for who in ("Barack_Obama", "Joe_Biden")]
    height = min(f.shape[0] for f in faces)
    faces = [cv2.resize(f, (f.shape[1] * height // f.shape[0], height)) for f in faces]
    path = tmp_path_factory.mktemp("photos") / "group.jpg"
    cv2.imwrite(str(path), cv2.hconcat(faces))
    return path


def test_enroll_from_uploaded_photos(browser: WebDriver, console: Console, group_photo: Path) -> None:
    log_in(browser, console, PASSWORD)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "live-image")))
    # a group photo is refused with its reason, the portraits pass
    photos = [*sorted((FIXTURES / "faces" / "Barack_Obama").glob("*.jpg"))[:2], group_photo]
    feedback = enroll(browser, console, photos, "obama", "Barack Obama", page="enroll")
    assert "group.jpg: 2 faces found" in feedback and feedback.count("good (face") == 2
    # the person in the bundled clip, from the demo's photos of them
    enroll(browser, console, sorted((DEMO_DIR / "people" / "carphone-driver").glob("*.jpg")),
           "driver", "Car Driver")
    screenshot(browser, "people")


def test_camera_frames_get_feedback_before_saving(browser: WebDriver, console: Console) -> None:
    browser.get(console.url + "/people")
    browser.find_element(By.ID, "camera-photo").click()
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#draft-feedback li"))
    assert browser.find_element(By.CSS_SELECTOR, "#draft-feedback li").text.startswith("camera")


def test_the_clip_grants_live_and_in_the_events(browser: WebDriver, console: Console) -> None:
    browser.get(console.url + "/")
    wait_for_text(browser, "#live-decisions", "Car Driver", timeout=40)
    wait_for_text(browser, "#live-decisions", "granted")
    WebDriverWait(browser, 10).until(
        lambda b: b.execute_script("const i = document.getElementById('live-image');"
                                   "return i.complete && i.naturalWidth > 0"))
    screenshot(browser, "live")
    browser.get(console.url + "/events?decision=granted")
    wait_for_text(browser, "#events", "Car Driver")
    assert "recognized" in browser.find_element(By.ID, "events").text
    screenshot(browser, "events")


def test_status_settings_and_door_test(browser: WebDriver, console: Console) -> None:
    browser.get(console.url + "/status")
    wait_for_text(browser, "#backends", "local")
    screenshot(browser, "status")
    browser.get(console.url + "/settings")
    browser.find_element(By.ID, "config-check").click()
    wait_for_text(browser, "#config-result", "settings OK")
    screenshot(browser, "settings")
    browser.get(console.url + "/")
    browser.find_element(By.ID, "door-test").click()
    browser.switch_to.alert.accept()
    wait_for_text(browser, "#door-result", "unlock pulse sent")


def test_remove_a_person_then_log_out(browser: WebDriver, console: Console) -> None:
    browser.get(console.url + "/people")
    browser.find_element(By.ID, "remove-obama").click()
    browser.switch_to.alert.accept()
    WebDriverWait(browser, 10).until(lambda b: not b.find_elements(By.ID, "person-obama"))
    assert browser.find_elements(By.ID, "person-driver")
    browser.find_element(By.ID, "logout").click()
    browser.get(console.url + "/events")
    assert browser.current_url.endswith("/login")
