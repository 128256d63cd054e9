#!/usr/bin/env bash
# Remove the edge appliance installed by deploy/install.sh.
#
#   sudo deploy/uninstall.sh            stop and disable the service, remove the unit and /opt/edge;
#                                       keep the data (/var/lib/edge: gallery, audit log, outbox),
#                                       the configuration and secrets (/etc/edge) and the user
#   sudo deploy/uninstall.sh --purge    also delete the data, configuration, logs and the user
#   deploy/uninstall.sh --dry-run       print every action, change nothing
#   deploy/uninstall.sh --root DIR      act on a throw-away root (tests): no systemctl, no userdel
set -euo pipefail

ROOT=""
DRY_RUN=0
PURGE=0

die() { printf 'uninstall: error: %s\n' "$*" >&2; exit 2; }
say() { printf 'uninstall: %s\n' "$*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --purge) PURGE=1; shift ;;
        --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    run systemctl disable --now edge.service edge-door.service || true
fi
run rm -f "$ROOT/etc/systemd/system/edge.service" "$ROOT/etc/systemd/system/edge-door.service"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
fi
run rm -rf "$ROOT/opt/edge"

if [ "$PURGE" = 1 ]; then
    run rm -rf "$ROOT/var/lib/edge" "$ROOT/etc/edge" "$ROOT/var/log/edge"
    if [ -n "$ROOT" ] || id edge >/dev/null 2>&1; then host userdel edge; fi
    say "purged: data, configuration, secrets, logs and the edge user are gone"
else
    say "kept: $ROOT/var/lib/edge (gallery, audit log), $ROOT/etc/edge (configuration, secrets)," \
        "the edge user; --purge deletes them"
fi
