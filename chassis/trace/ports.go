package trace

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Port is one port of ovs-vswitchd as `ovs-appctl dpif/show` lists it.
type Port struct {
	Bridge   string
	Name     string
	OfPort   int // -1 when unknown
	DPPort   int // -1 for "none" (patch ports)
	Type     string
	RemoteIP netip.Addr // tunnels: options remote_ip
	// IfaceID is the Interface's external_ids:iface-id, when the caller
	// read it from the local OVSDB ("" otherwise).
	IfaceID string
}

// Ports are the ports of one ovs-vswitchd.
type Ports []Port

var rePort = regexp.MustCompile(`^\s+(\S+) (\d+|none)/(\d+|none): \(([^:)]+)(?::\s*(.*))?\)$`)

// ParseDpifShow reads `ovs-appctl dpif/show`.
func ParseDpifShow(text string) Ports {
	var ps Ports
	bridge := ""
	for _, line := range strings.Split(text, "\n") {
		if t := strings.TrimSpace(line); strings.HasSuffix(t, ":") && !strings.Contains(t, " ") {
			bridge = strings.TrimSuffix(t, ":")
			continue
		}
		m := rePort.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		p := Port{Bridge: bridge, Name: m[1], OfPort: num(m[2]), DPPort: num(m[3]), Type: m[4]}
		for _, kv := range strings.Split(m[5], ",") {
			if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "remote_ip" {
				p.RemoteIP, _ = netip.ParseAddr(v)
			}
		}
		ps = append(ps, p)
	}
	return ps
}

func num(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// ByDP is the port with datapath port number n that is not a tunnel
// (tunnel ports share one datapath port).
func (ps Ports) ByDP(n int) (Port, bool) {
	for _, p := range ps {
		if p.DPPort == n && !p.RemoteIP.IsValid() {
			return p, true
		}
	}
	return Port{}, false
}

// ByOfPort is the port with that ofport on bridge br.
func (ps Ports) ByOfPort(br string, ofport int) (Port, bool) {
	for _, p := range ps {
		if p.Bridge == br && p.OfPort == ofport {
			return p, true
		}
	}
	return Port{}, false
}

// ByRemoteIP is the tunnel port toward ip.
func (ps Ports) ByRemoteIP(ip netip.Addr) (Port, bool) {
	for _, p := range ps {
		if p.RemoteIP == ip {
			return p, true
		}
	}
	return Port{}, false
}

// IsTunnelDP reports whether datapath port n is the tunnels' (the
// kernel's vxlan_sys port: every vxlan port shares it).
func (ps Ports) IsTunnelDP(n int) bool {
	for _, p := range ps {
		if p.DPPort == n && p.RemoteIP.IsValid() {
			return true
		}
	}
	return false
}
