package nbctl

import (
	"github.com/dvr-ovn/dvr/internal/addr"

	"fmt"
	"net/netip"
	"strings"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

// taken is the set of MACs and IPs in use on one switch: its ports'
// addresses and the gateway MAC and IPs of the router ports attached to it.
type taken struct {
	macs map[string]string     // MAC → owner description
	ips  map[netip.Addr]string // IP → owner description
}

// conflict reports the first MAC or IP of a new address already in use.
func (tk taken) conflict(switchName, mac string, ips []netip.Addr) error {
	if owner, ok := tk.macs[mac]; ok && mac != "" {
		return fmt.Errorf("%s: MAC address already used on switch %s by %s", mac, switchName, owner)
	}
	for _, ip := range ips {
		if owner, ok := tk.ips[ip]; ok {
			return fmt.Errorf("%s: IP address already used on switch %s by %s", ip, switchName, owner)
		}
	}
	return nil
}

// switchAddresses collects what is in use on ls, leaving out the port
// excluded (the one whose addresses are being replaced).
func (t *txn) switchAddresses(ls *row, exclude string) (taken, error) {
	tk := taken{macs: map[string]string{}, ips: map[netip.Addr]string{}}
	ports, err := t.portsOf(ls)
	if err != nil {
		return tk, err
	}
	for _, p := range ports {
		if p.uuid == exclude {
			continue
		}
		lsp := lspOf(p)
		if lsp.Type == "router" {
			rp := lsp.Options["router-port"]
			if rp == "" {
				continue
			}
			lrp, err := t.find(nbdb.LogicalRouterPortTable, rp)
			if err != nil {
				return tk, err
			}
			if lrp == nil {
				continue // dangling, as ovn-nbctl lrp-del leaves it
			}
			owner := fmt.Sprintf("router port %s (via %s)", rp, lsp.Name)
			gw := lrpOf(lrp)
			if m, err := addr.ParseMAC(gw.MAC); err == nil {
				tk.macs[m] = owner
			}
			for _, n := range gw.Networks {
				if pfx, err := netip.ParsePrefix(n); err == nil {
					tk.ips[pfx.Addr()] = owner
				}
			}
			continue
		}
		owner := "port " + lsp.Name
		for _, a := range lsp.Addresses {
			// Rows other clients wrote may not parse; take what does.
			f := strings.Fields(a)
			if len(f) == 0 {
				continue
			}
			if m, err := addr.ParseMAC(f[0]); err == nil {
				tk.macs[m] = owner
			}
			for _, s := range f[1:] {
				if ip, err := netip.ParseAddr(s); err == nil {
					tk.ips[ip] = owner
				}
			}
		}
	}
	return tk, nil
}
