#!/usr/bin/env bash
# Installs the Debian 12 packages the project runs and tests against (real
# ovsdb-server, ovs-vswitchd, ovs-pki, the OVN 23.03 tools, iproute2, make,
# git; ca-certificates for the Go module proxy), as root, without leaving system OVS/OVN daemons running: service
# starts are denied while packages install (a policy-rc.d of our own, unless
# the machine already has one), and a daemon the install started anyway (a
# pid file with a live process that was not there before) is stopped by
# that pid. Does nothing when every package is installed. Used by .ci/run
# and scripts/demo.sh.
set -euo pipefail

say() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] FAILED: %s\n' "$*" >&2; exit 1; }

PACKAGES=(openvswitch-switch ovn-central ovn-host iproute2 openvswitch-pki make git ca-certificates)
POLICY=/usr/sbin/policy-rc.d
LOG=${DEPS_LOG:-/tmp/dvr-apt.log}

missing=()
for p in "${PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    say "packages present: ${PACKAGES[*]}"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "packages missing (${missing[*]}): run as root"

# live_daemons prints "pidfile pid" for each pid file of the packages'
# daemons whose process runs.
live_daemons() {
    local f pid
    for f in /run/openvswitch/*.pid /run/ovn/*.pid; do
        [ -f "$f" ] || continue
        pid=$(tr -dc '0-9' <"$f" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$f $pid"; fi
    done
    return 0
}

# stop_pid stops one process by pid: TERM, then KILL after 5 s.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

say "installing ${missing[*]} (log: $LOG)"
before=$(live_daemons)
own_policy=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# dvr install-deps.sh: no service starts during package installs\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    own_policy=1
    trap 'if [ "$own_policy" = 1 ]; then rm -f "$POLICY"; fi' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q "${PACKAGES[@]}"; } </dev/null >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    die "apt-get (full log: $LOG)"
fi
if [ "$own_policy" = 1 ]; then
    rm -f "$POLICY"
    own_policy=0
fi
say "installed: $(dpkg-query -W -f='${Package}=${Version} ' "${PACKAGES[@]}")"

while read -r f pid; do
    [ -n "${pid:-}" ] || continue
    if grep -qxF "$f $pid" <<<"$before"; then continue; fi
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$comm" in
        ovsdb-server | ovs-vswitchd | ovn-*)
            say "stopping $comm (pid $pid from $f): started by the install"
            stop_pid "$pid"
            ;;
        *) say "leaving pid $pid ($comm) from $f: not an OVS/OVN daemon" ;;
    esac
done < <(live_daemons)
