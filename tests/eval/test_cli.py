"""`edge eval pairs|identify|split`, `edge calibrate`, `edge bench` through the real entry point, with
the real models, on a tiny LFW-style folder built from tests/fixtures/faces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from edge.identify.local.calibration import default_calibration_path, load_calibration
from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from tests.conftest import FIXTURES
from tests.support.cli import run_edge

FACES = FIXTURES / "faces"


@pytest.fixture(autouse=True)
def isolated(default_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Default settings, and the descriptor cache in tmp_path (never the user's)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def lfw(tmp_path: Path) -> Path:
    """The fixture faces as LFW lays them out: Name/Name_0001.jpg."""
    root = tmp_path / "lfw"
    for person in sorted(FACES.iterdir()):
        (root / person.name).mkdir(parents=True)
        for image in sorted(person.glob("*.jpg")):
            shutil.copy(image, root / person.name / f"{person.name}_{int(image.stem):04d}.jpg")
    (root / "pairs.txt").write_text(
        "2\nBarack_Obama\t1\t2\nJoe_Biden\t1\t2\nBarack_Obama\t3\tJoe_Biden\t1\nEileen_Collins\t1\tBarack_Obama\t4\n"
    )
    return root


def test_eval_pairs_json(capsys: pytest.CaptureFixture[str], lfw: Path, tmp_path: Path) -> None:
    args = ("eval", "pairs", "--pairs", str(lfw / "pairs.txt"), "--images", str(lfw), "--json")
    code, out, _ = run_edge(capsys, *args, "--folds", "2")
    assert code == 0
    report = json.loads(out)
    assert {"n_pairs", "accuracy", "accuracy_std", "auc", "eer", "tar_at_far", "n_no_face"} <= report.keys()
    assert report["n_pairs"] == 4 and report["n_no_face"] == 0
    assert report["auc"] == 1.0 and report["eer"] == 0.0  # Obama and Biden are told apart
    assert report["accuracy"] == 1.0
    assert report["tar_at_far"] == {"1e-2": None, "1e-3": None}  # two impostor pairs support neither
    assert list((tmp_path / "cache" / "edge" / "eval").glob("*.npz")), "descriptors are cached"

    # against every different-person pair of the 7 listed images: 21 pairs, 7 of them same-person
    code, out, _ = run_edge(capsys, *args, "--folds", "2", "--all-impostors")
    assert code == 0 and json.loads(out)["n_impostor_rates"] == 14 and json.loads(out)["auc"] == 1.0

    # a single split at a threshold nobody reaches rejects the genuine pairs: accuracy 1/2
    code, out, _ = run_edge(capsys, *args, "--folds", "1", "--threshold", "1.5")
    assert code == 0 and json.loads(out)["accuracy"] == 0.5
    # at the calibration's 1e-2 the same-person fixtures pass and the others do not
    code, out, _ = run_edge(capsys, *args, "--folds", "1", "--far", "1e-2")
    assert code == 0 and json.loads(out)["accuracy"] == 1.0
    # calibrated on another list: the shipped table's accuracy threshold, or the given table's
    code, out, _ = run_edge(capsys, *args, "--folds", "1", "--calibrated")
    assert code == 0 and json.loads(out)["accuracy"] == 1.0
    shipped = json.loads(default_calibration_path(VisionSettings()).read_text())
    assert json.loads(out)["threshold"] == shipped["accuracy_threshold"]
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({**shipped, "accuracy_threshold": 1.5}))
    code, out, _ = run_edge(capsys, *args, "--folds", "1", "--calibrated", "--calibration", str(mine))
    assert code == 0 and json.loads(out)["accuracy"] == 0.5
    mine.write_text(json.dumps({**shipped, "accuracy_threshold": None}))
    code, _, err = run_edge(capsys, *args, "--folds", "1", "--calibrated", "--calibration", str(mine))
    assert code == 2 and '"accuracy_threshold" must be a number' in err


def test_eval_pairs_strangers_counts_false_accepts_among_every_pair(capsys: pytest.CaptureFixture[str],
                                                                     lfw: Path, tmp_path: Path) -> None:
    strangers = tmp_path / "strangers"
    strangers.mkdir()
    for name, source in [("a.jpg", "Barack_Obama/1.jpg"), ("b.jpg", "Barack_Obama/2.jpg"),
                         ("c.jpg", "Joe_Biden/1.jpg"), ("d.jpg", "Eileen_Collins/1.jpg")]:
        shutil.copy(FACES / source, strangers / name)
    args = ("eval", "pairs", "--pairs", str(lfw / "pairs.txt"), "--images", str(lfw), "--folds", "2",
            "--json", "--strangers", str(strangers))
    # one photo per "stranger": the two of Obama are an impostor pair that passes every cut
    code, out, _ = run_edge(capsys, *args)
    assert code == 0
    report = json.loads(out)["strangers"]
    assert (report["n_images"], report["n_people"], report["n_impostor"]) == (4, 4, 6)
    assert [r["far_promised"] for r in report["rates"]] == [1e-3, 1e-4]
    assert [r["false_accepts"] for r in report["rates"]] == [1, 1]
    assert report["rates"][0]["far_measured"] == pytest.approx(1 / 6)
    # a subfolder is one person: the Obama pair is no longer an impostor pair
    (strangers / "obama").mkdir()
    for name in ("a.jpg", "b.jpg"):
        (strangers / name).rename(strangers / "obama" / name)
    code, out, _ = run_edge(capsys, *args)
    report = json.loads(out)["strangers"]
    assert code == 0 and (report["n_people"], report["n_impostor"]) == (3, 5)
    assert [r["false_accepts"] for r in report["rates"]] == [0, 0]


def test_eval_pairs_bad_input_is_one_clear_line(capsys: pytest.CaptureFixture[str], lfw: Path) -> None:
    bad = lfw / "bad.txt"
    bad.write_text("3\nBarack_Obama 1 2\n")
    code, _, err = run_edge(capsys, "eval", "pairs", "--pairs", str(bad), "--images", str(lfw))
    assert code == 2 and err.startswith("error:") and "promises 6 pairs" in err and "Traceback" not in err
    code, _, err = run_edge(capsys, "eval", "pairs", "--pairs", str(lfw / "pairs.txt"), "--images", str(lfw),
                       "--threshold", "0.9")
    assert code == 2 and "--folds 1" in err
    code, _, err = run_edge(capsys, "eval", "pairs", "--pairs", str(lfw / "pairs.txt"), "--images", str(lfw),
                       "--folds", "1", "--threshold", "0.9", "--calibrated")
    assert code == 2 and "choose one of --threshold, --calibrated" in err


def test_eval_identify_json(capsys: pytest.CaptureFixture[str], lfw: Path, tmp_path: Path) -> None:
    (lfw / "pairs.txt").unlink()
    split = tmp_path / "split"
    code, out, _ = run_edge(capsys, "eval", "split", "--images", str(lfw), "--out", str(split))
    # people with two or more images, by name: Barack_Obama (enrolled), Joe_Biden (impostor)
    assert code == 0 and "1 people enrolled" in out
    assert sorted(p.name for p in (split / "gallery").iterdir()) == ["Barack_Obama"]
    # two enrolled images each: only people with three or more images can be enrolled
    code, out, _ = run_edge(capsys, "eval", "split", "--images", str(lfw), "--out", str(tmp_path / "two"),
                            "--enroll", "2")
    assert code == 0 and "(first 2 images)" in out
    assert {len(list(d.iterdir())) for d in (tmp_path / "two" / "gallery").iterdir()} == {2}
    code, out, _ = run_edge(capsys, "eval", "identify", "--gallery", str(split / "gallery"), "--probes",
                       str(split / "probes"), "--far", "0.01", "--json")
    assert code == 0
    report = json.loads(out)
    assert {"n_enrolled", "n_genuine", "n_impostor", "tpir", "fpir", "misid", "far_policy", "threshold"} \
        <= report.keys()
    assert (report["n_enrolled"], report["n_genuine"], report["n_impostor"]) == (1, 3, 3)
    assert report["far_policy"] == 0.01
    assert report["tpir"] == 1.0 and report["fpir"] == 0.0 and report["misid"] == 0.0


def test_calibrate_writes_a_table_the_policy_can_read(capsys: pytest.CaptureFixture[str], lfw: Path,
                                                      tmp_path: Path) -> None:
    # too few comparisons (7 images) to calibrate: a clear error, nothing written
    out_file = tmp_path / "calibration.json"
    code, _, err = run_edge(capsys, "calibrate", "--images", str(lfw), "--pairs", str(lfw / "pairs.txt"),
                       "--out", str(out_file))
    assert code == 2 and "too few" in err and not out_file.exists()
    code, _, err = run_edge(capsys, "calibrate", "--images", str(tmp_path / "nowhere"))
    assert code == 2 and "pairsDevTrain.txt" in err

    # each photo and its mirror image as two photos of the person: 14 images, 35 genuine pairs
    for image in sorted(lfw.glob("*/*.jpg")):
        mirrored = cv2.flip(read_image(image, max_pixels=10_000_000), 1)
        cv2.imwrite(str(image.parent / f"{image.parent.name}_{int(image.stem[-4:]) + 10:04d}.jpg"), mirrored)
    (lfw / "pairsDevTrain.txt").write_text(
        "4\n" + "".join(f"Barack_Obama\t{n}\t{n + 10}\n" for n in range(1, 5))
        + "Joe_Biden\t1\tEileen_Collins\t1\nJoe_Biden\t2\tEileen_Collins\t11\n"
        "Joe_Biden\t11\tBarack_Obama\t1\nJoe_Biden\t12\tBarack_Obama\t2\n"
    )
    code, out, _ = run_edge(capsys, "calibrate", "--images", str(lfw), "--out", str(out_file), "--json")
    assert code == 0
    table = load_calibration(out_file, VisionSettings())
    document = json.loads(out_file.read_text())
    assert document == json.loads(out)
    assert (document["n_genuine"], document["n_impostor"]) == (35, 14 * 13 // 2 - 35)
    assert all(row["n_impostor"] == document["n_impostor"] for row in document["rows"])
    assert table.lowest_far == pytest.approx(1 / document["n_impostor"])  # one impostor: the strictest row


def test_bench_quick_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "bench", "--quick", "--json", "--threads", "1")
    assert code == 0
    figures = json.loads(out)
    keys = {"per_face_ms", "detect_ms", "describe_ms", "search_ms", "fps", "rss_mb", "run_rss_mb",
            "threads"}
    assert keys <= figures.keys()
    assert figures["search_ms"].keys() == {"1000", "10000", "100000"}
    assert figures["threads"] == 1 and figures["clip"]["frames"] == 10
    assert 0 < figures["detect_ms"] < figures["per_face_ms"]
    assert figures["fps"] > 0 and figures["rss_mb"] > 50
    pad = figures["pad"]
    assert pad["methods"] == ["rigid_motion", "texture"]
    assert 0 < pad["per_frame_ms"] <= pad["per_track_ms"]
    assert list(pad["per_method_frame_ms"]) == pad["methods"]
    assert all(0 < cost < pad["per_track_ms"] for cost in pad["per_method_frame_ms"].values())
    assert pad["verdict"] == "bona_fide" and pad["verdict_after_frames"] <= pad["track_frames"]
    # a real edge run child was measured, within the Pi budget (250 MB, issue 18): 225-227 MB in
    # every run on the build machine (docs/benchmarks.md); main before the shared arena peaked at
    # 245-275 MB, above the budget in 3 runs of 5
    assert 50 < figures["run_rss_mb"] <= 250


def test_plots_are_png_files_or_one_clear_error(capsys: pytest.CaptureFixture[str], lfw: Path,
                                                 tmp_path: Path) -> None:
    args = ("eval", "pairs", "--pairs", str(lfw / "pairs.txt"), "--images", str(lfw), "--folds", "2")
    code, _, _ = run_edge(capsys, *args, "--plot", str(tmp_path / "roc.png"))
    assert code == 0 and (tmp_path / "roc.png").read_bytes().startswith(b"\x89PNG")
    code, _, err = run_edge(capsys, *args, "--plot", str(tmp_path / "missing" / "roc.png"))
    assert code == 2 and "cannot write the plot" in err and "Traceback" not in err


def test_calibrate_site_measures_this_doors_people_and_cohort(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_SERVICE__STATE_DIR", str(tmp_path / "state"))
    faces = FIXTURES / "faces"
    for person in ("Barack_Obama", "Joe_Biden"):
        code, _, err = run_edge(capsys, "people", "add", "--id", person.lower(), "--name", person,
                                *map(str, sorted((faces / person).glob("*.jpg"))[:2]))
        assert code == 0, err
    cohort = str(faces / "Eileen_Collins")
    code, out, _ = run_edge(capsys, "calibrate", "--site", "--cohort", cohort, "--json")
    assert code == 0
    document = json.loads(out)
    # 4 enrolled faces against the other person's template, 1 cohort face against both templates
    assert (document["n_people"], document["n_cohort"], document["n_impostor"]) == (2, 1, 4 + 2)
    assert document["rows"] == [] and document["meets_policy"]  # too few faces: the shipped table alone
    stored = json.loads((tmp_path / "state" / "site_calibration.json").read_text())
    assert stored["gallery"] == document["gallery"] and "embedding" not in out


def test_bench_cloud_asks_once_per_approach(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled clip against the YouTu emulator answering 300 ms late (issue #21 item 6): the
    driver is granted on the cloud's answer, after one call. Spelled as the issue spells it; the
    same as ``edge bench cloud youtu --latency-ms 300``."""
    code, out, err = run_edge(capsys, "bench", "--cloud", "youtu", "--cloud-latency-ms", "300", "--quick",
                              "--json")
    assert code == 0
    assert not any(name in err for name in ('"uvicorn', '"edge.emulators', '"httpx')), err  # figures only
    figures = json.loads(out)
    assert figures["decisions"] == [["granted:recognized:carphone-driver"]]
    assert (figures["cloud_calls"], figures["tracks"], figures["cloud_calls_per_approach_max"]) == (1, 1, 1.0)
    # the grant waited for the cloud's answer (the local gallery alone grants in ~60 ms); measured on
    # the clip's frame times, which the real-time pacing keeps only to within a few ms of the wall
    assert figures["grant_ms_p50"] >= 250
    assert figures["fps"] > 0 and figures["fps_local"] > 0


def test_eval_occlusion_flags_drawn_occluders_not_bare_faces(capsys: pytest.CaptureFixture[str],
                                                             lfw: Path) -> None:
    code, out, _ = run_edge(capsys, "eval", "occlusion", "--pairs", str(lfw / "pairs.txt"), "--images",
                            str(lfw), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["bare"]["shown"] == report["bare"]["detected"] == 7 and report["bare"]["occluded"] == 0
    assert report["sunglasses"]["occluded"] == report["sunglasses"]["detected"] == 7
    assert report["mask"]["detected"] >= 5 and report["mask"]["occluded"] == report["mask"]["detected"]
    # without a pair list: every image under the folder (the same 7), in another random choice
    code, out, _ = run_edge(capsys, "eval", "occlusion", "--images", str(lfw), "--limit", "3", "--json")
    assert code == 0 and json.loads(out)["bare"]["shown"] == 3


def test_bench_options_given_where_they_do_nothing_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_edge(capsys, "bench", "--json", "cloud", "youtu", "--quick")
    assert code == 2 and "--json: options of 'edge bench' itself" in err
    code, _, err = run_edge(capsys, "bench", "--cloud-latency-ms", "100", "--quick")
    assert code == 2 and "--cloud-latency-ms needs --cloud" in err
