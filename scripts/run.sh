#!/usr/bin/env bash
# The README's main-job command: set up, then run the appliance (`edge run`).
# With nothing configured it plays the bundled clip against a demo gallery on the local backend;
# if no MQTT broker answers on 127.0.0.1:1883 it starts a private Mosquitto for the run.
# Extra arguments go to `edge run` (e.g. --max-frames 60).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

broker_pid=""
cleanup() { [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true; }
trap cleanup EXIT
configured=0
[ -n "${EDGE_CONFIG:-}" ] || [ -f /etc/edge/edge.toml ] || [ -n "${EDGE_MQTT__HOST:-}" ] && configured=1
if [ "$configured" = 0 ] && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    conf=$(mktemp)
    printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n' > "$conf"
    mosquitto -c "$conf" >/dev/null 2>&1 &
    broker_pid=$!
    echo "run: started a private Mosquitto on 127.0.0.1:1883 (pid $broker_pid)"
fi
.venv/bin/edge run "$@"
