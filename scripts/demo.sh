#!/usr/bin/env bash
# make demo: real NB and SB ovsdb-servers (single-node RAFT clusters) and
# dvr-northd under one run directory, the seed topology loaded with
# dvr-nbctl, three chassis with the seed placement, what northd derived, and
# how to use it all. Stop everything with `make demo-down`
# (scripts/demo-down.sh).
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
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

howto() {
    cat <<EOF

The demo databases run under $RUN:
  NB  unix:$RUN/nb.sock   (OVN_Northbound, RAFT member tcp:127.0.0.1:$NB_RAFT; log nb.log, pid nb.pid)
  SB  unix:$RUN/sb.sock   (OVN_Southbound, RAFT member tcp:127.0.0.1:$SB_RAFT; log sb.log, pid sb.pid)
  dvr-northd translating NB into SB (log northd.log, pid northd.pid)

Use them:
  source $RUN/env            # or: export DVR_NB_DB=unix:$RUN/nb.sock PATH=$ROOT/bin:\$PATH
  dvr-nbctl show
  dvr-nbctl --wait=sb lsp-add sw1 vm13 -- lsp-set-addresses vm13 "fa:16:3e:00:01:0d 10.0.1.13"
  dvr-nbctl --format=json ls-list
  ovn-nbctl --db=\$DVR_NB_DB show        # the real OVN tool reads the same NB
  ovn-sbctl --db=unix:$RUN/sb.sock show
Placement of the seed VMs (for chassis): ovsdb-fixtures/seed/placement.json
Stop and clean up: make demo-down
EOF
}

if alive nb || alive sb; then
    alive nb && alive sb || die "a demo in $RUN is half running: make demo-down, then make demo"
    say "already running in $RUN (make demo-down stops it)"
    "$NBCTL" --db="unix:$RUN/nb.sock" show
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
need=()
for b in ovsdb-server ovsdb-tool ovsdb-client ovs-appctl ovn-nbctl ovn-sbctl make; do
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

# 5. Three chassis and the seed placement. dvr-chassis (a later release)
# registers itself and claims ports; until then ovn-sbctl plays it.
sbctl() { ovn-sbctl --db="unix:$RUN/sb.sock" "$@" 2>/dev/null; }
sbctl chassis-add hv1 vxlan 192.168.100.1
sbctl chassis-add hv2 vxlan 192.168.100.2
sbctl chassis-add hv3 vxlan 192.168.100.3
for vm_hv in vm11:hv1 vm21:hv1 vm12:hv2 vm22:hv3; do
    sbctl lsp-bind "${vm_hv%%:*}" "${vm_hv##*:}"
done
"$NBCTL" --db="unix:$RUN/nb.sock" --wait=sb --timeout=30 sync

say "dvr-nbctl show:"
"$NBCTL" --db="unix:$RUN/nb.sock" show
say "ovn-sbctl show (chassis and the ports bound to them):"
sbctl show
say "what dvr-northd derived: DVR MACs and the routers each chassis hosts"
ovsdb-client dump "unix:$RUN/sb.sock" OVN_Southbound DVR_MAC_Binding chassis_name mac
ovsdb-client dump "unix:$RUN/sb.sock" OVN_Southbound DVR_Router_Binding chassis_name datapath
ovsdb-client dump "unix:$RUN/sb.sock" OVN_Southbound Datapath_Binding tunnel_key external_ids
howto
