package nbctl

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/nbvalid"
)

// checkAttach checks a router port (mac, networks) attaching to switch ls
// through the router-type port lsp ("" when not created yet): its gateway
// MAC and IPs are free on the switch, and no VM port on it uses an address
// nbvalid reserves in its subnets (the router side of nbvalid's subnet
// rule).
func (t *txn) checkAttach(ls *row, lsp, mac string, nets []netip.Prefix) error {
	tk, err := t.switchAddresses(ls)
	if err != nil {
		return err
	}
	if err := tk.conflict(nameOf(ls), lsp, mac, gateways(nets)); err != nil {
		return err
	}
	return nbvalid.NetworksOverVMs(nets, nameOf(ls), tk.vmAt)
}

// checkVMSubnets checks a VM port's IPs against the subnets of the routers
// attached to its switch (nbvalid's subnet rule, VM side).
func (t *txn) checkVMSubnets(ls *row, ips []netip.Addr) error {
	if ls == nil || len(ips) == 0 {
		return nil
	}
	tk, err := t.switchAddresses(ls)
	if err != nil {
		return err
	}
	return nbvalid.VMOnSubnets(ips, tk.subnets())
}

func gateways(nets []netip.Prefix) []netip.Addr {
	gws := make([]netip.Addr, len(nets))
	for i, n := range nets {
		gws[i] = n.Addr()
	}
	return gws
}

// validate checks the final state of every switch port this run created
// or changed with the rules dvr-northd applies (internal/nbvalid), so that
// what dvr-nbctl writes dvr-northd translates whatever the order of the
// chain's commands (lsp-set-addresses P router before lsp-set-type P
// router is fine; lsp-set-type P "" on a port whose address is "router"
// is not). Commands check what they can when they run; this catches what
// only the end of the chain decides.
func (t *txn) validate() error {
	var touched []*row
	for _, r := range t.rows {
		if r.table == nbdb.LogicalSwitchPortTable && !r.deleted && (r.created || len(r.dirty) > 0) {
			touched = append(touched, r)
		}
	}
	sort.Slice(touched, func(i, j int) bool { return nameOf(touched[i]) < nameOf(touched[j]) })
	// VM ports first: of a VM and a router port in conflict, the VM is the
	// one in the wrong (nbvalid.VMOnSubnets), so its error is the clearer.
	for _, r := range touched {
		p := lspOf(r)
		if p.Type != "" || !(r.created || r.dirty["type"] || r.dirty["addresses"]) {
			continue
		}
		vm, err := nbvalid.VMPort(p.Addresses)
		if err != nil {
			return fmt.Errorf("%w, on port %s", err, p.Name)
		}
		if len(vm.IPs) == 0 {
			continue
		}
		ls, err := t.parentOf(r)
		if err != nil {
			return err
		}
		if err := t.checkVMSubnets(ls, vm.IPs); err != nil {
			return err
		}
	}
	for _, r := range touched {
		p := lspOf(r)
		if p.Type != "router" || p.Options["router-port"] == "" || !(r.created || r.dirty["type"] || r.dirty["options"]) {
			continue
		}
		if err := t.validateAttachment(r); err != nil {
			return err
		}
	}
	return nil
}

// validateAttachment checks the attachment a router-type port makes. A
// missing or invalid router port is not this port's fault (dvr-northd
// reports the router port): only a valid one is checked against the switch.
func (t *txn) validateAttachment(r *row) error {
	lrp, err := t.find(nbdb.LogicalRouterPortTable, lspOf(r).Options["router-port"])
	if err != nil || lrp == nil {
		return err
	}
	m := lrpOf(lrp)
	spec, err := nbvalid.RouterPort(m.MAC, m.Networks, m.Peer)
	if err != nil {
		return nil
	}
	ls, err := t.parentOf(r)
	if err != nil || ls == nil {
		return err
	}
	return t.checkAttach(ls, r.uuid, spec.MAC, spec.Networks)
}
