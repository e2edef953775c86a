package nbctl

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/addr"
	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/nbvalid"
)

func routerCommands() []*command {
	return []*command{
		{name: "lr-add", args: "ROUTER", min: 1, max: 1, options: []string{"--may-exist"},
			help: "create a logical router named ROUTER", run: lrAdd},
		{name: "lr-del", args: "ROUTER", min: 1, max: 1, options: []string{"--if-exists"},
			help: "delete ROUTER and all its ports", run: lrDel},
		{name: "lr-list", max: 0, help: "print the names of all logical routers", run: lrList},
		{name: "lrp-add", args: "ROUTER PORT MAC NETWORK... [peer=PEER]", min: 4, max: -1, options: []string{"--may-exist"},
			help: "add logical router port PORT on ROUTER", run: lrpAdd},
		{name: "lrp-del", args: "PORT", min: 1, max: 1, options: []string{"--if-exists"},
			help: "delete PORT from its router (a router-type LSP naming it stays)", run: lrpDel},
		{name: "lrp-list", args: "ROUTER", min: 1, max: 1, help: "print the names of all ports on ROUTER", run: lrpList},
		{name: "lr-attach", args: "ROUTER SWITCH PORT MAC NETWORK...", min: 5, max: -1, options: []string{"--may-exist"},
			help: "attach SWITCH to ROUTER: router port PORT and a router-type LSP SWITCH-ROUTER, in one transaction", run: lrAttach},
		{name: "lr-detach", args: "PORT", min: 1, max: 1, options: []string{"--if-exists"},
			help: "detach: delete router port PORT and every router-type LSP naming it", run: lrDetach},
	}
}

func lrAdd(c *cmdCtx) error {
	return addRoot(c, nbdb.LogicalRouterTable, &nbdb.LogicalRouter{Name: c.args[0]})
}

func lrDel(c *cmdCtx) error {
	r, err := findForDelete(c, nbdb.LogicalRouterTable)
	if r != nil {
		c.t.remove(r)
	}
	return err
}

func lrList(c *cmdCtx) error { return listTable(c, nbdb.LogicalRouterTable) }

// routerPortSpec is a validated router port definition.
type routerPortSpec struct {
	name     string
	mac      string
	networks []netip.Prefix
	peer     *string
}

func (s routerPortSpec) networkStrings() []string {
	out := make([]string, len(s.networks))
	for i, n := range s.networks {
		out[i] = n.String()
	}
	return out
}

// parseRouterPort validates "PORT MAC NETWORK... [peer=PEER]": the
// arguments as ovn-nbctl splits them (the networks, then column settings
// from the first argument holding "="), the row with nbvalid.RouterPort.
func parseRouterPort(args []string) (routerPortSpec, error) {
	spec := routerPortSpec{name: args[0]}
	if err := checkName("port", spec.name); err != nil {
		return spec, err
	}
	var nets []string
	for _, a := range args[2:] {
		if v, ok := strings.CutPrefix(a, "peer="); ok {
			if spec.peer != nil {
				return spec, fmt.Errorf("%s: peer given twice", spec.name)
			}
			spec.peer = &v
			continue
		}
		if strings.Contains(a, "=") {
			return spec, fmt.Errorf("%s: unsupported column setting (only peer=PEER is accepted)", a)
		}
		if spec.peer != nil {
			return spec, fmt.Errorf("%s: a NETWORK after peer=%s (column settings come last, as in ovn-nbctl)", a, *spec.peer)
		}
		nets = append(nets, a)
	}
	r, err := nbvalid.RouterPort(args[1], nets, spec.peer)
	var fe *nbvalid.FieldError
	if errors.As(err, &fe) && (fe.Column == "mac" || fe.Value == "") && fe.Column != "peer" {
		return spec, fmt.Errorf("%s: %w", spec.name, err)
	}
	if err != nil {
		return spec, err
	}
	spec.mac, spec.networks = r.MAC, r.Networks
	return spec, nil
}

// addRouterPort stages a router port on lr (or accepts an identical
// existing one under --may-exist) and returns it.
func (t *txn) addRouterPort(lr *row, spec routerPortSpec, mayExist bool) (*row, error) {
	if mayExist {
		old, err := t.find(nbdb.LogicalRouterPortTable, spec.name)
		if err != nil {
			return nil, err
		}
		if old != nil {
			return old, sameRouterPort(t, old, lr, spec)
		}
	} else if len(t.known(nbdb.LogicalRouterPortTable, spec.name)) > 0 {
		return nil, fmt.Errorf("%s: a port with this name already exists", spec.name)
	}
	ports, err := t.portsOf(lr)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		for _, s := range lrpOf(p).Networks {
			o, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			for _, n := range spec.networks {
				if addr.Overlaps(o, n) {
					return nil, fmt.Errorf("%s: network overlaps %s of port %s on router %s", n, s, lrpOf(p).Name, nameOf(lr))
				}
			}
		}
	}
	p := t.create(nbdb.LogicalRouterPortTable, &nbdb.LogicalRouterPort{
		Name: spec.name, MAC: spec.mac, Networks: spec.networkStrings(), Peer: spec.peer,
	})
	t.setAdd(lr, "ports", p.uuid)
	t.parent[p.uuid] = lr.uuid
	t.forgetAddresses() // a router-type port may already name it
	return p, nil
}

// sameRouterPort checks that an existing port matches a --may-exist add.
func sameRouterPort(t *txn, old, lr *row, spec routerPortSpec) error {
	owner, err := t.parentOf(old)
	if err != nil {
		return err
	}
	if owner == nil || owner.uuid != lr.uuid {
		where := "no router"
		if owner != nil {
			where = "router " + nameOf(owner)
		}
		return fmt.Errorf("%s: port already exists but in %s", spec.name, where)
	}
	p := lrpOf(old)
	if m, _ := addr.ParseMAC(p.MAC); m != spec.mac {
		return fmt.Errorf("%s: port already exists with mac %s", spec.name, p.MAC)
	}
	have := make([]string, len(p.Networks))
	for i, n := range p.Networks {
		have[i] = n
		if pfx, err := netip.ParsePrefix(n); err == nil {
			have[i] = pfx.String() // other writers may spell it differently
		}
	}
	want := spec.networkStrings()
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		return fmt.Errorf("%s: port already exists with different network(s) %s", spec.name, strings.Join(p.Networks, " "))
	}
	if !ptrEq(p.Peer, spec.peer) {
		return fmt.Errorf("%s: port already exists with a different peer", spec.name)
	}
	return nil
}

func lrpAdd(c *cmdCtx) error {
	spec, err := parseRouterPort(c.args[1:])
	if err != nil {
		return err
	}
	lr, err := c.t.must(nbdb.LogicalRouterTable, c.args[0])
	if err != nil {
		return err
	}
	p, err := c.t.addRouterPort(lr, spec, c.has("--may-exist"))
	if err != nil || !p.created {
		return err
	}
	// A router-type port may already name it (ovn-nbctl's order, or one
	// lrp-del left): the port attaches to that switch now.
	lsps, err := c.t.namingRouterPort(spec.name)
	if err != nil {
		return err
	}
	for _, lsp := range lsps {
		if lspOf(lsp).Type != "router" {
			continue
		}
		ls, err := c.t.parentOf(lsp)
		if err != nil {
			return err
		}
		if ls != nil {
			if err := c.t.checkAttach(ls, lsp.uuid, spec.mac, spec.networks); err != nil {
				return err
			}
		}
	}
	return nil
}

func lrpDel(c *cmdCtx) error {
	p, err := findForDelete(c, nbdb.LogicalRouterPortTable)
	if p == nil || err != nil {
		return err
	}
	return c.t.dropPort(p)
}

func lrpList(c *cmdCtx) error { return listPorts(c, nbdb.LogicalRouterTable) }

func lrAttach(c *cmdCtx) error {
	spec, err := parseRouterPort(c.args[2:])
	if err != nil {
		return err
	}
	if spec.peer != nil {
		return fmt.Errorf("%s: lr-attach takes no peer (the switch is the peer)", spec.name)
	}
	lr, err := c.t.must(nbdb.LogicalRouterTable, c.args[0])
	if err != nil {
		return err
	}
	ls, err := c.t.must(nbdb.LogicalSwitchTable, c.args[1])
	if err != nil {
		return err
	}
	lspName := nameOf(ls) + "-" + nameOf(lr)
	if err := checkName("port", lspName); err != nil {
		return err
	}
	mayExist := c.has("--may-exist")
	if mayExist {
		if old, err := c.t.find(nbdb.LogicalSwitchPortTable, lspName); err != nil {
			return err
		} else if old != nil {
			// The whole attachment must already be there, as asked.
			if _, err := c.t.addRouterPort(lr, spec, true); err != nil {
				return err
			}
			owner, err := c.t.parentOf(old)
			if err != nil {
				return err
			}
			p := lspOf(old)
			if owner == nil || owner.uuid != ls.uuid || p.Type != "router" || p.Options["router-port"] != spec.name {
				return fmt.Errorf("%s: port already exists but is not %s's router port for %s", lspName, nameOf(ls), spec.name)
			}
			return nil
		}
	}
	if err := c.t.checkAttach(ls, "", spec.mac, spec.networks); err != nil {
		return err
	}
	if _, err := c.t.addRouterPort(lr, spec, mayExist); err != nil {
		return err
	}
	if len(c.t.known(nbdb.LogicalSwitchPortTable, lspName)) > 0 {
		return fmt.Errorf("%s: a port with this name already exists", lspName)
	}
	p := c.t.create(nbdb.LogicalSwitchPortTable, &nbdb.LogicalSwitchPort{
		Name: lspName, Type: "router", Addresses: []string{"router"},
		Options: map[string]string{"router-port": spec.name},
	})
	c.t.setAdd(ls, "ports", p.uuid)
	c.t.parent[p.uuid] = ls.uuid
	if tk := c.t.taken[ls.uuid]; tk != nil {
		o := owner{fmt.Sprintf("router port %s (via %s)", spec.name, lspName), p.uuid, true}
		tk.add(o, spec.mac, gateways(spec.networks))
		tk.addSubnets(o, spec.networks)
	}
	return nil
}

func lrDetach(c *cmdCtx) error {
	lrp, err := findForDelete(c, nbdb.LogicalRouterPortTable)
	if lrp == nil || err != nil {
		return err
	}
	attached, err := c.t.namingRouterPort(nameOf(lrp))
	if err != nil {
		return err
	}
	for _, p := range attached {
		if lspOf(p).Type != "router" {
			continue
		}
		if err := c.t.dropPort(p); err != nil {
			return err
		}
	}
	return c.t.dropPort(lrp)
}

// namingRouterPort returns the switch ports (of any type) whose
// options:router-port is name: the server's, and the ones this run created.
func (t *txn) namingRouterPort(name string) ([]*row, error) {
	where := []ovsdb.Condition{ovsdb.NewCondition("options", ovsdb.ConditionIncludes,
		ovsdb.OvsMap{GoMap: map[interface{}]interface{}{"router-port": name}})}
	rs, err := t.read(query{table: nbdb.LogicalSwitchPortTable, where: where, columns: lspCols, check: lspCheck, verify: verifyRows})
	if err != nil {
		return nil, err
	}
	out := rs[0]
	for _, r := range t.created {
		if r.table == nbdb.LogicalSwitchPortTable && !r.deleted && lspOf(r).Options["router-port"] == name && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
