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
# Environment (make demo CLUSTER=3 TLS=1 sets the first two):
#   CLUSTER             1 (default) or 3: NB and SB as RAFT clusters of that
#                       many ovsdb-servers; every program gets the comma list
#   TLS                 1: every connection (clients and RAFT links) on SSL,
#                       certificates from ovs-pki under <run>/pki
#   DVR_DEMO_DIR        run directory (default ./run/demo)
#   DVR_DEMO_NB_RAFT    NB RAFT port on 127.0.0.1 (default 6643; members 2, 3: +10, +20)
#   DVR_DEMO_SB_RAFT    SB RAFT port on 127.0.0.1 (default 6644; members 2, 3: +10, +20)
#   DVR_DEMO_NB_PORT    NB SSL port with TLS=1 (default 6641; +10, +20)
#   DVR_DEMO_SB_PORT    SB SSL port with TLS=1 (default 6642; +10, +20)
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
NB_PORT=${DVR_DEMO_NB_PORT:-6641}
SB_PORT=${DVR_DEMO_SB_PORT:-6642}
CLUSTER=${CLUSTER:-1}
TLS=${TLS:-}
case "$CLUSTER" in 1 | 3) ;; *) die "CLUSTER must be 1 or 3 (got $CLUSTER)" ;; esac
case "$TLS" in "" | 0) TLS= ;; 1) ;; *) die "TLS must be 1 or unset (got $TLS)" ;; esac
PKI=$RUN/pki
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
$(cat "$RUN/members" 2>/dev/null)
  dvr-northd translating NB into SB (log northd.log, pid northd.pid)
  dvr-sandbox owning the underlay switch and hv1..hv3, each with its dvr-chassis
    (log sandbox.log, pid sandbox.pid, state sandbox.json; $RUN/hvN is hvN's OVS_RUNDIR:
     dvr-chassis.log, ovs-vswitchd.log, conf.db, the VM and wire pcaps)

Use it:
  source $RUN/env            # DVR_NB_DB, OVN_NB_DB, OVN_SB_DB, DVR_SB_DB (TLS: the DVR_ SSL files; ovn-nbctl/ovn-sbctl as functions with -p -c -C) and bin/ on PATH
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
    # shellcheck disable=SC1091
    . "$RUN/env"
    "$NBCTL" show
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

# 2. With TLS=1, the certificates: one ovs-pki CA (switchca) signs a
# certificate per ovsdb-server member, dvr-northd and dvr-nbctl (dvr-sandbox
# signs one per chassis, CN = its name); docs/deployment.md has the same steps.
sign() { # sign NAME: NAME-privkey.pem and NAME-cert.pem in $PKI, CN = NAME
    (cd "$PKI" && ovs-pki -d "$PKI/ca" -l "$PKI/ovs-pki.log" -u req+sign "$1" switch >/dev/null) ||
        die "ovs-pki req+sign $1 failed (see $PKI/ovs-pki.log)"
}
CA=$PKI/ca/switchca/cacert.pem
tls_flags() { # tls_flags NAME: the programs' SSL flags with NAME's certificate
    [ -z "$TLS" ] || echo "--private-key=$PKI/$1-privkey.pem --certificate=$PKI/$1-cert.pem --ca-cert=$CA"
}
if [ -n "$TLS" ]; then
    command -v ovs-pki >/dev/null || die "ovs-pki not found: apt-get install openvswitch-pki"
    mkdir -p "$PKI"
    ovs-pki -d "$PKI/ca" -l "$PKI/ovs-pki.log" init --force >/dev/null || die "ovs-pki init failed"
    for c in dvr-northd dvr-nbctl; do sign "$c"; done
    say "TLS: CA $CA; certificates in $PKI"
fi

# 3. NB and SB: RAFT clusters of $CLUSTER ovsdb-servers (member 1 is
# nb/sb, then nb2, nb3...), detached, pid files in the run dir.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
member() { if [ "$2" = 1 ]; then echo "$1"; else echo "$1$2"; fi; }
start_db() { # start_db NAME SCHEMA RAFT_PORT SSL_PORT: sets <NAME>_EPS
    local name=$1 schema=$2 raft=$3 sslbase=$4 db i m port sp proto=tcp eps=() ok
    [ -n "$TLS" ] && proto=ssl
    db=$(ovsdb-tool schema-name "$schema")
    for i in $(seq "$CLUSTER"); do
        m=$(member "$name" "$i")
        port=$((raft + 10 * (i - 1)))
        port_busy "$port" && die "127.0.0.1:$port is in use (set DVR_DEMO_${name^^}_RAFT to a free port)"
        if [ "$i" = 1 ]; then
            ovsdb-tool create-cluster "$RUN/$m.db" "$schema" "$proto:127.0.0.1:$port"
        else
            ovsdb-tool join-cluster "$RUN/$m.db" "$db" "$proto:127.0.0.1:$port" "$proto:127.0.0.1:$raft"
        fi
        local extra=()
        if [ -n "$TLS" ]; then
            sp=$((sslbase + 10 * (i - 1)))
            port_busy "$sp" && die "127.0.0.1:$sp is in use (set DVR_DEMO_${name^^}_PORT to a free port)"
            sign "$m"
            extra=(--remote="pssl:$sp:127.0.0.1" --private-key="$PKI/$m-privkey.pem"
                --certificate="$PKI/$m-cert.pem" --ca-cert="$CA")
            eps+=("ssl:127.0.0.1:$sp")
        else
            eps+=("unix:$RUN/$m.sock")
        fi
        ovsdb-server "$RUN/$m.db" \
            --remote="punix:$RUN/$m.sock" "${extra[@]}" \
            --unixctl="$RUN/$m.ctl" \
            --pidfile="$RUN/$m.pid" \
            --log-file="$RUN/$m.log" \
            --detach --no-chdir -vconsole:off 2>"$RUN/$m.start.err" ||
            { cat "$RUN/$m.start.err" >&2; die "$m: ovsdb-server did not start"; }
        echo "  $(printf '%-3s' "$m") ${eps[-1]}  ($db, RAFT $proto:127.0.0.1:$port; unix:$RUN/$m.sock; log $m.log, pid $m.pid)" >>"$RUN/members"
    done
    for _ in $(seq 300); do # a leader, and every member in the cluster
        ok=0
        for i in $(seq "$CLUSTER"); do
            ovs-appctl -t "$RUN/$(member "$name" "$i").ctl" cluster/status "$db" 2>/dev/null |
                grep -q 'Status: cluster member' && ok=$((ok + 1))
        done
        for i in $(seq "$CLUSTER"); do
            m=$(member "$name" "$i")
            if [ "$ok" = "$CLUSTER" ] && ovs-appctl -t "$RUN/$m.ctl" cluster/status "$db" 2>/dev/null | grep -q 'Role: leader'; then
                say "$name: $db up, $CLUSTER member(s), leader $m (pid $(cat "$RUN/$m.pid")): $(IFS=,; echo "${eps[*]}")"
                printf -v "${name^^}_EPS" '%s' "$(IFS=,; echo "${eps[*]}")"
                return 0
            fi
        done
        sleep 0.1
    done
    tail -n 20 "$RUN/$name.log" >&2
    die "$name: no RAFT leader with every member joined after 30 s"
}
: >"$RUN/members"
start_db nb schema/nb.ovsschema "$NB_RAFT" "$NB_PORT"
start_db sb schema/sb.ovsschema "$SB_RAFT" "$SB_PORT"

{
    echo "# source this file: the demo's databases for dvr-nbctl and the OVN tools"
    echo "export DVR_NB_DB=$NB_EPS"
    echo "export OVN_NB_DB=$NB_EPS"
    echo "export OVN_SB_DB=$SB_EPS"
    echo "export DVR_SB_DB=$SB_EPS"
    if [ -n "$TLS" ]; then
        echo "# TLS: dvr-nbctl's certificate (dvr-* programs read these); the OVN tools take flags"
        echo "export DVR_PRIVATE_KEY=$PKI/dvr-nbctl-privkey.pem"
        echo "export DVR_CERTIFICATE=$PKI/dvr-nbctl-cert.pem"
        echo "export DVR_CA_CERT=$CA"
        for t in ovn-nbctl ovn-sbctl; do
            echo "$t() { command $t -p $PKI/dvr-nbctl-privkey.pem -c $PKI/dvr-nbctl-cert.pem -C $CA \"\$@\"; }"
        done
    fi
    echo "export DVR_DEMO_DIR=$RUN"
    echo "export PATH=$ROOT/bin:\$PATH"
} >"$RUN/env"
# shellcheck disable=SC1091
. "$RUN/env"

# 4. dvr-northd, detached, pid file and log in the run dir.
# shellcheck disable=SC2046
setsid "$ROOT/bin/dvr-northd" --nb="$NB_EPS" --sb="$SB_EPS" $(tls_flags dvr-northd) \
    --pidfile="$RUN/northd.pid" --instance-id=demo >"$RUN/northd.log" 2>&1 </dev/null &
for _ in $(seq 100); do
    grep -q "now active" "$RUN/northd.log" 2>/dev/null && break
    sleep 0.1
done
grep -q "now active" "$RUN/northd.log" || { tail -n 20 "$RUN/northd.log" >&2; die "dvr-northd did not become active"; }
say "northd: dvr-northd active (pid $(cat "$RUN/northd.pid"), log northd.log)"

# 5. The seed topology, with dvr-nbctl; --wait=sb returns once northd
# has written the SB for it.
say "loading the seed topology (ovsdb-fixtures/seed/seed.sh --wait=sb)"
DVR_NBCTL=$NBCTL bash ovsdb-fixtures/seed/seed.sh --wait=sb --timeout=30

# 6. The underlay switch and three hypervisors, each with its dvr-chassis,
# and the seed VMs plugged as placement.json puts them: dvr-sandbox owns
# them (their processes die with it), detached, pid file in the run dir.
say "booting the underlay switch and hv1..hv3 with their dvr-chassis (bin/dvr-sandbox up, log sandbox.log)"
sbx_tls=()
[ -n "$TLS" ] && sbx_tls=(--pki="$PKI")
setsid "$ROOT/bin/dvr-sandbox" up --run="$RUN" --sb="$SB_EPS" --sb-read="unix:$RUN/sb.sock" "${sbx_tls[@]}" \
    --placement="$ROOT/ovsdb-fixtures/seed/placement.json" \
    --pidfile="$RUN/sandbox.pid" >"$RUN/sandbox.log" 2>&1 </dev/null &
for _ in $(seq 1200); do
    [ -e "$RUN/sandbox.json" ] && break
    kill -0 $! 2>/dev/null || break
    sleep 0.1
done
[ -e "$RUN/sandbox.json" ] || { tail -n 30 "$RUN/sandbox.log" >&2; die "dvr-sandbox did not come up (see $RUN/sandbox.log; make demo-down cleans up)"; }
sed 's/^/  /' "$RUN/sandbox.log"

# 7. Every plugged port up (claims and hosting happen outside nb_cfg), then
# --wait=hv: every chassis has caught up with the NB.
ports=$(echo $("$ROOT/bin/dvr-sandbox" vms --run="$RUN" | cut -d' ' -f1)) # the VM ports it plugged
say "waiting until $ports are up, then --wait=hv sync"
for p in $ports; do
    for _ in $(seq 600); do
        [ "$("$NBCTL" lsp-get-up "$p" 2>/dev/null)" = up ] && break
        sleep 0.1
    done
    [ "$("$NBCTL" lsp-get-up "$p")" = up ] || die "$p never came up (see $RUN/hv*/dvr-chassis.log)"
done
"$NBCTL" --wait=hv --timeout=60 sync

say "dvr-nbctl show:"
"$NBCTL" show
say "per hypervisor: DVR MAC, hosted routers, DVR flows by table, router namespaces"
"$ROOT/bin/dvr-sandbox" show --run="$RUN"
say "a real packet: ICMP echo and reply, hop by hop from the captures"
"$ROOT/bin/dvr-sandbox" ping --run="$RUN"
howto
