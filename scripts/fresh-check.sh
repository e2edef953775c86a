#!/usr/bin/env bash
# The README's `make demo` on a fresh Debian 12 machine, for real: a
# bookworm root made with debootstrap (minbase) in a scratch directory,
# with /proc, /sys, /dev, /dev/pts, a tmpfs /run (and /run/netns in it) and
# /usr/local/go (read-only: a fresh machine of this kind has Go there and
# nothing else of ours); this checkout cloned to /src in it; then, as root
# in the chroot: make demo, make demo-down, make demo twice (the second
# says it already runs), make demo-down, and make demo as a user who is
# not root (one line, exit 1). With FRESH_CI=1 also `CI=true bash .ci/run`
# (about 4 minutes more).
#
# It cleans up by itself, also on failure or ^C: it stops the processes
# running in its root (by pid, found through /proc/<pid>/root), unmounts
# only mount points under its root, deepest first (its own mounts and
# those the demo made in it; the root is a private bind mount of itself,
# so nothing propagates out), and removes the scratch directory.
#
#   sudo bash scripts/fresh-check.sh                 # about 5 minutes with a cached base
#   FRESH_CI=1 sudo bash scripts/fresh-check.sh      # and CI's .ci/run
#
# Environment:
#   FRESH_BASE   a tarball of the debootstrapped base, made on the first run
#                and reused (default /var/tmp/dvr-fresh-base.tar; "" for none)
#   FRESH_MIRROR the Debian mirror (default http://deb.debian.org/debian)
#   FRESH_APT_CACHE a directory bind-mounted as the root's apt archive
#                cache (downloads only; unset for a check as fresh as it gets)
#   FRESH_KEEP=1 keep the scratch directory after success (it is unmounted)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[fresh] %s\n' "$*"; }
die() { printf '[fresh] FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mounts, chroot)"
[ -x /usr/local/go/bin/go ] || die "no Go at /usr/local/go (the machine kind has it there)"
BASE=${FRESH_BASE-/var/tmp/dvr-fresh-base.tar}
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
if [ -z "$BASE" ] || [ ! -s "$BASE" ]; then
    command -v debootstrap >/dev/null || {
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap </dev/null >/dev/null
    }
fi

WORK=$(mktemp -d /var/tmp/dvr-fresh.XXXXXX)
ROOTFS=$WORK/root
mkdir -p "$ROOTFS"

# In-root processes: every process whose root directory is ours (only what
# this script ran in the chroot can be there).
in_root_pids() {
    local d r
    for d in /proc/[0-9]*; do
        r=$(readlink "$d/root" 2>/dev/null) || continue
        case "$r" in "$ROOTFS" | "$ROOTFS"/*) echo "${d#/proc/}" ;; esac
    done
}
# Mount points under our root, deepest first (mountinfo field 5, octal
# escapes as the kernel writes them; our paths have no spaces).
our_mounts() {
    awk -v r="$ROOTFS" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo |
        awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-
}
cleanup() {
    local rc=$? pids m i
    set +e
    pids=$(in_root_pids)
    if [ -n "$pids" ]; then
        say "stopping what still runs in the root: $(echo $pids)"
        kill -TERM $pids 2>/dev/null
        for i in $(seq 50); do
            pids=$(in_root_pids)
            [ -z "$pids" ] && break
            sleep 0.1
        done
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        sleep 0.2
    fi
    for i in 1 2 3; do
        for m in $(our_mounts); do
            umount "$m" 2>/dev/null || [ "$i" -lt 3 ] || umount -l "$m"
        done
        [ -z "$(our_mounts)" ] && break
    done
    if [ -n "$(our_mounts)" ]; then
        say "mounts left under $ROOTFS (not removing it): $(our_mounts | tr '\n' ' ')"
    elif [ "$rc" != 0 ] || [ "${FRESH_KEEP:-}" = 1 ]; then
        say "kept $WORK (its logs: $ROOTFS/src/run, $ROOTFS/tmp)"
    else
        rm -rf "$WORK"
    fi
    [ "$rc" = 0 ] && say "ok" || say "failed (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$BASE" ] && [ -s "$BASE" ]; then
    say "base: $BASE (rm it for a new debootstrap)"
    tar -C "$ROOTFS" -xf "$BASE"
else
    say "debootstrap bookworm (minbase) into $ROOTFS from $MIRROR"
    debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
        { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap (log $WORK/debootstrap.log)"; }
    if [ -n "$BASE" ]; then
        tar -C "$ROOTFS" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
        say "saved the base as $BASE"
    fi
fi
# What the machine kind gives every machine, not ours: its resolver and the
# CAs it trusts locally (here an egress proxy's; ca-certificates, which
# install-deps.sh installs, adds them to the system store).
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
    cp -a /usr/local/share/ca-certificates/. "$ROOTFS/usr/local/share/ca-certificates/"
fi

# The root: a private bind mount of itself first, so that nothing mounted
# under it (by us or by the demo) propagates to the host's peers.
mount --bind "$ROOTFS" "$ROOTFS"
mount --make-private "$ROOTFS"
mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sysfs "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount --make-private "$ROOTFS/dev"
mount --bind /dev/pts "$ROOTFS/dev/pts"
mount --make-private "$ROOTFS/dev/pts"
mount -t tmpfs -o mode=755 tmpfs "$ROOTFS/run"
mkdir -p "$ROOTFS/run/netns" "$ROOTFS/run/lock" "$ROOTFS/usr/local/go"
mount --bind /usr/local/go "$ROOTFS/usr/local/go"
mount -o remount,bind,ro "$ROOTFS/usr/local/go"
if [ -n "${FRESH_APT_CACHE:-}" ]; then # downloads only, for repeated checks
    mkdir -p "$FRESH_APT_CACHE"
    mount --bind "$FRESH_APT_CACHE" "$ROOTFS/var/cache/apt/archives"
fi

say "git clone $SRC into /src (HEAD $(git -C "$SRC" rev-parse --short HEAD))"
git clone -q "$SRC" "$ROOTFS/src"

# A login shell as root with a clean environment, as on a fresh machine.
in_root() { chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -lc "$1"; }
step() { # step WHAT CMD: run CMD in the root, its output indented
    say "$1: $2"
    in_root "$2" 2>&1 | sed -u 's/^/    /'
    return "${PIPESTATUS[0]}"
}
expect_out() { # expect_out PATTERN: the last step's log has PATTERN
    grep -qE "$1" "$WORK/last.log" || die "expected /$1/ in the output"
}
logged() { # logged WHAT CMD: step, keeping the output in last.log
    step "$1" "$2" | tee "$WORK/last.log"
    return "${PIPESTATUS[0]}"
}

# A fresh machine has no make: the README's first line installs it.
logged "0. the README's prerequisite" "apt-get update -qq && apt-get install -y -qq make >/dev/null && make --version | head -n1" ||
    die "apt-get install make"
logged "1. make demo (fresh machine)" "cd /src && make demo" || die "make demo"
expect_out 'ok: routed once on each side'
logged "2. make demo-down" "cd /src && make demo-down" || die "make demo-down"
[ -z "$(in_root 'ls -A /src/run 2>/dev/null; ls /run/netns')" ] || die "demo-down left run/ or namespaces"
logged "3. make demo again" "cd /src && make demo" || die "make demo (second)"
expect_out 'ok: routed once on each side'
logged "4. make demo while it runs" "cd /src && make demo" || die "make demo (third)"
expect_out 'already running'
logged "5. make demo-down" "cd /src && make demo-down" || die "make demo-down (second)"
[ -z "$(in_root 'ls -A /src/run 2>/dev/null; ls /run/netns')" ] || die "demo-down left run/ or namespaces"
[ -z "$(in_root_pids)" ] || die "processes left in the root after demo-down: $(in_root_pids | tr '\n' ' ')"
in_root 'id -u nobody >/dev/null'
logged "6. make demo as a user who is not root" "cd /src && setpriv --reuid=nobody --regid=nogroup --clear-groups make demo; echo exit=\$?" || true
expect_out '^    \[demo\] FAILED: make demo needs root'
expect_out 'exit=2'
# One line of the demo's own (make adds its "Error 1" line).
[ "$(grep -c '^    \[demo\]' "$WORK/last.log")" = 1 ] || die "the non-root refusal is more than one line"
if [ "${FRESH_CI:-}" = 1 ]; then
    logged "7. CI on the fresh machine" "cd /src && CI=true bash .ci/run" || die ".ci/run"
fi
