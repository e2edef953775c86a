package nbctl

import (
	"github.com/dvr-ovn/dvr/internal/addr"

	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

// lspTypes are the Logical_Switch_Port types OVN defines.
var lspTypes = []string{"", "router", "localnet", "localport", "l2gateway", "vtep", "external", "virtual", "remote"}

func portCommands() []*command {
	return []*command{
		{name: "lsp-add", args: "SWITCH PORT [PARENT TAG]", min: 2, max: 4, options: []string{"--may-exist"},
			help: "add logical port PORT on SWITCH", run: lspAdd},
		{name: "lsp-del", args: "PORT", min: 1, max: 1, options: []string{"--if-exists"},
			help: "delete PORT from its attached switch", run: lspDel},
		{name: "lsp-list", args: "SWITCH", min: 1, max: 1, help: "print the names of all logical ports on SWITCH", run: lspList},
		{name: "lsp-set-addresses", args: "PORT [ADDRESS]...", min: 1, max: -1,
			help: "set MAC or MAC+IP addresses for PORT (or 'router', 'unknown')", run: lspSetAddresses},
		{name: "lsp-get-addresses", args: "PORT", min: 1, max: 1, help: "get a list of MAC addresses on PORT", run: lspGetAddresses},
		{name: "lsp-set-type", args: "PORT TYPE", min: 2, max: 2, help: "set the type for PORT", run: lspSetType},
		{name: "lsp-get-type", args: "PORT", min: 1, max: 1, help: "get the type for PORT", run: lspGetType},
		{name: "lsp-set-options", args: "PORT KEY=VALUE [KEY=VALUE]...", min: 1, max: -1,
			help: "set options related to the type of PORT", run: lspSetOptions},
		{name: "lsp-get-options", args: "PORT", min: 1, max: 1, help: "get the type specific options for PORT", run: lspGetOptions},
		{name: "lsp-get-up", args: "PORT", min: 1, max: 1, help: "get state of PORT ('up' or 'down')", run: lspGetUp},
	}
}

func lspAdd(c *cmdCtx) error {
	lsArg, name := c.args[0], c.args[1]
	if err := checkName("port", name); err != nil {
		return err
	}
	var parent *string
	var tag *int
	if len(c.args) == 3 {
		return fmt.Errorf("'lsp-add' with a parent port also needs a TAG (usage: lsp-add SWITCH PORT [PARENT TAG])")
	}
	if len(c.args) == 4 {
		t, err := strconv.Atoi(c.args[3])
		if err != nil || t < 0 || t > 4095 {
			return fmt.Errorf("%s: invalid tag (must be 0..4095)", c.args[3])
		}
		parent, tag = &c.args[2], &t
	}
	ls, err := c.t.must(nbdb.LogicalSwitchTable, lsArg)
	if err != nil {
		return err
	}
	if c.has("--may-exist") {
		// Only here is the name looked up: without --may-exist the server's
		// unique index on the name rejects a duplicate at no read cost.
		old, err := c.t.find(nbdb.LogicalSwitchPortTable, name)
		if err != nil {
			return err
		}
		if old != nil {
			owner, err := c.t.parentOf(old)
			if err != nil {
				return err
			}
			if owner == nil || owner.uuid != ls.uuid {
				where := "no switch"
				if owner != nil {
					where = "switch " + nameOf(owner)
				}
				return fmt.Errorf("%s: port already exists but in %s", name, where)
			}
			p := lspOf(old)
			if !ptrEq(p.ParentName, parent) || !ptrEq(p.TagRequest, tag) {
				return fmt.Errorf("%s: port already exists with different parent/tag", name)
			}
			return nil
		}
	} else if dup := c.t.createdPort(nbdb.LogicalSwitchPortTable, name); dup {
		return fmt.Errorf("%s: a port with this name already exists", name)
	}
	p := c.t.create(nbdb.LogicalSwitchPortTable, &nbdb.LogicalSwitchPort{Name: name, ParentName: parent, TagRequest: tag})
	c.t.setAdd(ls, "ports", p.uuid)
	c.t.parent[p.uuid] = ls.uuid
	return nil
}

// createdPort reports whether this run already created a port named name
// (the server's index cannot see a duplicate inside one transaction until
// commit, and ovn-nbctl reports it as a duplicate too).
func (t *txn) createdPort(table, name string) bool {
	return len(t.known(table, name)) > 0
}

func ptrEq[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func lspDel(c *cmdCtx) error {
	p, err := findForDelete(c, nbdb.LogicalSwitchPortTable)
	if p == nil || err != nil {
		return err
	}
	return c.t.dropPort(p)
}

// dropPort removes a switch or router port from its parent; the server
// garbage-collects the unreferenced row.
func (t *txn) dropPort(p *row) error {
	owner, err := t.parentOf(p)
	if err != nil {
		return err
	}
	if owner == nil {
		return fmt.Errorf("%s: port is not in any %s", nameOf(p), map[bool]string{true: "switch", false: "router"}[p.table == nbdb.LogicalSwitchPortTable])
	}
	t.setDel(owner, "ports", p.uuid)
	t.remove(p)
	if tk := t.taken[owner.uuid]; tk != nil {
		tk.drop(p.uuid)
	}
	if p.table == nbdb.LogicalRouterPortTable {
		t.forgetAddresses() // a gateway went away from some switch
	}
	return nil
}

func lspList(c *cmdCtx) error { return listPorts(c, nbdb.LogicalSwitchTable) }

// listPorts prints the ports of the switch or router named by the
// command's argument.
func listPorts(c *cmdCtx, parentTable string) error {
	parent, err := c.t.must(parentTable, c.args[0])
	if err != nil {
		return err
	}
	ports, err := c.t.portsOf(parent)
	if err != nil {
		return err
	}
	var out []listEntry
	for _, p := range ports {
		out = append(out, listEntry{UUID: p.uuid, Name: nameOf(p)})
	}
	emitList(c, out)
	return nil
}

func lspSetAddresses(c *cmdCtx) error {
	var addrs []addr.PortAddress
	for _, a := range c.args[1:] {
		pa, err := addr.ParsePortAddress(a)
		if err != nil {
			return err
		}
		addrs = append(addrs, pa)
	}
	if err := distinctAddresses(addrs); err != nil {
		return err
	}
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	ls, err := c.t.parentOf(p)
	if err != nil {
		return err
	}
	var tk *taken
	if ls != nil && hasConcrete(addrs) {
		if tk, err = c.t.switchAddresses(ls); err != nil {
			return err
		}
		for _, pa := range addrs {
			if err := tk.conflict(nameOf(ls), p.uuid, pa.MAC, pa.IPs); err != nil {
				return err
			}
		}
	} else if ls != nil {
		tk = c.t.taken[ls.uuid]
	}
	strs := []string{}
	for _, pa := range addrs {
		strs = append(strs, pa.String())
	}
	lspOf(p).Addresses = strs
	c.t.update(p, "addresses")
	if tk != nil {
		tk.drop(p.uuid)
		if err := c.t.addPortAddresses(tk, p); err != nil {
			return err
		}
	}
	return nil
}

func hasConcrete(addrs []addr.PortAddress) bool {
	return slices.ContainsFunc(addrs, func(pa addr.PortAddress) bool { return pa.MAC != "" })
}

// distinctAddresses rejects a MAC or IP given twice in one command.
func distinctAddresses(addrs []addr.PortAddress) error {
	macs := map[string]bool{}
	ips := map[string]bool{}
	for _, pa := range addrs {
		if pa.MAC == "" {
			continue
		}
		if macs[pa.MAC] {
			return fmt.Errorf("%s: MAC address given twice", pa.MAC)
		}
		macs[pa.MAC] = true
		for _, ip := range pa.IPs {
			if ips[ip.String()] {
				return fmt.Errorf("%s: IP address given twice", ip)
			}
			ips[ip.String()] = true
		}
	}
	return nil
}

func lspGetAddresses(c *cmdCtx) error {
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	a := slices.Clone(lspOf(p).Addresses)
	slices.Sort(a)
	text := ""
	for _, x := range a {
		text += x + "\n"
	}
	if a == nil {
		a = []string{}
	}
	c.emit(text, a)
	return nil
}

func lspSetType(c *cmdCtx) error {
	typ := c.args[1]
	if !slices.Contains(lspTypes, typ) {
		return fmt.Errorf("Logical switch port type '%s' is unrecognized. Not setting type.", typ)
	}
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	lspOf(p).Type = typ
	c.t.update(p, "type")
	c.t.forgetAddresses()
	return nil
}

func lspGetType(c *cmdCtx) error {
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	c.emit(lspOf(p).Type+"\n", lspOf(p).Type)
	return nil
}

// parseOptions parses KEY=VALUE arguments.
func parseOptions(args []string) (map[string]string, error) {
	m := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: option must be KEY=VALUE", a)
		}
		m[k] = v
	}
	return m, nil
}

func lspSetOptions(c *cmdCtx) error {
	opts, err := parseOptions(c.args[1:])
	if err != nil {
		return err
	}
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	if rp, ok := opts["router-port"]; ok {
		lrp, err := c.t.find(nbdb.LogicalRouterPortTable, rp)
		if err != nil {
			return err
		}
		if lrp == nil {
			return fmt.Errorf("%s: router-port names no logical router port", rp)
		}
	}
	lspOf(p).Options = opts
	c.t.update(p, "options")
	c.t.forgetAddresses()
	return nil
}

func lspGetOptions(c *cmdCtx) error {
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	opts := lspOf(p).Options
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	text := ""
	for _, k := range keys {
		text += k + "=" + opts[k] + "\n"
	}
	if opts == nil {
		opts = map[string]string{}
	}
	c.emit(text, opts)
	return nil
}

func lspGetUp(c *cmdCtx) error {
	p, err := c.t.must(nbdb.LogicalSwitchPortTable, c.args[0])
	if err != nil {
		return err
	}
	up := lspOf(p).Up != nil && *lspOf(p).Up
	s := "down"
	if up {
		s = "up"
	}
	c.emit(s+"\n", s)
	return nil
}
