#!/usr/bin/env bash
# Build an offline installation bundle on a machine with internet, for a site without it:
# every wheel the appliance needs, the models, the unit and the installer, in one .tar.gz.
#
#   deploy/wheelhouse.sh --target pi        Raspberry Pi OS Bookworm 64-bit (aarch64, Python 3.11)
#   deploy/wheelhouse.sh --target jetson    JetPack 6 (aarch64, Ubuntu 22.04, Python 3.10)
#   deploy/wheelhouse.sh                    this machine's platform and Python
#   deploy/wheelhouse.sh --dry-run ...      print the actions, change nothing
#
# On the device: tar xzf edge-bundle-*.tar.gz && sudo edge-bundle-*/deploy/install.sh
# (the installer finds wheels/ beside it and installs with pip --no-index).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
TARGET=host
OUT_DIR="$REPO/dist"
DRY_RUN=0

die() { printf 'wheelhouse: error: %s\n' "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --target) TARGET="${2:?--target needs pi, jetson or host}"; shift 2 ;;
        --out) OUT_DIR="${2:?--out needs a directory}"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
                   printf '\nOptions: --target pi|jetson|host, --out DIR (default dist/), --dry-run\n'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

# pip matches --platform tags literally: list every manylinux tag the device's glibc accepts.
manylinux_up_to() {  # GLIBC_MINOR ARCH
    local minor
    printf -- '--platform manylinux2014_%s ' "$2"
    for ((minor = 17; minor <= $1; minor++)); do printf -- '--platform manylinux_2_%d_%s ' "$minor" "$2"; done
}
# The Pi keeps Raspberry Pi OS's numpy 1.24 (install.sh explains why): its bundle holds the door
# extra and releases of opencv/onnxruntime that work with numpy 1.x.
extras=""
pins=()
case "$TARGET" in
    pi) read -ra cross <<<"$(manylinux_up_to 36 aarch64) --python-version 3.11 --implementation cp"
        extras="[door]"; pins=("numpy<2") ;;
    jetson) read -ra cross <<<"$(manylinux_up_to 35 aarch64) --python-version 3.10 --implementation cp" ;;
    host) cross=() ;;
    *) die "--target: pi, jetson or host, not $TARGET" ;;
esac

run() {
    printf '+'; printf ' %q' "$@"; printf '\n'
    if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$REPO/edge/__init__.py")"
[ -n "$VERSION" ] || die "cannot read __version__ from edge/__init__.py"
NAME="edge-bundle-$VERSION-$TARGET"
BUNDLE="$OUT_DIR/$NAME"

run rm -rf "$BUNDLE"
run mkdir -p "$BUNDLE/wheels" "$BUNDLE/deploy" "$BUNDLE/systemd" "$BUNDLE/docs" "$BUNDLE/models"
# pip from a throw-away venv: the system Python of Debian and Raspberry Pi OS has none.
TOOLS="$OUT_DIR/.wheelhouse-venv"
[ -x "$TOOLS/bin/python" ] || run "$PYTHON" -m venv "$TOOLS"
PIP=("$TOOLS/bin/python" -m pip)
# The package is pure Python: one wheel for every platform. Its dependencies are per platform.
run "${PIP[@]}" wheel --quiet --no-deps --wheel-dir "$BUNDLE/wheels" "$REPO"
if [ "$DRY_RUN" = 0 ]; then
    wheel="$(ls "$BUNDLE"/wheels/edge_face_door-*.whl)"
else
    wheel="$BUNDLE/wheels/edge_face_door-$VERSION-py3-none-any.whl"
fi
run "${PIP[@]}" download --quiet --only-binary=:all: "${cross[@]}" --dest "$BUNDLE/wheels" \
    "$wheel$extras" "${pins[@]}"

for item in "$REPO"/models/*; do
    case "$(basename "$item")" in tools|rebuild.sh) continue ;; esac
    run cp -R "$item" "$BUNDLE/models/"
done
run cp "$REPO/deploy/install.sh" "$REPO/deploy/uninstall.sh" "$REPO/deploy/common.sh" "$REPO/deploy/README.md" "$BUNDLE/deploy/"
run cp "$REPO/systemd/edge.service" "$BUNDLE/systemd/"
run cp "$REPO/docs/service.md" "$BUNDLE/docs/"
run tar -C "$OUT_DIR" -czf "$OUT_DIR/$NAME.tar.gz" "$NAME"
printf 'wheelhouse: %s.tar.gz\n' "$BUNDLE"
