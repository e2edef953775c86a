package trace

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// DPAction is one datapath action of a trace's "Datapath actions:" line,
// as far as saying where the packet went needs it.
type DPAction struct {
	Kind DPKind
	Text string // the action as OVS printed it
	Port int    // DPOutput: the datapath port number
	// DPTunnel (userspace tnl_push, or the kernel's set(tunnel(...))):
	// the outer destination and the VNI.
	TunnelDst netip.Addr
	VNI       uint32
	EthSrc    string     // DPSetEth: the new source MAC, if it sets one
	Clone     []DPAction // DPClone: the actions inside clone(...)
}

// DPKind is what a DPAction does.
type DPKind uint8

// The kinds of datapath action.
const (
	DPOther  DPKind = iota // push_vlan, pop_vlan, set(arp(...)), ...
	DPOutput               // a port number
	DPDrop                 // "drop"
	DPTunnel               // tnl_push(...) or set(tunnel(...))
	DPSetEth               // set(eth(...))
	DPClone                // clone(...)
)

var (
	reTunDst = regexp.MustCompile(`ipv4\(src=[0-9.]+,dst=([0-9.]+)|tunnel\((?:[^()]*,)?dst=([0-9.]+)`)
	reVNI    = regexp.MustCompile(`vni=(0x[0-9a-f]+)|tun_id=(0x[0-9a-f]+)`)
	reEthSrc = regexp.MustCompile(`^set\(eth\((?:.*,)?src=([0-9a-f:]{17})`)
)

// ParseDatapath splits a "Datapath actions:" value into actions.
func ParseDatapath(s string) []DPAction {
	var out []DPAction
	for _, a := range splitTop(s) {
		d := DPAction{Kind: DPOther, Text: a}
		switch {
		case a == "drop":
			d.Kind = DPDrop
		case isNumber(a):
			d.Kind, d.Port = DPOutput, atoi(a)
		case strings.HasPrefix(a, "clone(") && strings.HasSuffix(a, ")"):
			d.Kind, d.Clone = DPClone, ParseDatapath(a[len("clone("):len(a)-1])
		case strings.HasPrefix(a, "tnl_push("), strings.HasPrefix(a, "set(tunnel("):
			d.Kind = DPTunnel
			if m := reTunDst.FindStringSubmatch(a); m != nil {
				d.TunnelDst, _ = netip.ParseAddr(m[1] + m[2])
			}
			if m := reVNI.FindStringSubmatch(a); m != nil {
				v, _ := strconv.ParseUint(m[1]+m[2], 0, 32)
				d.VNI = uint32(v)
			}
		case strings.HasPrefix(a, "set(eth("):
			d.Kind = DPSetEth
			if m := reEthSrc.FindStringSubmatch(a); m != nil {
				d.EthSrc = m[1]
			}
		}
		out = append(out, d)
	}
	return out
}

// splitTop splits datapath actions at the commas outside parentheses,
// trimmed, empty parts left out.
func splitTop(s string) []string {
	parts, err := flows.SplitTop(s)
	if err != nil {
		parts = []string{s}
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
