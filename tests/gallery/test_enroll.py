"""Enrollment with the real vision core on the committed fixture photos, and `edge people` end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.access.event import AccessEvent
from edge.errors import BadInput
from edge.eval.occlusion import draw_mask
from edge.gallery.config import GallerySettings
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.service.records import AuditLog
from edge.vision.pipeline import FaceAnalyzer
from tests.gallery.conftest import FACES, Photo
from tests.support.cli import run_edge


@pytest.fixture
def enrollment(tmp_path: Path, analyzer: FaceAnalyzer, gallery_settings: GallerySettings) -> Enrollment:
    return Enrollment(GalleryStore(tmp_path / "g.sqlite"), analyzer, gallery_settings)


def no_face_photo(path: Path) -> Path:
    gradient = np.tile(np.linspace(30, 220, 640, dtype=np.uint8), (480, 1))
    cv2.imwrite(str(path), cv2.merge([gradient, gradient[::-1], gradient]))
    return path


def two_faces_photo(path: Path, photos: dict[str, list[Photo]]) -> Path:
    left, right = photos["Barack_Obama"][0].image, photos["Joe_Biden"][1].image
    height = min(left.shape[0], right.shape[0])
    side_by_side = np.hstack([cv2.resize(img, (img.shape[1] * height // img.shape[0], height))
                              for img in (left, right)])
    cv2.imwrite(str(path), side_by_side)
    return path


def test_refusals_say_why(tmp_path: Path, enrollment: Enrollment, photos: dict[str, list[Photo]]) -> None:
    obama = FACES / "Barack_Obama"
    accepted, refused = enrollment.examine_files([
        obama / "1.jpg", obama / "2.jpg",
        no_face_photo(tmp_path / "wall.jpg"), two_faces_photo(tmp_path / "two.jpg", photos),
    ])
    assert [r.reason for r in refused] == [
        "no face found", "2 faces found: use a photo of this person alone"]
    report = enrollment.add("obama", "Barack Obama", ["staff"], accepted)
    assert len(report.added) == 2 and not report.refused
    # the same photo again, and a re-encoded copy of it: near-duplicates (YouTu's -1312 at 99%)
    cv2.imwrite(str(tmp_path / "copy.jpg"), photos["Barack_Obama"][0].image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    accepted, refused = enrollment.examine_files([obama / "1.jpg", tmp_path / "copy.jpg", obama / "3.jpg"])
    report = enrollment.add("obama", "Barack Obama", [], accepted, refused)
    assert report.added == [str(obama / "3.jpg")]
    assert [r.reason.split(" (")[0] for r in report.refused] == [
        "near-duplicate of a face of this person already stored"] * 2
    # and under another id: the same face is not enrolled twice
    accepted, _ = enrollment.examine_files([obama / "1.jpg"])
    with pytest.raises(BadInput, match="nothing enrolled for impostor: .*near-duplicate of a face of obama"):
        enrollment.add("impostor", "Someone", ["staff"], accepted)
    assert enrollment.store.person("impostor") is None
    assert enrollment.store.require_person("obama").enrolled_faces == 3


def masked(image: np.ndarray, analyzer: FaceAnalyzer) -> np.ndarray:
    """The photo with a surgical mask drawn over its face (edge.eval.occlusion's simulator)."""
    return draw_mask(image, analyzer.detect(image)[0].keypoints, np.random.default_rng(0), "surgical")


def test_quality_gates_refuse_dark_blurred_and_masked_photos(enrollment: Enrollment, analyzer: FaceAnalyzer,
                                                             photos: dict[str, list[Photo]]) -> None:
    portrait = photos["Eileen_Collins"][0].image
    with pytest.raises(BadInput, match="^face refused by quality gates: blurry, too_dark$"):
        enrollment.examine((portrait * 0.12).astype(np.uint8), "dark")
    with pytest.raises(BadInput, match="^face refused by quality gates: blurry$"):
        enrollment.examine(cv2.GaussianBlur(portrait, (0, 0), 6), "blurred")
    with pytest.raises(BadInput, match="^face refused by quality gates: occluded$"):
        enrollment.examine(masked(portrait, analyzer), "masked")


def test_faces_are_capped_per_person(tmp_path: Path, analyzer: FaceAnalyzer) -> None:
    enrollment = Enrollment(GalleryStore(tmp_path / "g.sqlite"), analyzer,
                            GallerySettings(max_faces_per_person=2))
    accepted, _ = enrollment.examine_files([FACES / "Barack_Obama"])
    report = enrollment.add("obama", "Barack Obama", ["staff"], accepted)
    assert len(report.added) == 2
    assert [r.reason for r in report.refused] == ["obama already has the most faces allowed (2)"] * 2


def edge(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    """`edge --config CONFIG ARGS...` in this process (the models load once per call, as in real use)."""
    return run_edge(capsys, "--config", str(config), *args)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(f'[service]\nstate_dir = "{tmp_path / "state"}"\n[access]\ngroups = ["staff"]\n')
    return path


def test_people_commands_end_to_end(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str],
                                    photos: dict[str, list[Photo]]) -> None:
    code, out, err = edge(capsys, config, "people", "add", "--id", "biden", "--name", "Joe Biden",
                          str(FACES / "Joe_Biden"), str(two_faces_photo(tmp_path / "two.jpg", photos)))
    assert code == 0, err
    assert "biden: 2 face(s) enrolled" in out and "two.jpg: 2 faces found" in err
    code, out, err = edge(capsys, config, "people", "add", "--id", "nobody", "--name", "No Body",
                          str(no_face_photo(tmp_path / "wall.jpg")))
    assert code == 2 and "error: nothing enrolled for nobody: " in err and "no face found" in err
    assert "Traceback" not in err
    assert edge(capsys, config, "people", "rename", "biden", "Joseph Biden")[0] == 0
    assert edge(capsys, config, "people", "groups", "add", "biden", "night")[1] == "biden: night, staff\n"
    code, out, _ = edge(capsys, config, "people", "show", "biden")
    assert "name: Joseph Biden" in out and "faces: 2 enrolled, 0 learned" in out
    code, out, err = edge(capsys, config, "people", "groups", "list")
    assert out == "night\t1\nstaff\t1\n"
    assert edge(capsys, config, "people", "remove", "biden")[1] == "biden: removed\n"
    code, _, err = edge(capsys, config, "people", "show", "biden")
    assert code == 2 and "error: no person 'biden' in the gallery" in err


def import_with_two_folders_of_nobody(tree: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Import ``tree`` (three people's folders) with an empty folder and one whose only photo has
    no face added: three enrolled, the faceless folder named as not enrolled, the empty one skipped."""
    (tree / "Empty_Folder").mkdir()
    (tree / "Nobody_Here").mkdir()
    no_face_photo(tree / "Nobody_Here" / "1.jpg")
    code, out, err = edge(capsys, config, "people", "import", str(tree), "--group", "visitors")
    assert code == 0, err
    assert "3 people enrolled, 1 not enrolled, 0 photos refused" in out
    assert "Nobody_Here: nothing enrolled for " in err and "no face found" in err


def test_import_of_an_identity_tree(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "lfw"
    shutil.copytree(FACES, tree)
    import_with_two_folders_of_nobody(tree, config, capsys)
    with GalleryStore(tmp_path / "state" / "gallery.sqlite") as store:
        people = {p.name: p for p in store.people()}
    assert sorted(people) == ["Barack_Obama", "Eileen_Collins", "Joe_Biden"]  # folder names, as given
    assert people["Barack_Obama"].enrolled_faces == 4 and people["Joe_Biden"].groups == ("visitors",)


def test_enroll_from_the_camera_guides_the_person(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  photos: dict[str, list[Photo]],
                                                  analyzer: FaceAnalyzer) -> None:
    frames = tmp_path / "camera"
    frames.mkdir()
    no_face_photo(frames / "0-empty.jpg")
    portrait = photos["Barack_Obama"][0].image
    cv2.imwrite(str(frames / "1-dark.jpg"), (portrait * 0.12).astype(np.uint8))
    cv2.imwrite(str(frames / "1-masked.jpg"), masked(portrait, analyzer))
    cv2.imwrite(str(frames / "2-good.jpg"), portrait)
    cv2.imwrite(str(frames / "3-same.jpg"), portrait)
    cv2.imwrite(str(frames / "4-turned.jpg"), photos["Barack_Obama"][1].image)
    config = tmp_path / "edge.toml"
    config.write_text(f'[service]\nstate_dir = "{tmp_path / "state"}"\n'
                      f'[camera.source]\ntype = "folder"\npath = "{frames}"\nfps = 100\n')
    code, out, err = edge(capsys, config, "people", "enroll", "--camera", "--id", "obama",
                          "--name", "Barack Obama", "--frames", "2")
    assert code == 0, err
    assert out.splitlines() == [
        "look at the camera; collecting 2 frames",
        "no face in view: stand in front of the camera",
        "hold still; too dark: turn towards the light",
        "take off the mask or sunglasses",
        "captured 1/2",
        "good; now turn your head a little",
        "captured 2/2",
        "obama: 2 face(s) enrolled",
    ]


def test_forget_erases_the_person_and_pseudonymizes_the_audit_log(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert edge(capsys, config, "people", "add", "--id", "collins", "--name", "Eileen Collins",
                str(FACES / "Eileen_Collins"))[0] == 0
    with AuditLog(tmp_path / "state" / "audit.sqlite") as audit:
        for _ in range(2):
            audit.record(AccessEvent(device="d", door="front", decision="granted", reason="recognized",
                                     person_id="collins", person_name="Eileen Collins"))
    code, out, err = edge(capsys, config, "people", "forget", "collins")
    assert (code, out) == (0, "collins: forgotten (2 audit entries pseudonymized)\n"), err
    with AuditLog(tmp_path / "state" / "audit.sqlite") as audit:
        assert audit.entries("collins") == []
        assert {e.person_name for e in audit.entries()} == {None}
    assert edge(capsys, config, "people", "list")[1] == ""
    code, out, _ = edge(capsys, config, "people", "forget", "collins")
    assert (code, out) == (0, "collins: not in the gallery; 0 audit entries pseudonymized\n")


def test_a_camera_that_cannot_be_opened_is_one_clear_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    config = tmp_path / "edge.toml"
    config.write_text(f'[service]\nstate_dir = "{tmp_path / "state"}"\n'
                      f'[camera.source]\ntype = "folder"\npath = "{tmp_path / "empty"}"\n')
    code, _, err = edge(capsys, config, "people", "enroll", "--camera", "--id", "x", "--name", "X")
    assert (code, err) == (1, f"Error: folder {tmp_path / 'empty'} holds no images\n")
