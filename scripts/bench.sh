#!/usr/bin/env bash
# Runs the benchmarks against real ovsdb-servers and prints their Markdown
# reports on stdout (progress on stderr):
#   bench/nbctl    dvr-nbctl vs ovn-nbctl (see its doc)
#   bench/northd   dvr-northd vs a floor client and ovn-northd (see its doc)
#   bench/chassis  dvr-chassis on a simulated hypervisor vs a floor (see its
#                  doc; needs root: network namespaces, ovs-vswitchd)
#   bench/e2e      the headline table: the whole pipeline on 4 simulated
#                  hypervisors, us vs OVN 23.03 (ovn-northd, ovn-controller)
#                  vs a floor (see its doc; needs root)
# It builds bin/dvr-nbctl, bin/dvr-northd and the benchmarks, which start
# and stop their own ovsdb-servers, daemons and ovn-northd in temp dirs.
# Whatever happens, every process they started is stopped by pid: by the
# benchmark itself, and here from the pid file it keeps (a detached
# ovn-nbctl daemon is no child of it).
#
#   scripts/bench.sh                   full run (~25 min on 2 cores: nbctl ~6 + ~10 for its
#                                      section (c), big switches; northd ~9)
#   BENCH_QUICK=1 scripts/bench.sh     smoke run (well under a minute)
#   BENCH_ONLY=nbctl|northd|chassis|e2e   run one of the parts
#   BENCH_QUICK=1 BENCH_ONLY=e2e       the end-to-end smoke run (2x2x5 ports, ~2 min)
#   BENCH_OUT=FILE scripts/bench.sh    also write the report to FILE
# More knobs: bench/nbctl/main.go (BENCH_SIZES, BENCH_SAMPLES,
# BENCH_CLUSTERED...) and bench/northd/main.go (BENCH_NORTHD_SIZES,
# BENCH_NORTHD_CHANGES, BENCH_NORTHD_PROFILE...) and bench/chassis/main.go
# (BENCH_CHASSIS_SIZES, BENCH_CHASSIS_SAMPLES...) and bench/e2e/main.go
# (BENCH_E2E_SIZES=10x5x10,50x10x10, BENCH_E2E_SAMPLES, BENCH_E2E_COLUMNS,
# BENCH_E2E_HVS...). Extra arguments go to
# the nbctl benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

say() { printf '[bench] %s\n' "$*" >&2; }

only=${BENCH_ONLY:-}
case "$only" in
"" | nbctl | northd | chassis | e2e) ;;
*)
    say "BENCH_ONLY=$only: want nbctl, northd, chassis or e2e"
    exit 2
    ;;
esac
run_nbctl=1 run_northd=1 run_chassis=1 run_e2e=1
[ -n "$only" ] && [ "$only" != nbctl ] && run_nbctl=0
[ -n "$only" ] && [ "$only" != northd ] && run_northd=0
[ -n "$only" ] && [ "$only" != chassis ] && run_chassis=0
[ -n "$only" ] && [ "$only" != e2e ] && run_e2e=0

need=(ovsdb-server ovsdb-tool ovn-nbctl)
[ "$run_northd" = 1 ] && need+=(ovn-sbctl ovn-northd)
[ "$run_chassis" = 1 ] && need+=(ovs-vswitchd ovs-vsctl ovs-ofctl)
[ "$run_e2e" = 1 ] && need+=(ovs-vswitchd ovs-vsctl ovs-ofctl ovn-northd ovn-controller)
missing=()
for b in "${need[@]}"; do
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

tmp=$(mktemp -d /tmp/bench.XXXXXX)
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

say "building bin/dvr-nbctl, bin/dvr-northd and the benchmarks"
make --no-print-directory build >&2
go build -o "$tmp/nbctl-bench" ./bench/nbctl
go build -o "$tmp/northd-bench" ./bench/northd
go build -o "$tmp/chassis-bench" ./bench/chassis
go build -o "$tmp/e2e-bench" ./bench/e2e
# Their temp dirs (databases, sockets, logs) go under $tmp, removed on exit.
mkdir -p "$tmp/run"
out=${BENCH_OUT:-}
report=$tmp/report.md
: >"$report"
if [ "$run_nbctl" = 1 ]; then
    TMPDIR=$tmp/run BENCH_PIDFILE=$pidfile BENCH_OUT= "$tmp/nbctl-bench" \
        -dvr-nbctl bin/dvr-nbctl -ovn-nbctl ovn-nbctl "$@" | tee -a "$report"
fi
if [ "$run_northd" = 1 ]; then
    [ "$run_nbctl" = 1 ] && echo | tee -a "$report"
    TMPDIR=$tmp/run BENCH_PIDFILE=$pidfile "$tmp/northd-bench" \
        -dvr-northd bin/dvr-northd -dvr-nbctl bin/dvr-nbctl -ovn-northd ovn-northd -ovn-nbctl ovn-nbctl | tee -a "$report"
fi
if [ "$run_chassis" = 1 ]; then
    [ "$run_nbctl" = 1 ] || [ "$run_northd" = 1 ] && echo | tee -a "$report"
    TMPDIR=$tmp/run BENCH_PIDFILE=$pidfile "$tmp/chassis-bench" \
        -dvr-northd bin/dvr-northd -dvr-chassis bin/dvr-chassis | tee -a "$report"
fi
if [ "$run_e2e" = 1 ]; then
    [ "$run_nbctl" = 1 ] || [ "$run_northd" = 1 ] || [ "$run_chassis" = 1 ] && echo | tee -a "$report"
    TMPDIR=$tmp/run BENCH_PIDFILE=$pidfile "$tmp/e2e-bench" \
        -dvr-nbctl bin/dvr-nbctl -dvr-northd bin/dvr-northd -dvr-chassis bin/dvr-chassis \
        -ovn-nbctl ovn-nbctl -ovn-northd ovn-northd -ovn-controller ovn-controller | tee -a "$report"
fi
if [ -n "$out" ]; then
    cp "$report" "$out"
fi
