#!/usr/bin/env bash
# make demo-down: stops exactly the processes whose pid files are in the
# demo's run directory (default ./run/demo, or $DVR_DEMO_DIR): dvr-sandbox
# first (it stops its hypervisors and removes their namespaces and
# mounts), then dvr-northd and the NB and SB servers; then removes it.
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
# running PID: the process runs (a zombie, killed but not yet reaped, does not).
running() {
    kill -0 "$1" 2>/dev/null && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
# stop PIDFILE TIMEOUT: stop the process of our pid file, by pid.
stop() {
    local pidfile=$1 timeout=$2 pid
    [ -f "$pidfile" ] || return 0
    pid=$(tr -dc '0-9' <"$pidfile")
    if [ -z "$pid" ] || ! running "$pid"; then
        say "$(basename "$pidfile"): not running"
        return 0
    fi
    # Only the process started for this run dir: its command line names it.
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--pidfile=$pidfile"; then
        say "$(basename "$pidfile"): pid $pid is not ours (left alone)"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq $((timeout * 10))); do
        running "$pid" || break
        sleep 0.1
    done
    if running "$pid"; then
        say "$(basename "$pidfile"): pid $pid ignored TERM for $timeout s: KILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $(basename "$pidfile" .pid) (pid $pid)"
    stopped=$((stopped + 1))
}

# dvr-sandbox first: it stops its hypervisors' processes by pid (dvr-chassis,
# ovs-vswitchd, ovsdb-server, the holders, whose exits take their mounts)
# and deletes their namespaces. Had it died without doing so, its
# processes died with it (Pdeathsig), and what is left is named after its
# pid: hvt<pid>-* namespaces and /tmp directories.
sbx_pid=$(tr -dc '0-9' <"$RUN/sandbox.pid" 2>/dev/null || true)
stop "$RUN/sandbox.pid" 60
if [ -n "$sbx_pid" ] && ! running "$sbx_pid"; then
    for ns in /run/netns/hvt"$sbx_pid"-*; do
        [ -e "$ns" ] || continue
        say "removing the namespace $(basename "$ns") dvr-sandbox left"
        ip netns del "$(basename "$ns")" || true
    done
    rm -rf /tmp/hvt"$sbx_pid"-*
fi
for pidfile in "$RUN"/*.pid; do
    [ "$pidfile" = "$RUN/sandbox.pid" ] && continue
    stop "$pidfile" 5
done
rm -rf "$RUN"
rmdir "$(dirname "$RUN")" 2>/dev/null || true
say "stopped $stopped process(es), removed $RUN"
