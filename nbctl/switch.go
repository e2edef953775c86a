package nbctl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

func switchCommands() []*command {
	return []*command{
		{name: "ls-add", args: "SWITCH", min: 1, max: 1, options: []string{"--may-exist"},
			help: "create a logical switch named SWITCH", run: lsAdd},
		{name: "ls-del", args: "SWITCH", min: 1, max: 1, options: []string{"--if-exists"},
			help: "delete SWITCH and all its ports", run: lsDel},
		{name: "ls-list", max: 0, help: "print the names of all logical switches", run: lsList},
	}
}

func lsAdd(c *cmdCtx) error {
	return addRoot(c, nbdb.LogicalSwitchTable, &nbdb.LogicalSwitch{Name: c.args[0]})
}

func lsDel(c *cmdCtx) error {
	r, err := findForDelete(c, nbdb.LogicalSwitchTable)
	if r != nil {
		c.t.remove(r)
	}
	return err
}

// addRoot stages a new switch or router named by the command's argument
// (m carries the name), unless one exists: then it is an error, or
// nothing under --may-exist. The names have no index, so the read that
// found them free is re-asserted at commit.
func addRoot(c *cmdCtx, table string, m model.Model) error {
	name, kind := c.args[0], kindOf[table]
	if err := checkName(kind, name); err != nil {
		return err
	}
	existing, err := c.t.byName(table, name)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		if c.has("--may-exist") {
			return nil
		}
		return fmt.Errorf("%s: a %s with this name already exists", name, kind)
	}
	c.t.create(table, m)
	return nil
}

// findForDelete resolves the row a delete command names: a missing one is
// an error, or (nil, nil) under --if-exists.
func findForDelete(c *cmdCtx, table string) (*row, error) {
	r, err := c.t.find(table, c.args[0])
	if err != nil || r != nil {
		return r, err
	}
	if c.has("--if-exists") {
		return nil, nil
	}
	return nil, notFound(table, c.args[0])
}

// listEntry is one line of a *-list command.
type listEntry struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

func emitList(c *cmdCtx, rows []listEntry) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		return rows[i].UUID < rows[j].UUID
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s (%s)\n", r.UUID, r.Name)
	}
	if rows == nil {
		rows = []listEntry{}
	}
	c.emit(b.String(), rows)
}

// listTable reads the name of every row of a root table.
func listTable(c *cmdCtx, table string) error {
	rs, err := c.t.read(query{table: table, where: []ovsdb.Condition{}, columns: []string{"name"}})
	if err != nil {
		return err
	}
	var out []listEntry
	for _, r := range rs[0] {
		out = append(out, listEntry{UUID: r.uuid, Name: nameOf(r)})
	}
	for _, r := range c.t.created {
		if r.table == table && !r.deleted {
			out = append(out, listEntry{UUID: r.uuid, Name: nameOf(r)})
		}
	}
	emitList(c, out)
	return nil
}

func lsList(c *cmdCtx) error { return listTable(c, nbdb.LogicalSwitchTable) }

func notFound(table, arg string) error {
	how := "name"
	if isUUID(arg) {
		how = "uuid"
	}
	return fmt.Errorf("%s: %s %s not found", arg, kindOf[table], how)
}
