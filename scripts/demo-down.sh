#!/usr/bin/env bash
# make demo-down: stops exactly the servers whose pid files are in the demo's
# run directory (default ./run/demo, or $DVR_DEMO_DIR), then removes it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[demo-down] %s\n' "$*"; }
die() { printf '[demo-down] FAILED: %s\n' "$*" >&2; exit 1; }

RUN=${DVR_DEMO_DIR:-$ROOT/run/demo}
if [ ! -d "$RUN" ]; then
    say "nothing to stop: no $RUN"
    exit 0
fi
RUN=$(cd "$RUN" && pwd)
[ -e "$RUN/.dvr-demo" ] || die "$RUN has no .dvr-demo mark: not a demo run directory, left alone"

stopped=0
for pidfile in "$RUN"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(tr -dc '0-9' <"$pidfile")
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        say "$(basename "$pidfile"): not running"
        continue
    fi
    # Only the server started for this run dir: its command line names it.
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--pidfile=$pidfile"; then
        say "$(basename "$pidfile"): pid $pid is not our server (left alone)"
        continue
    fi
    kill -TERM "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$(basename "$pidfile"): pid $pid ignored TERM for 5 s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $(basename "$pidfile" .pid) (pid $pid)"
    stopped=$((stopped + 1))
done
rm -rf "$RUN"
rmdir "$(dirname "$RUN")" 2>/dev/null || true
say "stopped $stopped server(s), removed $RUN"
