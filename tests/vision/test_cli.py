"""`edge detect`, `edge embed`, `edge compare` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from tests.support.cli import run_edge
from tests.vision.conftest import ASTRONAUT, FACES, NO_FACE

OBAMA_1, OBAMA_2 = FACES / "Barack_Obama" / "1.jpg", FACES / "Barack_Obama" / "2.jpg"
BIDEN = FACES / "Joe_Biden" / "1.jpg"


pytestmark = pytest.mark.usefixtures("default_env")


def test_detect_json_and_drawing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    drawn = tmp_path / "faces.png"
    code, out, _ = run_edge(capsys, "detect", str(ASTRONAUT), "--json", "--draw", str(drawn))
    assert code == 0
    faces = json.loads(out)["faces"]
    assert len(faces) == 1
    face = faces[0]
    assert len(face["box"]) == 4 and len(face["keypoints"]) == 6 and face["score"] > 0.8
    assert face["quality"]["ok"] is True and face["quality"]["reasons"] == []
    assert face["liveness"] == {}  # the retired signals are off by default
    image = cv2.imread(str(drawn))
    assert image.shape == (512, 512, 3)
    x, y, w, h = (round(v) for v in face["box"])
    assert image[y, x + w // 2, 1] >= 190 and image[y, x + w // 2, 2] < 60  # the green box edge


def test_detect_text_on_no_face(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "detect", str(NO_FACE))
    assert code == 0 and "0 face(s)" in out


def test_embed_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "embed", str(OBAMA_1), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["descriptor"] == "facenet-int8" and len(document["embedding"]) == 128
    assert sum(v * v for v in document["embedding"]) == pytest.approx(1.0, abs=1e-4)


def test_compare_same_and_different(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "compare", str(OBAMA_1), str(OBAMA_2), "--json")
    same = json.loads(out)
    assert code == 0 and same["same_person"] is True and same["max_false_accept"] == 1e-4
    assert same["similarity"] >= same["threshold"] and same["false_accept"] < 1e-4
    assert same["threshold_false_accept"] == 1e-4
    code, out, _ = run_edge(capsys, "compare", str(OBAMA_1), str(BIDEN), "--json")
    different = json.loads(out)
    assert different["same_person"] is False and different["false_accept"] > 0.1
    code, out, _ = run_edge(capsys, "compare", str(OBAMA_1), str(BIDEN))
    assert "not the same person at max_false_accept 0.0001" in out


def test_compare_says_when_the_policy_is_stricter_than_the_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGE_ACCESS__MAX_FALSE_ACCEPT", "1e-9")
    code, out, _ = run_edge(capsys, "compare", str(OBAMA_1), str(OBAMA_2))
    assert code == 0 and "max_false_accept 1e-09" in out
    assert "the calibration supports no stricter rate than" in out


@pytest.mark.parametrize("command", [["detect"], ["embed"], ["compare", str(ASTRONAUT)]])
def test_bad_inputs_exit_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    empty, text, cut = tmp_path / "empty.jpg", tmp_path / "notes.jpg", tmp_path / "cut.jpg"
    empty.write_bytes(b"")
    text.write_text("not a picture at all")
    cut.write_bytes(ASTRONAUT.read_bytes()[:20_000])
    for path, message in [
        (empty, "empty file"),
        (text, "not an image"),
        (cut, "truncated JPEG"),
        (tmp_path / "missing.jpg", "No such file"),
    ]:
        code, _, err = run_edge(capsys, *command, str(path))
        assert code == 2, err
        assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_no_face_to_embed_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_edge(capsys, "embed", str(NO_FACE))
    assert code == 2 and "no face found" in err


def test_missing_models_exit_with_the_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EDGE_VISION__MODELS_DIR", str(tmp_path))
    code, _, err = run_edge(capsys, "detect", str(ASTRONAUT))
    assert code == 1 and "manifest.json: missing" in err and "Traceback" not in err
