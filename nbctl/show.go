package nbctl

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

func globalCommands() []*command {
	return []*command{
		{name: "init", max: 0, help: "initialize the database (create NB_Global if missing)", run: initDB},
		{name: "show", args: "[SWITCH|ROUTER]", max: 1, help: "print overview of database contents", run: show},
		{name: "sync", max: 0, help: "wait for northd (--wait=sb) or every chassis (--wait=hv) to catch up", run: func(c *cmdCtx) error {
			c.t.forceWait = true
			return nil
		}},
	}
}

func initDB(c *cmdCtx) error {
	_, err := c.t.nbGlobal(true)
	return err
}

// nbGlobal returns the NB_Global row, creating it when create is set.
func (t *txn) nbGlobal(create bool) (*row, error) {
	if t.global != nil {
		return t.global, nil
	}
	rs, err := t.read(query{table: nbdb.NBGlobalTable, where: []ovsdb.Condition{}, columns: []string{"nb_cfg"}, check: []string{}, verify: verifyResult})
	if err != nil {
		return nil, err
	}
	if len(rs[0]) > 0 {
		t.global = rs[0][0]
	} else if create {
		t.global = t.create(nbdb.NBGlobalTable, &nbdb.NBGlobal{})
	}
	return t.global, nil
}

// showSwitch and friends are show's JSON shape.
type showSwitch struct {
	UUID  string     `json:"uuid"`
	Name  string     `json:"name"`
	Ports []showPort `json:"ports"`
}

type showPort struct {
	UUID       string            `json:"uuid"`
	Name       string            `json:"name"`
	Type       string            `json:"type,omitempty"`
	Addresses  []string          `json:"addresses,omitempty"`
	Options    map[string]string `json:"options,omitempty"`
	ParentName string            `json:"parent_name,omitempty"`
	Tag        *int              `json:"tag,omitempty"`
	Up         *bool             `json:"up,omitempty"`
	MAC        string            `json:"mac,omitempty"`
	Networks   []string          `json:"networks,omitempty"`
	Peer       string            `json:"peer,omitempty"`
}

type showRouter struct {
	UUID  string     `json:"uuid"`
	Name  string     `json:"name"`
	Ports []showPort `json:"ports"`
}

type showData struct {
	Switches []showSwitch `json:"switches"`
	Routers  []showRouter `json:"routers"`
}

// Columns show prints.
var (
	showLSPCols = []string{"name", "type", "addresses", "options", "parent_name", "tag", "up"}
	showLRPCols = []string{"name", "mac", "networks", "peer", "options"}
)

func show(c *cmdCtx) error {
	var d showData
	if len(c.args) == 1 {
		// One switch or router: read it and its ports only.
		filter := c.args[0]
		ls, _ := c.t.find(nbdb.LogicalSwitchTable, filter)
		lr, _ := c.t.find(nbdb.LogicalRouterTable, filter)
		if ls == nil && lr == nil {
			return fmt.Errorf("%s: no switch or router with this name or uuid", filter)
		}
		for _, k := range []struct {
			table string
			cols  []string
		}{{nbdb.LogicalSwitchTable, showLSPCols}, {nbdb.LogicalRouterTable, showLRPCols}} {
			rs, err := c.t.matching(k.table, filter)
			if err != nil {
				return err
			}
			for _, r := range rs {
				ports, err := c.t.children(r, k.cols, false)
				if err != nil {
					return err
				}
				addShown(&d, r, ports)
			}
		}
	} else {
		all := []ovsdb.Condition{}
		rs, err := c.t.read(
			query{table: nbdb.LogicalSwitchTable, where: all, columns: []string{"name", "ports"}},
			query{table: nbdb.LogicalSwitchPortTable, where: all, columns: lspCols},
			query{table: nbdb.LogicalRouterTable, where: all, columns: []string{"name", "ports"}},
			query{table: nbdb.LogicalRouterPortTable, where: all, columns: lrpCols},
		)
		if err != nil {
			return err
		}
		for _, i := range []int{0, 2} {
			for _, r := range rs[i] {
				var ports []*row
				var us []string
				if i == 0 {
					us = lsOf(r).Ports
				} else {
					us = lrOf(r).Ports
				}
				for _, u := range us {
					if p := c.t.rows[u]; p != nil && !p.deleted {
						ports = append(ports, p)
					}
				}
				addShown(&d, r, ports)
			}
		}
	}
	sort.Slice(d.Switches, func(i, j int) bool { return d.Switches[i].Name < d.Switches[j].Name })
	sort.Slice(d.Routers, func(i, j int) bool { return d.Routers[i].Name < d.Routers[j].Name })
	if d.Switches == nil {
		d.Switches = []showSwitch{}
	}
	if d.Routers == nil {
		d.Routers = []showRouter{}
	}
	c.emit(renderShow(d), d)
	return nil
}

// matching returns the live rows of table whose UUID or name is arg.
func (t *txn) matching(table, arg string) ([]*row, error) {
	if isUUID(arg) {
		r, err := t.byUUID(table, arg)
		if r == nil || err != nil {
			return nil, err
		}
		return []*row{r}, nil
	}
	return t.byName(table, arg)
}

// addShown adds a switch or router and its ports to show's output.
func addShown(d *showData, r *row, ports []*row) {
	if r.table == nbdb.LogicalSwitchTable {
		s := showSwitch{UUID: r.uuid, Name: nameOf(r), Ports: []showPort{}}
		for _, p := range ports {
			l := lspOf(p)
			s.Ports = append(s.Ports, showPort{UUID: p.uuid, Name: l.Name, Type: l.Type, Addresses: l.Addresses,
				Options: l.Options, ParentName: deref(l.ParentName), Tag: l.Tag, Up: l.Up})
		}
		sort.Slice(s.Ports, func(i, j int) bool { return s.Ports[i].Name < s.Ports[j].Name })
		d.Switches = append(d.Switches, s)
		return
	}
	lr := showRouter{UUID: r.uuid, Name: nameOf(r), Ports: []showPort{}}
	for _, p := range ports {
		l := lrpOf(p)
		lr.Ports = append(lr.Ports, showPort{UUID: p.uuid, Name: l.Name, MAC: l.MAC, Networks: l.Networks,
			Peer: deref(l.Peer), Options: l.Options})
	}
	sort.Slice(lr.Ports, func(i, j int) bool { return lr.Ports[i].Name < lr.Ports[j].Name })
	d.Routers = append(d.Routers, lr)
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// quoteList renders strings as OVSDB does: ["a", "b"].
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func renderShow(d showData) string {
	var b strings.Builder
	for _, s := range d.Switches {
		fmt.Fprintf(&b, "switch %s (%s)\n", s.UUID, s.Name)
		for _, p := range s.Ports {
			fmt.Fprintf(&b, "    port %s\n", p.Name)
			if p.ParentName != "" {
				fmt.Fprintf(&b, "        parent: %s\n", p.ParentName)
			}
			if p.Tag != nil {
				fmt.Fprintf(&b, "        tag: %d\n", *p.Tag)
			}
			if p.Type != "" {
				fmt.Fprintf(&b, "        type: %s\n", p.Type)
			}
			if rp, ok := p.Options["router-port"]; ok && p.Type == "router" {
				fmt.Fprintf(&b, "        router-port: %s\n", rp)
			}
			if len(p.Addresses) > 0 && !(p.Type == "router" && slices.Equal(p.Addresses, []string{"router"})) {
				fmt.Fprintf(&b, "        addresses: %s\n", quoteList(p.Addresses))
			}
		}
	}
	for _, r := range d.Routers {
		fmt.Fprintf(&b, "router %s (%s)\n", r.UUID, r.Name)
		for _, p := range r.Ports {
			fmt.Fprintf(&b, "    port %s\n", p.Name)
			fmt.Fprintf(&b, "        mac: %q\n", p.MAC)
			fmt.Fprintf(&b, "        networks: %s\n", quoteList(p.Networks))
			if p.Peer != "" {
				fmt.Fprintf(&b, "        peer: %s\n", p.Peer)
			}
		}
	}
	return b.String()
}
