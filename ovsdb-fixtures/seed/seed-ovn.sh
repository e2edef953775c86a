#!/usr/bin/env bash
# The seed scenario of seed.sh, written with the real ovn-nbctl (OVN 23.03)
# in one atomic transaction. ovn-nbctl has no lr-attach, so each attachment
# is spelled out: lrp-add on the router, then on the switch a router-type
# port <SWITCH>-<ROUTER> with addresses "router" and options:router-port.
#
# Usage: seed-ovn.sh [GLOBAL-OPTION...]     e.g. seed-ovn.sh --db=unix:/run/nb.sock
# The program is $OVN_NBCTL (default: ovn-nbctl); the database is --db or
# $OVN_NB_DB. Works on our NB (ovn-nbctl warns about the OVN tables our
# subset lacks) and on a real OVN NB. Run it on an empty NB.
set -euo pipefail

read -r -a nbctl <<<"${OVN_NBCTL:-ovn-nbctl}"

"${nbctl[@]}" "$@" init
"${nbctl[@]}" "$@" \
    lr-add r1 \
 -- ls-add sw1 \
 -- ls-add sw2 \
 -- lrp-add r1 r1-sw1 fa:16:3e:00:ff:01 10.0.1.1/24 \
 -- lsp-add sw1 sw1-r1 -- lsp-set-type sw1-r1 router \
 -- lsp-set-addresses sw1-r1 router -- lsp-set-options sw1-r1 router-port=r1-sw1 \
 -- lrp-add r1 r1-sw2 fa:16:3e:00:ff:02 10.0.2.1/24 \
 -- lsp-add sw2 sw2-r1 -- lsp-set-type sw2-r1 router \
 -- lsp-set-addresses sw2-r1 router -- lsp-set-options sw2-r1 router-port=r1-sw2 \
 -- lsp-add sw1 vm11 -- lsp-set-addresses vm11 "fa:16:3e:00:01:0b 10.0.1.11" \
 -- lsp-add sw1 vm12 -- lsp-set-addresses vm12 "fa:16:3e:00:01:0c 10.0.1.12" \
 -- lsp-add sw2 vm21 -- lsp-set-addresses vm21 "fa:16:3e:00:02:0b 10.0.2.11" \
 -- lsp-add sw2 vm22 -- lsp-set-addresses vm22 "fa:16:3e:00:02:0c 10.0.2.12"
