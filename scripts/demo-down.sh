#!/usr/bin/env bash
# make demo-down: stops exactly the processes whose pid files are in the
# demo's run directory (default ./run/demo, or $DVR_DEMO_DIR): dvr-sandbox
# first (it stops its hypervisors and removes their namespaces and
# mounts; if it died, what its journal names), then dvr-northd and the NB
# and SB servers; then removes it.
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

# same_process PID STARTTIME: PID is still the process that was noted
# (field 22 of /proc/PID/stat, its start time since boot, unchanged).
same_process() {
    local st
    running "$1" || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)
    [ -n "$st" ] && [ "$st" = "$2" ]
}
# kill_noted PID STARTTIME WHAT [TIMEOUT]: stop a noted process, by pid,
# only if it is still that process (TERM, then KILL after TIMEOUT s, 5).
kill_noted() {
    local pid=$1 st=$2 what=$3 timeout=${4:-5}
    same_process "$pid" "$st" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq $((timeout * 10))); do
        same_process "$pid" "$st" || break
        sleep 0.1
    done
    same_process "$pid" "$st" && kill -KILL "$pid" 2>/dev/null
    say "stopped $what (pid $pid) that dvr-sandbox left"
    stopped=$((stopped + 1))
}

# dvr-sandbox first: it stops its hypervisors' processes by pid (dvr-chassis,
# ovs-vswitchd, ovsdb-server, the holders, whose exits take their mounts)
# and deletes their namespaces, and then its journal (sandbox.journal).
# Should it have died without doing so (kill -9, its pid file gone, a
# half-made boot), the journal names what it made: its own pid, every
# network namespace, run directory and process, each process with its
# start time. Exactly those go, processes only while they are still the
# same process (and not at all after a reboot: another boot id), and
# nothing else.
stop "$RUN/sandbox.pid" 60
J=$RUN/sandbox.journal
boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true)
if [ -f "$J" ]; then
    read -r _ sbx_pid sbx_st sbx_boot <"$J" || true
    # Its pid file was gone: stop it by the journal; it cleans up itself.
    if [ "${sbx_boot:-}" = "$boot" ] && [ -n "${sbx_pid:-}" ]; then
        kill_noted "$sbx_pid" "$sbx_st" dvr-sandbox 60
    fi
fi
if [ -f "$J" ]; then
    if [ "${sbx_boot:-}" != "$boot" ]; then
        say "sandbox.journal is from another boot: none of its processes runs"
    else
        while read -r kind pid st name; do
            [ "$kind" = pid ] && kill_noted "$pid" "$st" "$name"
        done < <(tac "$J")
    fi
    while read -r kind what _; do
        case "$kind" in
            netns)
                [ -e "/run/netns/$what" ] || continue
                say "removing the namespace $what dvr-sandbox left"
                ip netns del "$what" || true
                ;;
            dir)
                case "$(basename "$what")" in hvt[0-9]*-*) ;; *) continue ;; esac
                if [ -d "$what" ]; then
                    say "removing the directory $what dvr-sandbox left"
                    rm -rf "$what"
                fi
                ;;
        esac
    done <"$J"
    rm -f "$J"
fi
for pidfile in "$RUN"/*.pid; do
    [ "$pidfile" = "$RUN/sandbox.pid" ] && continue
    stop "$pidfile" 5
done
rm -rf "$RUN"
rmdir "$(dirname "$RUN")" 2>/dev/null || true
say "stopped $stopped process(es), removed $RUN"
