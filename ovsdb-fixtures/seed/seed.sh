#!/usr/bin/env bash
# The seed scenario, written with dvr-nbctl in one atomic transaction:
#
#   router r1 (distributed)
#     r1-sw1  fa:16:3e:00:ff:01  10.0.1.1/24  ── sw1 10.0.1.0/24: vm11 .11, vm12 .12
#     r1-sw2  fa:16:3e:00:ff:02  10.0.2.1/24  ── sw2 10.0.2.0/24: vm21 .11, vm22 .12
#
# Placement (placement.json; chassis claim ports by OVS iface-id):
#   hv1: vm11 vm21    hv2: vm12    hv3: vm22
#
# Usage: seed.sh [GLOBAL-OPTION...]     e.g. seed.sh --db=unix:/run/nb.sock --wait=sb
# The program is $DVR_NBCTL (default: dvr-nbctl); the database is --db or
# $DVR_NB_DB. Run it on an empty NB: a second run fails on the duplicate
# router name and writes nothing.
# Same rows as seed-ovn.sh (ovn-nbctl) and nb.json; ovsdb-fixtures tests check it.
set -euo pipefail

read -r -a nbctl <<<"${DVR_NBCTL:-dvr-nbctl}"

"${nbctl[@]}" "$@" init
"${nbctl[@]}" "$@" \
    lr-add r1 \
 -- ls-add sw1 \
 -- ls-add sw2 \
 -- lr-attach r1 sw1 r1-sw1 fa:16:3e:00:ff:01 10.0.1.1/24 \
 -- lr-attach r1 sw2 r1-sw2 fa:16:3e:00:ff:02 10.0.2.1/24 \
 -- lsp-add sw1 vm11 -- lsp-set-addresses vm11 "fa:16:3e:00:01:0b 10.0.1.11" \
 -- lsp-add sw1 vm12 -- lsp-set-addresses vm12 "fa:16:3e:00:01:0c 10.0.1.12" \
 -- lsp-add sw2 vm21 -- lsp-set-addresses vm21 "fa:16:3e:00:02:0b 10.0.2.11" \
 -- lsp-add sw2 vm22 -- lsp-set-addresses vm22 "fa:16:3e:00:02:0c 10.0.2.12"
