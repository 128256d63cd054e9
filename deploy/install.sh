#!/usr/bin/env bash
# Install the edge appliance as a systemd service on Raspberry Pi OS (Bookworm) or a Jetson
# (Ubuntu / JetPack). Idempotent: run it again to upgrade; it never overwrites /etc/edge/edge.toml
# nor the secrets. See deploy/README.md.
#
#   sudo deploy/install.sh                       from this repository (needs PyPI)
#   sudo deploy/install.sh --wheelhouse DIR      offline, from deploy/wheelhouse.sh's bundle
#   deploy/install.sh --dry-run                  print every action, change nothing
#   deploy/install.sh --root /tmp/r              install into a throw-away root (tests): no apt,
#                                                no users, no systemctl, no chown
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
DRY_RUN=0
PLATFORM=""
WHEELHOUSE=""
MODELS_SRC=""
WITH_MOSQUITTO=0
ENABLE=1
PYTHON="${PYTHON:-python3}"
DEVICE_ID=""
ALLOW_DEFAULT_ID=0
# Host names that images ship with: as device ids they would collide between doors.
DEFAULT_HOSTNAMES=" raspberrypi localhost ubuntu debian jetson nvidia tegra-ubuntu dietpi "

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    cat <<'EOF'

Options:
  --wheelhouse DIR     install the package offline from DIR (pip --no-index --find-links)
  --models DIR         models to copy (default: the bundle's or repository's models/)
  --platform NAME      pi, jetson or generic (default: detected)
  --device-id ID       this door's id (MQTT client id, topics; default: the host name)
  --allow-default-id   accept an image's default host name (raspberrypi, ...) as the id
  --with-mosquitto     also install a local Mosquitto broker, set up safely: loopback only, a
                       random password per role, the ACL (only the appliance publishes door
                       commands); the appliance's settings point at it
  --no-enable          install the unit but do not enable it
  --root DIR           install under DIR instead of /
  --dry-run            print the actions without doing them
  -h, --help           this text
EOF
}

die() { printf 'install: error: %s\n' "$*" >&2; exit 2; }
say() { printf 'install: %s\n' "$*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --wheelhouse) WHEELHOUSE="${2:?--wheelhouse needs a directory}"; shift 2 ;;
        --models) MODELS_SRC="${2:?--models needs a directory}"; shift 2 ;;
        --platform) PLATFORM="${2:?--platform needs pi, jetson or generic}"; shift 2 ;;
        --device-id) DEVICE_ID="${2:?--device-id needs an id}"; shift 2 ;;
        --allow-default-id) ALLOW_DEFAULT_ID=1; shift ;;
        --with-mosquitto) WITH_MOSQUITTO=1; shift ;;
        --no-enable) ENABLE=0; shift ;;
        --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

detect_platform() {
    local model=""
    [ -r /proc/device-tree/model ] && model="$(tr -d '\0' </proc/device-tree/model)"
    case "$model" in
        *"Raspberry Pi"*) echo pi; return ;;
        *Jetson*|*NVIDIA*) echo jetson; return ;;
    esac
    if [ -e /etc/nv_tegra_release ]; then echo jetson; else echo generic; fi
}

PLATFORM="${PLATFORM:-$(detect_platform)}"
case "$PLATFORM" in pi|jetson|generic) ;; *) die "--platform: pi, jetson or generic, not $PLATFORM" ;; esac

# The package: an offline bundle (wheels/ beside deploy/), an explicit wheelhouse, or this repository.
if [ -z "$WHEELHOUSE" ] && [ ! -f "$SRC/pyproject.toml" ] && [ -d "$SRC/wheels" ]; then
    WHEELHOUSE="$SRC/wheels"
fi
if [ -n "$WHEELHOUSE" ]; then
    WHEELHOUSE="$(cd "$WHEELHOUSE" 2>/dev/null && pwd)" || die "--wheelhouse: no such directory"
    ls "$WHEELHOUSE"/edge_face_door-*.whl >/dev/null 2>&1 \
        || die "--wheelhouse $WHEELHOUSE holds no edge_face_door wheel (build it with deploy/wheelhouse.sh)"
fi
MODELS_SRC="${MODELS_SRC:-$SRC/models}"
[ -f "$MODELS_SRC/manifest.json" ] || die "no models/manifest.json in $MODELS_SRC (use --models DIR)"
UNIT_SRC="$SRC/systemd/edge.service"
[ -f "$UNIT_SRC" ] || die "missing $UNIT_SRC"

OPT="$ROOT/opt/edge"
VENV="$OPT/venv"
ETC="$ROOT/etc/edge"
STATE="$ROOT/var/lib/edge"
LOGS="$ROOT/var/log/edge"
UNIT="$ROOT/etc/systemd/system/edge.service"
DOOR_UNIT="$ROOT/etc/systemd/system/edge-door.service"

# Each door needs its own id (MQTT client id and topics): the host name, unless it is an image's
# default — two doors called raspberrypi take each other's broker session over and over.
if [ ! -f "$ETC/edge.toml" ]; then
    if [ -z "$DEVICE_ID" ]; then
        DEVICE_ID="$(hostname -s 2>/dev/null | tr -c 'A-Za-z0-9_\n-' '-')"
        case "$DEFAULT_HOSTNAMES" in
            *" $DEVICE_ID "*) [ "$ALLOW_DEFAULT_ID" = 1 ] || die "the host name '$DEVICE_ID' is an \
image's default: a second door with it would knock this one off the broker. Give this door its \
own id (--device-id front-door, or set a host name with hostnamectl), or keep it with --allow-default-id" ;;
        esac
    fi
    [[ "$DEVICE_ID" =~ ^[A-Za-z0-9_-]+$ ]] || die "--device-id: letters, digits, '-' and '_' only, not '$DEVICE_ID'"
fi

say "platform $PLATFORM; installing into ${ROOT:-/}"
if [ "$DRY_RUN" = 1 ]; then say "dry run: printing every action, changing nothing"; fi
if [ -n "$ROOT" ]; then say "under --root: apt, users, chown and systemctl are skipped"; fi

# 1. System packages.
packages=(python3-venv python3-pip ca-certificates)
if [ "$PLATFORM" = pi ]; then packages+=(python3-picamera2 python3-lgpio); fi
if [ "$WITH_MOSQUITTO" = 1 ]; then packages+=(mosquitto mosquitto-clients); fi
host apt-get update -qq
if [ "$PLATFORM" = pi ] && [ -z "$ROOT" ] && [ "$DRY_RUN" = 0 ] \
    && ! apt-cache show python3-picamera2 >/dev/null 2>&1; then
    die "--platform pi needs Raspberry Pi OS's apt archive (python3-picamera2 is not in this \
system's sources): on plain Debian or Ubuntu use --platform generic with a USB camera"
fi
host env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"

# 2. The service's user and groups (video for cameras, gpio for the door relay).
ensure_group() {
    if [ -n "$ROOT" ] || ! getent group "$1" >/dev/null; then host groupadd --system "$1"; fi
}
ensure_group edge
ensure_group video
ensure_group gpio
if [ -n "$ROOT" ] || ! id edge >/dev/null 2>&1; then
    host useradd --system --gid edge --home-dir /var/lib/edge --no-create-home \
        --shell /usr/sbin/nologin --comment "edge face-door service" edge
fi
host usermod --append --groups video,gpio edge

# 3. Directories. /etc/edge and its secrets are root's, readable by the service's group only.
run install -d -m 0755 "$OPT" "$OPT/docs" "$ROOT/etc/systemd/system"
run install -d -m 0750 "$ETC" "$ETC/secrets"
run install -d -m 0700 "$STATE" "$LOGS"
host chown root:edge "$ETC" "$ETC/secrets"
host chown edge:edge "$STATE" "$LOGS"

# 4. The virtual environment (system site packages on the Pi: picamera2 comes from apt).
venv_flags=()
if [ "$PLATFORM" = pi ]; then venv_flags+=(--system-site-packages); fi
if [ -x "$VENV/bin/python" ]; then
    say "keeping the virtual environment $VENV"
else
    run "$PYTHON" -m venv "${venv_flags[@]}" "$VENV"
fi
# On the Pi the venv shares the OS's packages (picamera2, simplejpeg, libcamera's bindings), all
# compiled against the OS's numpy (1.24 on Bookworm). A numpy 2 installed into the venv (pulled
# by a recent opencv-python-headless) would shadow it and break each of them with "numpy.dtype
# size changed". So the OS's numpy stays the only one: it is pinned as a requirement, which it
# already meets, and pip picks the opencv/onnxruntime releases that work with it.
keep_numpy=()
extras=""
if [ "$PLATFORM" = pi ]; then
    extras="[door]"  # gpiozero drives the relay of `edge door` (pin factory lgpio from apt)
    os_numpy="$("$PYTHON" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || true)"
    if [ -n "$os_numpy" ]; then
        say "keeping the system's numpy $os_numpy (apt-built modules need it)"
        keep_numpy=("numpy==$os_numpy")
    fi
fi
if [ -n "$WHEELHOUSE" ]; then
    run "$VENV/bin/python" -m pip install --quiet --no-index --find-links "$WHEELHOUSE" --upgrade \
        "edge-face-door$extras" "${keep_numpy[@]}"
else
    run "$VENV/bin/python" -m pip install --quiet --upgrade pip
    run "$VENV/bin/python" -m pip install --quiet --upgrade "$SRC$extras" "${keep_numpy[@]}"
fi

# 5. Models, documentation.
run install -d -m 0755 "$OPT/models"
for item in "$MODELS_SRC"/*; do
    case "$(basename "$item")" in tools|rebuild.sh) continue ;; esac  # build tools stay behind
    run cp -R "$item" "$OPT/models/"
done
[ -f "$SRC/docs/service.md" ] && run install -m 0644 "$SRC/docs/service.md" "$OPT/docs/service.md"

# 6. Configuration skeleton: written once, never overwritten.
FRESH_CONFIG=0
if [ -f "$ETC/edge.toml" ]; then
    say "keeping $ETC/edge.toml"
else
    FRESH_CONFIG=1
    source=opencv
    if [ "$PLATFORM" = pi ]; then source=picamera2; fi
    run "$VENV/bin/edge" config example --source "$source" --output "$ETC/edge.toml"
    run sed -i "0,/^id = \"door-1\"\$/s//id = \"$DEVICE_ID\"/" "$ETC/edge.toml"
fi

# 6b. A local Mosquitto, safe by default (deploy/mosquitto/local.conf): nobody without a password
# connects, and the ACL lets only the appliance publish door commands and only Home Assistant's
# user send lock commands. The passwords never appear on a command line.
if [ "$WITH_MOSQUITTO" = 1 ]; then
    MOSQ="$ROOT/etc/mosquitto"
    run install -d -m 0755 "$MOSQ" "$MOSQ/conf.d"
    run install -m 0644 "$SRC/deploy/mosquitto/local.conf" "$MOSQ/conf.d/edge.conf"
    device_id="door-1"
    if [ "$DRY_RUN" = 0 ]; then
        device_id="$("$VENV/bin/edge" --config "$ETC/edge.toml" config show | sed -n 's/^id = "\(.*\)"$/\1/p' | head -n 1)"
    fi
    node="edge_$device_id"  # the Home Assistant node id: the device id as it is (docs/mqtt.md)
    say "writing $MOSQ/edge.acl for device $device_id (topics edge/$device_id/..., Home Assistant node $node)"
    if [ "$DRY_RUN" = 0 ]; then
        sed -e "s#edge/door-1/#edge/$device_id/#g" -e "s#/edge_door-1/#/$node/#g" \
            "$SRC/deploy/mosquitto/edge.acl" > "$MOSQ/edge.acl"
    fi
    for role in appliance door homeassistant; do
        secret="$ETC/secrets/mqtt-$role.pass"
        if [ -f "$secret" ]; then say "keeping $secret"; continue; fi
        say "writing a random password to $secret"
        if [ "$DRY_RUN" = 0 ]; then
            (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$secret")
        fi
    done
    say "writing $MOSQ/passwd (user:password lines, hashed in place by mosquitto_passwd -U)"
    if [ "$DRY_RUN" = 0 ]; then
        (umask 077
         for role in appliance door homeassistant; do
             printf '%s:%s\n' "$role" "$(cat "$ETC/secrets/mqtt-$role.pass")"
         done > "$MOSQ/passwd")
    fi
    run mosquitto_passwd -U "$MOSQ/passwd"
    host chown mosquitto:mosquitto "$MOSQ/passwd"
    if [ "$FRESH_CONFIG" = 1 ]; then
        run sed -i -e 's|^# username =$|username = "appliance"|' \
            -e 's|^# password_file =$|password_file = "/etc/edge/secrets/mqtt-appliance.pass"|' "$ETC/edge.toml"
    fi
    if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then run systemctl restart mosquitto; fi
fi

run chmod 0640 "$ETC/edge.toml"
host chown root:edge "$ETC/edge.toml"
run find "$ETC/secrets" -type f -exec chmod 0640 {} +
host find "$ETC/secrets" -type f -exec chown root:edge {} +

# 7. The units: the appliance (enabled), and the door agent (for a door relay wired to this
# machine: `systemctl enable --now edge-door` after setting [door] in edge.toml).
run install -m 0644 "$UNIT_SRC" "$UNIT"
run install -m 0644 "$SRC/systemd/edge-door.service" "$DOOR_UNIT"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
    if [ "$ENABLE" = 1 ]; then run systemctl enable edge.service; fi
else
    printf 'skip (systemd not running%s): systemctl daemon-reload; systemctl enable edge.service\n' \
        "${ROOT:+, --root}"
fi

say "done. Next: edit $ETC/edge.toml (secrets as files in $ETC/secrets, mode 0640),"
say "then: sudo -u edge $VENV/bin/edge doctor && sudo systemctl start edge"
