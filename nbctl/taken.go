package nbctl

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/dvr-ovn/dvr/internal/addr"
	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/nbvalid"
)

// owner is who uses an address on a switch.
type owner struct {
	desc   string // "port vm11", "router port r1-sw1 (via sw1-r1)"
	lsp    string // UUID of the switch port it belongs to
	router bool   // a router port's gateway, not a VM port
}

// taken is the set of MACs and IPs in use on one switch: its ports'
// addresses and the gateway MAC and IPs of the router ports attached to
// it, with those router ports' subnets (for nbvalid's subnet rule). A run
// builds it once per switch and keeps it up to date as its commands
// change the switch, so a chain of N lsp-set-addresses on one switch
// costs O(N), not O(N²).
type taken struct {
	macs  map[string]owner
	ips   map[netip.Addr]owner
	byLSP map[string][]any            // LSP UUID → its MACs (string) and IPs (netip.Addr)
	nets  map[string][]nbvalid.Subnet // router-type LSP UUID → its router port's subnets
}

func newTaken() *taken {
	return &taken{macs: map[string]owner{}, ips: map[netip.Addr]owner{}, byLSP: map[string][]any{}, nets: map[string][]nbvalid.Subnet{}}
}

// addSubnets records the subnets of the router port o attaches.
func (tk *taken) addSubnets(o owner, nets []netip.Prefix) {
	for _, n := range nets {
		tk.nets[o.lsp] = append(tk.nets[o.lsp], nbvalid.Subnet{Prefix: n, Owner: o.desc})
	}
}

// subnets are the subnets of every router attached to the switch.
func (tk *taken) subnets() []nbvalid.Subnet {
	var out []nbvalid.Subnet
	for _, ns := range tk.nets {
		out = append(out, ns...)
	}
	slices.SortFunc(out, func(a, b nbvalid.Subnet) int {
		return cmp.Or(strings.Compare(a.Owner, b.Owner), a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
	})
	return out
}

// vmAt says which VM port (not a router gateway) uses ip.
func (tk *taken) vmAt(ip netip.Addr) (string, bool) {
	o, ok := tk.ips[ip]
	return o.desc, ok && !o.router
}

// conflict reports the first MAC or IP of a new address already in use by
// another port than self.
func (tk *taken) conflict(switchName, self, mac string, ips []netip.Addr) error {
	if o, ok := tk.macs[mac]; ok && mac != "" && o.lsp != self {
		return fmt.Errorf("%s: MAC address already used on switch %s by %s", mac, switchName, o.desc)
	}
	for _, ip := range ips {
		if o, ok := tk.ips[ip]; ok && o.lsp != self {
			return fmt.Errorf("%s: IP address already used on switch %s by %s", ip, switchName, o.desc)
		}
	}
	return nil
}

func (tk *taken) add(o owner, mac string, ips []netip.Addr) {
	if mac != "" {
		tk.macs[mac] = o
		tk.byLSP[o.lsp] = append(tk.byLSP[o.lsp], mac)
	}
	for _, ip := range ips {
		tk.ips[ip] = o
		tk.byLSP[o.lsp] = append(tk.byLSP[o.lsp], ip)
	}
}

// drop forgets everything a switch port used.
func (tk *taken) drop(lsp string) {
	for _, k := range tk.byLSP[lsp] {
		switch v := k.(type) {
		case string:
			if tk.macs[v].lsp == lsp {
				delete(tk.macs, v)
			}
		case netip.Addr:
			if tk.ips[v].lsp == lsp {
				delete(tk.ips, v)
			}
		}
	}
	delete(tk.byLSP, lsp)
	delete(tk.nets, lsp)
}

// switchAddresses returns what is in use on ls, built on first use.
func (t *txn) switchAddresses(ls *row) (*taken, error) {
	if tk := t.taken[ls.uuid]; tk != nil {
		return tk, nil
	}
	tk := newTaken()
	ports, err := t.portsOf(ls)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		if err := t.addPortAddresses(tk, p); err != nil {
			return nil, err
		}
	}
	t.taken[ls.uuid] = tk
	return tk, nil
}

// addPortAddresses records what one switch port uses: its addresses, or
// for a router-type port the gateway of the router port it names.
func (t *txn) addPortAddresses(tk *taken, p *row) error {
	lsp := lspOf(p)
	if lsp.Type == "router" {
		rp := lsp.Options["router-port"]
		if rp == "" {
			return nil
		}
		lrp, err := t.find(nbdb.LogicalRouterPortTable, rp)
		if err != nil || lrp == nil {
			return err // dangling, as ovn-nbctl lrp-del leaves it
		}
		gw := lrpOf(lrp)
		mac, _ := addr.ParseMAC(gw.MAC)
		var ips []netip.Addr
		var nets []netip.Prefix
		for _, n := range gw.Networks {
			if pfx, err := netip.ParsePrefix(n); err == nil {
				ips = append(ips, pfx.Addr())
				nets = append(nets, pfx)
			}
		}
		o := owner{fmt.Sprintf("router port %s (via %s)", rp, lsp.Name), p.uuid, true}
		tk.add(o, mac, ips)
		tk.addSubnets(o, nets)
		return nil
	}
	for _, a := range lsp.Addresses {
		// Rows other clients wrote may not parse; take what does.
		f := strings.Fields(a)
		if len(f) == 0 {
			continue
		}
		mac, _ := addr.ParseMAC(f[0])
		var ips []netip.Addr
		for _, s := range f[1:] {
			if ip, err := netip.ParseAddr(s); err == nil {
				ips = append(ips, ip)
			}
		}
		tk.add(owner{"port " + lsp.Name, p.uuid, false}, mac, ips)
	}
	return nil
}

// forgetAddresses drops every switch's address set (after a change that
// is not tracked incrementally, e.g. a router port deleted).
func (t *txn) forgetAddresses() { clear(t.taken) }
