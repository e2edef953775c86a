#!/usr/bin/env bash
# Runs the dvr-nbctl vs ovn-nbctl benchmark (bench/nbctl, see its doc) and
# prints its Markdown report on stdout (progress on stderr). It builds
# bin/dvr-nbctl and the benchmark, which starts and stops its own
# ovsdb-servers and ovn-nbctl daemons in temp dirs. Whatever happens, every
# process it started is stopped by pid: by the benchmark itself, and here
# from the pid file it keeps (a detached ovn-nbctl daemon is no child of it).
#
#   scripts/bench.sh                   full run (~10 min on 2 cores)
#   BENCH_QUICK=1 scripts/bench.sh     smoke run (seconds)
#   BENCH_OUT=FILE scripts/bench.sh    also write the report to FILE
# More knobs (BENCH_SIZES, BENCH_SAMPLES, BENCH_CLUSTERED...): bench/nbctl/main.go.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

say() { printf '[bench] %s\n' "$*" >&2; }

missing=()
for b in ovsdb-server ovsdb-tool ovn-nbctl; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ -f scripts/install-deps.sh ]; then
        say "missing ${missing[*]}: installing the project's packages"
        bash scripts/install-deps.sh >&2
    else
        say "missing ${missing[*]} (packages openvswitch-switch, ovn-central)"
        exit 1
    fi
fi

tmp=$(mktemp -d /tmp/nbctl-bench.XXXXXX)
pidfile=$tmp/pids
cleanup() {
    local pid name comm
    if [ -f "$pidfile" ]; then
        while read -r pid name; do
            [ -n "${pid:-}" ] || continue
            comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
            if [ "$comm" = "$name" ]; then
                say "stopping leftover $name (pid $pid)"
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done <"$pidfile"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

say "building bin/dvr-nbctl and the benchmark"
make --no-print-directory build >&2
go build -o "$tmp/nbctl-bench" ./bench/nbctl
# Its temp dirs (databases, sockets, logs) go under $tmp, removed on exit.
mkdir -p "$tmp/run"
TMPDIR=$tmp/run BENCH_PIDFILE=$pidfile "$tmp/nbctl-bench" -dvr-nbctl bin/dvr-nbctl -ovn-nbctl ovn-nbctl "$@"
