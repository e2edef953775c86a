#!/usr/bin/env bash
# make demo: under one run directory, real NB and SB ovsdb-servers
# (single-node RAFT clusters), dvr-northd, and three simulated hypervisors
# with their dvr-chassis on an underlay switch (bin/dvr-sandbox up:
# internal/hvtest); the seed topology loaded with dvr-nbctl and its VMs
# plugged where placement.json puts them; per hypervisor its DVR MAC,
# routers, flows and router namespaces; a real ICMP echo across two
# hypervisors, hop by hop, with its trace; and how to use it all. It stays
# running; `make demo-down` (scripts/demo-down.sh) stops it.
#
# Environment:
#   DVR_DEMO_DIR        run directory (default ./run/demo)
#   DVR_DEMO_NB_RAFT    NB RAFT port on 127.0.0.1 (default 6643)
#   DVR_DEMO_SB_RAFT    SB RAFT port on 127.0.0.1 (default 6644)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "make demo needs root (network namespaces, ovs-vswitchd, packages): run it as root"
RUN=${DVR_DEMO_DIR:-$ROOT/run/demo}
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
NB_RAFT=${DVR_DEMO_NB_RAFT:-6643}
SB_RAFT=${DVR_DEMO_SB_RAFT:-6644}
NBCTL=$ROOT/bin/dvr-nbctl
MARK=$RUN/.dvr-demo # demo-down removes only a directory holding this mark

# A unix socket path holds at most 107 bytes.
[ "${#RUN}" -le 90 ] || die "run directory path too long for unix sockets (${#RUN} > 90 bytes): set DVR_DEMO_DIR"

alive() { # alive NAME: the server NAME of this run dir is running
    local pid
    pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] # not a zombie
}

howto() {
    cat <<EOF

The demo runs under $RUN (make demo-down stops it):
  NB  unix:$RUN/nb.sock   (OVN_Northbound, RAFT member tcp:127.0.0.1:$NB_RAFT; log nb.log, pid nb.pid)
  SB  unix:$RUN/sb.sock   (OVN_Southbound, RAFT member tcp:127.0.0.1:$SB_RAFT; log sb.log, pid sb.pid)
  dvr-northd translating NB into SB (log northd.log, pid northd.pid)
  dvr-sandbox owning the underlay switch and hv1..hv3, each with its dvr-chassis
    (log sandbox.log, pid sandbox.pid, state sandbox.json; $RUN/hvN is hvN's OVS_RUNDIR:
     dvr-chassis.log, ovs-vswitchd.log, conf.db, the VM and wire pcaps)

Use it:
  source $RUN/env            # DVR_NB_DB, OVN_NB_DB, OVN_SB_DB, DVR_SB_DB and bin/ on PATH
  dvr-nbctl show
  ovn-sbctl show                           # hv1..hv3 as dvr-chassis registered them, and their ports
  dvr-sandbox show hv1                     # DVR MAC, routers, flows by table, router namespaces
  dvr-sandbox ping                         # another ICMP echo, hop by hop (or --from vm21 --to vm12)
  dvr-sandbox exec hv1 ovs-vsctl show      # any command inside a hypervisor (OVS_RUNDIR set)
  dvr-sandbox exec hv1 ip netns            # its router namespaces; then inside one:
  dvr-sandbox exec hv1 ip netns exec qrouter-<uuid> ip neigh
  kill \$(cat $RUN/hv1/dvr-chassis.pid)    # dvr-sandbox starts it again; its namespaces stay
  OVS_RUNDIR=$RUN/hv1 dvr-trace in_port=vm11,icmp,dl_src=fa:16:3e:00:01:0b,dl_dst=fa:16:3e:00:ff:01,nw_src=10.0.1.11,nw_dst=10.0.2.12,nw_ttl=64
  dvr-nbctl --wait=sb lsp-add sw1 vm13 -- lsp-set-addresses vm13 "fa:16:3e:00:01:0d 10.0.1.13"
  dvr-sandbox plug hv2 vm13                # a VM port for it on hv2 (dummy, iface-id vm13); waits until up
  dvr-sandbox ping --from vm13 --to vm22   # its packets, hop by hop
  dvr-sandbox unplug vm13                  # (unplug vm22, then plug hv2 vm22: a VM moved)
Stop and clean up: make demo-down
EOF
}

if alive nb || alive sb || alive sandbox; then
    alive nb && alive sb && alive sandbox && [ -e "$RUN/sandbox.json" ] ||
        die "a demo in $RUN is half running: make demo-down, then make demo"
    say "already running in $RUN (make demo-down stops it)"
    "$NBCTL" --db="unix:$RUN/nb.sock" show
    "$ROOT/bin/dvr-sandbox" show --run="$RUN" --no-flows
    howto
    exit 0
fi
if [ -n "$(ls -A "$RUN")" ]; then
    [ -e "$MARK" ] || die "$RUN is not empty and not a demo run directory; choose another DVR_DEMO_DIR"
    say "removing the stopped demo's leftovers in $RUN"
    find "$RUN" -mindepth 1 -delete
fi
touch "$MARK"

# 1. What it needs: OVS/OVN packages only when a program is missing, then bin/.
for b in nsenter unshare mount umount; do # util-linux and mount: in every Debian
    command -v "$b" >/dev/null || die "$b not found: apt-get install util-linux mount"
done
need=()
for b in ovsdb-server ovsdb-tool ovsdb-client ovs-appctl ovs-vswitchd ovs-vsctl ovs-ofctl ovn-nbctl ovn-sbctl ip make; do
    command -v "$b" >/dev/null || need+=("$b")
done
if [ "${#need[@]}" -gt 0 ]; then
    say "missing ${need[*]}: installing packages"
    bash scripts/install-deps.sh </dev/null
fi
export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || die "go not found (expected at /usr/local/go/bin)"
say "building bin/"
make -s build
[ -x "$NBCTL" ] || die "make build did not produce $NBCTL"

# 2. NB and SB: single-node RAFT clusters, detached, pid files in the run dir.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_db() { # start_db NAME SCHEMA RAFT_PORT
    local name=$1 schema=$2 port=$3 db i
    port_busy "$port" && die "127.0.0.1:$port is in use (set DVR_DEMO_${name^^}_RAFT to a free port)"
    db=$(ovsdb-tool schema-name "$schema")
    ovsdb-tool create-cluster "$RUN/$name.db" "$schema" "tcp:127.0.0.1:$port"
    ovsdb-server "$RUN/$name.db" \
        --remote="punix:$RUN/$name.sock" \
        --unixctl="$RUN/$name.ctl" \
        --pidfile="$RUN/$name.pid" \
        --log-file="$RUN/$name.log" \
        --detach --no-chdir -vconsole:off 2>"$RUN/$name.start.err" ||
        { cat "$RUN/$name.start.err" >&2; die "$name: ovsdb-server did not start"; }
    for i in $(seq 200); do
        if ovs-appctl -t "$RUN/$name.ctl" cluster/status "$db" 2>/dev/null | grep -q 'Role: leader'; then
            say "$name: $db up (pid $(cat "$RUN/$name.pid"), unix:$RUN/$name.sock)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$RUN/$name.log" >&2
    die "$name: no RAFT leader after 20 s"
}
start_db nb schema/nb.ovsschema "$NB_RAFT"
start_db sb schema/sb.ovsschema "$SB_RAFT"

cat >"$RUN/env" <<EOF
# source this file: the demo's databases for dvr-nbctl and the OVN tools
export DVR_NB_DB=unix:$RUN/nb.sock
export OVN_NB_DB=unix:$RUN/nb.sock
export OVN_SB_DB=unix:$RUN/sb.sock
export DVR_SB_DB=unix:$RUN/sb.sock
export DVR_DEMO_DIR=$RUN
export PATH=$ROOT/bin:\$PATH
EOF

# 3. dvr-northd, detached, pid file and log in the run dir.
setsid "$ROOT/bin/dvr-northd" --nb="unix:$RUN/nb.sock" --sb="unix:$RUN/sb.sock" \
    --pidfile="$RUN/northd.pid" --instance-id=demo >"$RUN/northd.log" 2>&1 </dev/null &
for _ in $(seq 100); do
    grep -q "now active" "$RUN/northd.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "now active" "$RUN/northd.log" || { tail -n 20 "$RUN/northd.log" >&2; die "dvr-northd did not become active"; }
say "northd: dvr-northd active (pid $(cat "$RUN/northd.pid"), log northd.log)"

# 4. The seed topology, with dvr-nbctl; --wait=sb returns once northd
# has written the SB for it.
say "loading the seed topology (ovsdb-fixtures/seed/seed.sh --wait=sb)"
DVR_NBCTL=$NBCTL DVR_NB_DB="unix:$RUN/nb.sock" bash ovsdb-fixtures/seed/seed.sh --wait=sb --timeout=30

# 5. The underlay switch and three hypervisors, each with its dvr-chassis,
# and the seed VMs plugged as placement.json puts them: dvr-sandbox owns
# them (their processes die with it), detached, pid file in the run dir.
say "booting the underlay switch and hv1..hv3 with their dvr-chassis (bin/dvr-sandbox up, log sandbox.log)"
setsid "$ROOT/bin/dvr-sandbox" up --run="$RUN" --sb="unix:$RUN/sb.sock" \
    --placement="$ROOT/ovsdb-fixtures/seed/placement.json" \
    --pidfile="$RUN/sandbox.pid" >"$RUN/sandbox.log" 2>&1 </dev/null &
for _ in $(seq 1200); do
    [ -e "$RUN/sandbox.json" ] && break
    kill -0 $! 2>/dev/null || break
    sleep 0.1
done
[ -e "$RUN/sandbox.json" ] || { tail -n 30 "$RUN/sandbox.log" >&2; die "dvr-sandbox did not come up (see $RUN/sandbox.log; make demo-down cleans up)"; }
sed 's/^/  /' "$RUN/sandbox.log"

# 6. Every plugged port up (claims and hosting happen outside nb_cfg), then
# --wait=hv: every chassis has caught up with the NB.
ports=$(echo $("$ROOT/bin/dvr-sandbox" vms --run="$RUN" | cut -d' ' -f1)) # the VM ports it plugged
say "waiting until $ports are up, then --wait=hv sync"
for p in $ports; do
    for _ in $(seq 600); do
        [ "$("$NBCTL" --db="unix:$RUN/nb.sock" lsp-get-up "$p" 2>/dev/null)" = up ] && break
        sleep 0.1
    done
    [ "$("$NBCTL" --db="unix:$RUN/nb.sock" lsp-get-up "$p")" = up ] || die "$p never came up (see $RUN/hv*/dvr-chassis.log)"
done
"$NBCTL" --db="unix:$RUN/nb.sock" --wait=hv --timeout=60 sync

say "dvr-nbctl show:"
"$NBCTL" --db="unix:$RUN/nb.sock" show
say "per hypervisor: DVR MAC, hosted routers, DVR flows by table, router namespaces"
"$ROOT/bin/dvr-sandbox" show --run="$RUN"
say "a real packet: ICMP echo and reply, hop by hop from the captures"
"$ROOT/bin/dvr-sandbox" ping --run="$RUN"
howto
