"""Ids and names (issue 17): opaque collision-free ids, any Unicode name, one person one id."""

from __future__ import annotations

import hashlib
import random
import shutil
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.config.settings import load_settings
from edge.errors import BadInput
from edge.gallery.ids import ID_PATTERN, check_id, check_name, new_person_id
from edge.gallery.store import GalleryStore
from edge.service.records import AuditLog
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Detection, Face, Liveness, Quality
from tests.gallery.conftest import FACES
from tests.gallery.test_enroll import config, edge, import_with_two_folders_of_nobody  # noqa: F401  (fixture)

UNICODE_NAMES = {"张伟": "Barack_Obama", "王芳": "Joe_Biden", "김민준": "Eileen_Collins"}


def listed(capsys: pytest.CaptureFixture[str], config: Path) -> dict[str, str]:  # noqa: F811
    """`edge people list` as id -> name."""
    code, out, err = edge(capsys, config, "people", "list")
    assert code == 0, err
    return dict(line.split("\t")[:2] for line in out.splitlines())


# -- the rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["ann\n", "ann\r", "a\x1b[31m", "", "x" * 65, "ann.lee", "张伟", "a b",
                                 "a/b", "a+b"])
def test_ids_outside_the_clouds_common_rules_are_refused_naming_the_input(bad: str) -> None:
    with pytest.raises(BadInput) as refused:
        check_id(bad, "person id")
    assert repr(bad) in str(refused.value)


def test_an_id_ending_in_a_newline_says_so() -> None:
    with pytest.raises(BadInput, match="control character U\\+000A"):
        check_id("ann\n", "person id")


@pytest.mark.parametrize("good", ["ann-lee", "Ann_Lee", "ann@example", "x" * 64, "p0123456789abcdef"])
def test_ids_every_cloud_accepts(good: str) -> None:
    assert check_id(good, "person id") == good


def test_new_ids_are_opaque_valid_and_distinct() -> None:
    ids = {new_person_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(ID_PATTERN.fullmatch(i) and i == i.lower() for i in ids)


def test_names_are_any_unicode_text_nfc_normalized() -> None:
    decomposed = unicodedata.normalize("NFD", "José Müller")
    assert decomposed != "José Müller"
    assert check_name(decomposed) == "José Müller"
    for name in ["张伟", "김민준", "محمد علي", "Zoë O'Brien-Łukasiewicz", "  padded  "]:
        assert check_name(name) == unicodedata.normalize("NFC", name).strip()


@pytest.mark.parametrize("bad", ["Eve\x1b[2J", "Eve\nMallory", "Eve\x00", "Eve\u2028", "Eve\x7f"])
def test_control_characters_in_names_are_refused_naming_the_input(bad: str) -> None:
    with pytest.raises(BadInput) as refused:
        check_name(bad)
    assert repr(bad) in str(refused.value) and "control character" in str(refused.value)


def test_names_longer_than_the_strictest_cloud_allows_are_refused() -> None:
    assert check_name("名" * 60) == "名" * 60
    with pytest.raises(BadInput, match="1-60 characters"):
        check_name("名" * 61)


def test_ids_differing_only_in_case_are_one_id_too_many(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_person("ann-lee", "Ann", ["staff"])
        store.add_person("ann_lee", "Ann L.", ["staff"])
        with pytest.raises(BadInput, match="'Ann_Lee'.*'ann_lee' already exists.*only in case"):
            store.add_person("Ann_Lee", "Ann Lee", ["staff"])
        assert [p.id for p in store.people()] == ["ann-lee", "ann_lee"]


def test_an_explicit_id_gets_the_same_validation(tmp_path: Path, config: Path,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = edge(capsys, config, "people", "add", "--id", "ann\n", "--name", "Ann",
                        str(FACES / "Eileen_Collins"))
    assert code == 2 and "error: person id 'ann\\n'" in err and "U+000A" in err
    code, _, err = edge(capsys, config, "people", "add", "--name", "Eve\x1b[31m",
                        str(FACES / "Eileen_Collins"))
    assert code == 2 and "error: name 'Eve\\x1b[31m': control character U+001B" in err
    assert listed(capsys, config) == {}


# -- import --------------------------------------------------------------------------------

def test_import_keeps_non_latin_folder_names_and_gives_each_folder_its_own_person(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    tree = tmp_path / "tree"
    for name, source in UNICODE_NAMES.items():
        shutil.copytree(FACES / source, tree / name)
    import_with_two_folders_of_nobody(tree, config, capsys)
    people = listed(capsys, config)
    assert sorted(people.values()) == sorted(UNICODE_NAMES)
    assert all(ID_PATTERN.fullmatch(pid) for pid in people)
    settings = load_settings(config)  # the descriptor the import enrolled with
    with GalleryStore.from_settings(settings) as store:
        by_name = {p.name: p for p in store.people()}
        assert by_name["张伟"].enrolled_faces == 4 and by_name["王芳"].groups == ("visitors",)
        image = read_image(FACES / "Joe_Biden" / "1.jpg", max_pixels=10_000_000)
        biden = FaceAnalyzer(settings.vision).analyze(image)[0].embedding  # 王芳's photo is 王芳, not 张伟
        assert store.snapshot().view(None).search(biden, top_k=1)[0][0].person_id == by_name["王芳"].id
        store.remove(by_name["张伟"].id)  # removing one removes no one else
        assert sorted(p.name for p in store.people()) == sorted(["김민준", "王芳"])


def test_two_folders_with_one_name_are_an_error_naming_both(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    tree = tmp_path / "tree"
    composed, decomposed = "José", unicodedata.normalize("NFD", "José")
    shutil.copytree(FACES / "Joe_Biden", tree / composed)
    shutil.copytree(FACES / "Eileen_Collins", tree / decomposed)
    code, _, err = edge(capsys, config, "people", "import", str(tree))
    assert code == 2 and str(tree / composed) in err and str(tree / decomposed) in err
    assert "both named 'José'" in err
    assert listed(capsys, config) == {}
    # a re-import names the folder and the person already enrolled
    shutil.rmtree(tree / decomposed)
    assert edge(capsys, config, "people", "import", str(tree))[0] == 0
    (joe_id,) = listed(capsys, config)
    code, _, err = edge(capsys, config, "people", "import", str(tree))
    assert code == 2 and str(tree / composed) in err and f"person {joe_id} already in the gallery" in err


class PixelAnalyzer:
    """Stands in for the vision core in the 1,000-person import: one face per image, its
    embedding a random unit vector seeded by the pixels (distinct images, distinct people;
    cosines between 128-D random vectors stay far below any door threshold). The real models
    would take minutes and find the same person in copies of the fixtures."""

    def __init__(self, settings: object) -> None:
        pass

    def analyze(self, image: np.ndarray, *, describe: bool = True) -> list[Face]:
        seed = int.from_bytes(hashlib.sha256(image.tobytes()).digest()[:8], "big")
        vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
        height, width = image.shape[:2]
        detection = Detection(Box(0, 0, width, height), 0.99, np.zeros((6, 2), np.float32))
        return [Face(detection, Quality(), Liveness(), vector / np.linalg.norm(vector))]


def random_names(count: int, rng: random.Random) -> list[str]:
    """Distinct (after NFC) names in Chinese, Korean, Arabic and accented Latin, some decomposed,
    all of them 3 characters long: the lengths that collapsed into one id before."""
    scripts = [(0x4E00, 0x9FA5), (0xAC00, 0xD7A3), (0x0628, 0x064A), (0x00C0, 0x00FF)]
    names: dict[str, str] = {}
    while len(names) < count:
        low, high = scripts[len(names) % len(scripts)]
        name = "".join(chr(rng.randint(low, high)) for _ in range(3))
        if unicodedata.category(name[0]).startswith("L") and all(not c.isspace() for c in name):
            written = unicodedata.normalize("NFD", name) if len(names) % 8 == 3 else name
            names.setdefault(unicodedata.normalize("NFC", name), written)
    return list(names.values())


def test_an_import_of_1000_folders_of_random_unicode_names_enrolls_1000_people(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("edge.cli.people_cmd._LazyAnalyzer", PixelAnalyzer)
    rng = random.Random(17)
    tree = tmp_path / "tree"
    names = random_names(1000, rng)
    pixels = np.random.default_rng(17)
    for name in names:
        (tree / name).mkdir(parents=True)
        cv2.imwrite(str(tree / name / "1.png"), pixels.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    code, out, err = edge(capsys, config, "people", "import", str(tree))
    assert code == 0, err
    assert "1000 people enrolled, 0 not enrolled, 0 photos refused" in out
    people = listed(capsys, config)
    assert len(people) == 1000
    assert sorted(people.values()) == sorted(unicodedata.normalize("NFC", n) for n in names)


# -- one person, one id ------------------------------------------------------------------------

def test_another_photo_of_an_enrolled_person_is_not_a_new_person(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    first, second = FACES / "Barack_Obama" / "1.jpg", FACES / "Barack_Obama" / "2.jpg"
    assert edge(capsys, config, "people", "add", "--id", "obama", "--name", "Barack Obama",
                str(first))[0] == 0
    code, _, err = edge(capsys, config, "people", "add", "--id", "visitor-7", "--name", "Visitor",
                        str(second))
    assert code == 2 and "not enrolled as visitor-7" in err and "matches obama (Barack Obama)" in err
    assert "--same-as obama" in err and "--new-person --reason" in err
    assert set(listed(capsys, config)) == {"obama"}

    code, out, err = edge(capsys, config, "people", "add", "--same-as", "obama", str(second))
    assert (code, out) == (0, "obama: 1 face(s) enrolled\n"), err
    code, _, err = edge(capsys, config, "people", "add", "--new-person", "--name", "Visitor",
                        str(FACES / "Barack_Obama" / "3.jpg"))
    assert code == 2 and "--new-person and --reason go together" in err

    code, out, err = edge(capsys, config, "people", "add", "--id", "visitor-7", "--name", "Visitor",
                          "--new-person", "--reason", "twin brother, checked ID card",
                          str(FACES / "Barack_Obama" / "3.jpg"))
    assert code == 0 and "visitor-7: 1 face(s) enrolled" in out, err
    with AuditLog(tmp_path / "state" / "audit.sqlite") as audit:
        (override,) = audit.overrides()
    assert (override.person_id, override.other_id, override.reason) == (
        "visitor-7", "obama", "twin brother, checked ID card")
    assert override.score >= override.threshold

    code, out, err = edge(capsys, config, "people", "remove", "obama")
    assert code == 0 and out == "obama: removed\n"
    assert "warning: obama's faces still match visitor-7 (Visitor)" in err
    code, out, err = edge(capsys, config, "people", "forget", "visitor-7")
    assert code == 0 and "still match" not in err


def test_a_different_person_is_enrolled_without_ceremony(
        tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert edge(capsys, config, "people", "add", "--id", "obama", "--name", "Barack Obama",
                str(FACES / "Barack_Obama"))[0] == 0
    code, out, err = edge(capsys, config, "people", "add", "--name", "Joe Biden", str(FACES / "Joe_Biden"))
    assert code == 0 and "2 face(s) enrolled" in out, err
    code, out, err = edge(capsys, config, "people", "remove", "obama")
    assert code == 0 and "still match" not in err
