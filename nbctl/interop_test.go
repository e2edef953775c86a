package nbctl_test

// Interop between dvr-nbctl and the real ovn-nbctl (OVN 23.03), both run as
// processes against real ovsdb-servers: ovn-nbctl writes our NB and
// dvr-nbctl reads it back exactly (this file); dvr-nbctl writes a real OVN
// NB and ovn-nbctl shows it (interop_seed_test.go); deletes by either tool
// leave no orphan port rows (interop_delete_test.go).

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

const nbName = "OVN_Northbound"

// nbdb is one running NB database and the two tools pointed at it.
type nbdb struct {
	t   *testing.T
	srv *ovsdbtest.Server
}

func startOurs(t *testing.T) *nbdb { return &nbdb{t, ovsdbtest.StartNB(t)} }

// startOVN serves the real OVN NB schema (package ovn-central).
func startOVN(t *testing.T) *nbdb {
	t.Helper()
	if _, err := os.Stat(ovsdbtest.OVNNBSchema); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (CI=true: integration tests never skip)", ovsdbtest.OVNNBSchema)
		}
		t.Skipf("%s missing", ovsdbtest.OVNNBSchema)
	}
	return &nbdb{t, ovsdbtest.Start(t, ovsdbtest.OVNNBSchema)}
}

func (d *nbdb) ep() string { return d.srv.Endpoint() }

// dvr runs dvr-nbctl and fails the test unless it succeeds.
func (d *nbdb) dvr(args ...string) string {
	d.t.Helper()
	return ovsdbtest.MustNbctl(d.t, append([]string{"--db=" + d.ep()}, args...)...)
}

// dvrFail runs dvr-nbctl, expects exit status 1 with one "dvr-nbctl: "
// line containing want, and returns that line.
func (d *nbdb) dvrFail(want string, args ...string) string {
	d.t.Helper()
	r := ovsdbtest.RunNbctl(d.t, append([]string{"--db=" + d.ep()}, args...)...)
	line := strings.TrimSuffix(r.Stderr, "\n")
	if r.Code != 1 || !strings.HasPrefix(line, "dvr-nbctl: ") || strings.Contains(line, "\n") || !strings.Contains(line, want) {
		d.t.Fatalf("want failure naming %q: %v", want, r)
	}
	return line
}

// dvrJSON runs dvr-nbctl -f json and decodes its output into v.
func (d *nbdb) dvrJSON(v any, args ...string) {
	d.t.Helper()
	out := d.dvr(append([]string{"-f", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		d.t.Fatalf("dvr-nbctl -f json %q: %v: %q", args, err, out)
	}
}

// ovn runs the real ovn-nbctl and fails the test unless it succeeds. Its
// warnings about tables our subset schema lacks are ignored.
func (d *nbdb) ovn(args ...string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ovsdbtest.NbctlHangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ovn-nbctl", append([]string{"--db=" + d.ep()}, args...)...)
	cmd.Env = append(os.Environ(), "OVN_NB_DAEMON=", "OVN_NBCTL_OPTIONS=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("ovn-nbctl %q: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// rows selects columns of every row of table.
func (d *nbdb) rows(table string, cols ...string) []map[string]any {
	d.t.Helper()
	return ovsdbtest.SelectRows(d.t, "unix:"+d.srv.Members[0].Socket, nbName, table, cols...)
}

// uuids maps the name of every row of the four topology tables to its UUID.
func (d *nbdb) uuids() map[string]string {
	d.t.Helper()
	m := map[string]string{}
	for _, table := range []string{"Logical_Switch", "Logical_Switch_Port", "Logical_Router", "Logical_Router_Port"} {
		for _, r := range d.rows(table, "_uuid", "name") {
			m[table+":"+r["name"].(string)] = ovsdbtest.Atoms(r["_uuid"])[0]
		}
	}
	return m
}

// names returns the sorted names of table's rows.
func (d *nbdb) names(table string) []string {
	d.t.Helper()
	var out []string
	for _, r := range d.rows(table, "name") {
		out = append(out, r["name"].(string))
	}
	slices.Sort(out)
	return out
}

// The show -f json shape, decoded independently of the package's types.
type jsPort struct {
	UUID       string            `json:"uuid"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Addresses  []string          `json:"addresses"`
	Options    map[string]string `json:"options"`
	ParentName string            `json:"parent_name"`
	Tag        *int              `json:"tag"`
	Up         *bool             `json:"up"`
	MAC        string            `json:"mac"`
	Networks   []string          `json:"networks"`
	Peer       string            `json:"peer"`
}

type jsNode struct {
	UUID  string   `json:"uuid"`
	Name  string   `json:"name"`
	Ports []jsPort `json:"ports"`
}

type jsShow struct {
	Switches []jsNode `json:"switches"`
	Routers  []jsNode `json:"routers"`
}

type jsEntry struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

// canon sorts everything whose order carries no meaning (OVSDB sets, rows).
func (s *jsShow) canon() {
	for _, nodes := range [][]jsNode{s.Switches, s.Routers} {
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
		for k := range nodes {
			ps := nodes[k].Ports
			sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
			for i := range ps {
				slices.Sort(ps[i].Addresses)
				slices.Sort(ps[i].Networks)
			}
		}
	}
}

func diffJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// normShow puts a `show` text in a canonical order: top-level blocks sorted,
// and within each block its "port" sub-blocks sorted. ovn-nbctl prints rows
// in hash order.
func normShow(s string) string {
	type block struct {
		head  string
		ports []string
	}
	var bs []*block
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		switch {
		case line == "":
		case !strings.HasPrefix(line, " "):
			bs = append(bs, &block{head: line})
		case len(bs) == 0:
			return "unparsable show output:\n" + s
		case strings.HasPrefix(line, "    port "):
			b := bs[len(bs)-1]
			b.ports = append(b.ports, line)
		default:
			b := bs[len(bs)-1]
			if len(b.ports) == 0 {
				b.head += "\n" + line
			} else {
				b.ports[len(b.ports)-1] += "\n" + line
			}
		}
	}
	var out []string
	for _, b := range bs {
		slices.Sort(b.ports)
		out = append(out, strings.Join(append([]string{b.head}, b.ports...), "\n"))
	}
	slices.Sort(out)
	return strings.Join(out, "\n") + "\n"
}

// sortedLines sorts a command's output lines (ovn-nbctl prints maps in hash
// order).
func sortedLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// interopLSP and interopLRP describe what ovn-nbctl creates in test (a).
type interopLSP struct {
	sw, name, typ string
	addrs         []string
	opts          map[string]string
	parent, tag   string
}

type interopLRP struct {
	lr, name, mac string
	nets          []string
}

var (
	interopSwitches = []string{"sw1", "sw2", "sw3"}
	interopRouters  = []string{"r1", "r2"}
	interopLRPs     = []interopLRP{
		{"r1", "r1-sw1", "00:00:00:00:ff:01", []string{"10.0.1.1/24", "2001:db8:1::1/64"}},
		{"r1", "r1-sw2", "00:00:00:00:ff:02", []string{"10.0.2.1/24"}},
	}
	interopLSPs = []interopLSP{
		{sw: "sw1", name: "vm11", addrs: []string{"00:00:00:00:01:0b 10.0.1.11"}},
		{sw: "sw1", name: "vm12", addrs: []string{"00:00:00:00:01:0c 10.0.1.12 2001:db8:1::c", "unknown"}},
		{sw: "sw1", name: "c13", addrs: []string{"00:00:00:00:01:0d 10.0.1.13"}, parent: "vm11", tag: "7"},
		{sw: "sw1", name: "sw1-r1", typ: "router", addrs: []string{"router"}, opts: map[string]string{"router-port": "r1-sw1"}},
		{sw: "sw2", name: "vm21", addrs: []string{"00:00:00:00:02:0b 10.0.2.11"}, opts: map[string]string{"requested-chassis": "hv1", "x": "y"}},
		{sw: "sw2", name: "vm22"},
		{sw: "sw2", name: "sw2-r1", typ: "router", addrs: []string{"router"}, opts: map[string]string{"router-port": "r1-sw2"}},
	}
)

// ovnBuildInterop writes the topology of interopLSPs/LRPs with ovn-nbctl in
// one transaction.
func ovnBuildInterop(d *nbdb) {
	d.t.Helper()
	var args []string
	add := func(a ...string) {
		if len(args) > 0 {
			args = append(args, "--")
		}
		args = append(args, a...)
	}
	for _, s := range interopSwitches {
		add("ls-add", s)
	}
	for _, r := range interopRouters {
		add("lr-add", r)
	}
	for _, p := range interopLRPs {
		add(append([]string{"lrp-add", p.lr, p.name, p.mac}, p.nets...)...)
	}
	for _, p := range interopLSPs {
		if p.parent != "" {
			add("lsp-add", p.sw, p.name, p.parent, p.tag)
		} else {
			add("lsp-add", p.sw, p.name)
		}
		if p.typ != "" {
			add("lsp-set-type", p.name, p.typ)
		}
		if p.addrs != nil {
			add(append([]string{"lsp-set-addresses", p.name}, p.addrs...)...)
		}
		if p.opts != nil {
			kv := []string{"lsp-set-options", p.name}
			for _, k := range slices.Sorted(maps.Keys(p.opts)) {
				kv = append(kv, k+"="+p.opts[k])
			}
			add(kv...)
		}
	}
	d.ovn("init")
	d.ovn(args...)
}

// interopWant is test (a)'s expected show -f json, with the server's UUIDs.
func interopWant(u map[string]string) jsShow {
	want := jsShow{Switches: []jsNode{}, Routers: []jsNode{}}
	for _, s := range interopSwitches {
		n := jsNode{UUID: u["Logical_Switch:"+s], Name: s, Ports: []jsPort{}}
		for _, p := range interopLSPs {
			if p.sw == s {
				n.Ports = append(n.Ports, jsPort{UUID: u["Logical_Switch_Port:"+p.name], Name: p.name, Type: p.typ,
					Addresses: slices.Clone(p.addrs), Options: p.opts, ParentName: p.parent})
			}
		}
		want.Switches = append(want.Switches, n)
	}
	for _, r := range interopRouters {
		n := jsNode{UUID: u["Logical_Router:"+r], Name: r, Ports: []jsPort{}}
		for _, p := range interopLRPs {
			if p.lr == r {
				n.Ports = append(n.Ports, jsPort{UUID: u["Logical_Router_Port:"+p.name], Name: p.name, MAC: p.mac,
					Networks: slices.Clone(p.nets)})
			}
		}
		want.Routers = append(want.Routers, n)
	}
	want.canon()
	return want
}

// (a) ovn-nbctl builds a topology in our NB schema; dvr-nbctl reads it back.
func TestInteropOVNWritesDVRReads(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl", "ovsdb-client")
	d := startOurs(t)
	ovnBuildInterop(d)
	u := d.uuids()

	var got jsShow
	d.dvrJSON(&got, "show")
	got.canon()
	diffJSON(t, "dvr-nbctl -f json show", got, interopWant(u))

	// show (table): same content as ovn-nbctl show.
	if g, w := normShow(d.dvr("show")), normShow(d.ovn("show")); g != w {
		t.Errorf("dvr-nbctl show:\n%s\novn-nbctl show:\n%s", g, w)
	}
	for _, name := range []string{"sw1", "r1"} {
		if g, w := normShow(d.dvr("show", name)), normShow(d.ovn("show", name)); g != w {
			t.Errorf("dvr-nbctl show %s:\n%s\novn-nbctl show %s:\n%s", name, g, name, w)
		}
	}

	// The lists print "<uuid> (<name>)" sorted by name, as ovn-nbctl does.
	for _, args := range [][]string{{"ls-list"}, {"lr-list"}, {"lsp-list", "sw1"}, {"lsp-list", "sw2"},
		{"lsp-list", "sw3"}, {"lrp-list", "r1"}, {"lrp-list", "r2"}} {
		if g, w := d.dvr(args...), d.ovn(args...); g != w {
			t.Errorf("%q: dvr-nbctl %q, ovn-nbctl %q", args, g, w)
		}
	}
	var lsList []jsEntry
	d.dvrJSON(&lsList, "ls-list")
	diffJSON(t, "ls-list -f json", lsList, []jsEntry{
		{u["Logical_Switch:sw1"], "sw1"}, {u["Logical_Switch:sw2"], "sw2"}, {u["Logical_Switch:sw3"], "sw3"}})
	var lspList []jsEntry
	d.dvrJSON(&lspList, "lsp-list", "sw1")
	diffJSON(t, "lsp-list sw1 -f json", lspList, []jsEntry{{u["Logical_Switch_Port:c13"], "c13"},
		{u["Logical_Switch_Port:sw1-r1"], "sw1-r1"}, {u["Logical_Switch_Port:vm11"], "vm11"}, {u["Logical_Switch_Port:vm12"], "vm12"}})
	var lrpList []jsEntry
	d.dvrJSON(&lrpList, "lrp-list", "r1")
	diffJSON(t, "lrp-list r1 -f json", lrpList, []jsEntry{{u["Logical_Router_Port:r1-sw1"], "r1-sw1"}, {u["Logical_Router_Port:r1-sw2"], "r1-sw2"}})

	for _, p := range interopLSPs {
		// Text: the same as ovn-nbctl's (options in any order). For
		// addresses "router", ovn-nbctl 23.03 prints the peer LRP's MAC and
		// networks instead of the stored value; dvr-nbctl prints what is
		// stored.
		for _, cmd := range []string{"lsp-get-addresses", "lsp-get-type", "lsp-get-options", "lsp-get-up"} {
			if cmd == "lsp-get-addresses" && p.typ == "router" {
				if g := d.dvr(cmd, p.name); g != "router\n" {
					t.Errorf("%s %s: %q", cmd, p.name, g)
				}
				continue
			}
			if g, w := sortedLines(d.dvr(cmd, p.name)), sortedLines(d.ovn(cmd, p.name)); g != w {
				t.Errorf("%s %s: dvr-nbctl %q, ovn-nbctl %q", cmd, p.name, g, w)
			}
		}
		// JSON: exactly what ovn-nbctl was told to write.
		var addrs []string
		d.dvrJSON(&addrs, "lsp-get-addresses", p.name)
		wantAddrs := slices.Sorted(slices.Values(append([]string{}, p.addrs...)))
		if wantAddrs == nil {
			wantAddrs = []string{}
		}
		diffJSON(t, "lsp-get-addresses "+p.name, addrs, wantAddrs)
		var typ string
		d.dvrJSON(&typ, "lsp-get-type", p.name)
		if typ != p.typ {
			t.Errorf("lsp-get-type %s: %q, want %q", p.name, typ, p.typ)
		}
		var opts map[string]string
		d.dvrJSON(&opts, "lsp-get-options", p.name)
		wantOpts := p.opts
		if wantOpts == nil {
			wantOpts = map[string]string{}
		}
		diffJSON(t, "lsp-get-options "+p.name, opts, wantOpts)
		// By UUID as well as by name.
		if g := d.dvr("lsp-get-type", u["Logical_Switch_Port:"+p.name]); g != p.typ+"\n" {
			t.Errorf("lsp-get-type by uuid %s: %q", p.name, g)
		}
	}

	// lsp-get-up follows the up column that northd writes.
	ovsdbtest.Transact(t, "unix:"+d.srv.Members[0].Socket, nbName, map[string]any{"op": "update",
		"table": "Logical_Switch_Port", "where": []any{[]any{"name", "==", "vm11"}}, "row": map[string]any{"up": true}})
	if g, w := d.dvr("lsp-get-up", "vm11"), d.ovn("lsp-get-up", "vm11"); g != "up\n" || w != "up\n" {
		t.Errorf("lsp-get-up vm11 after up=true: dvr-nbctl %q, ovn-nbctl %q", g, w)
	}
}

// Names that ovn-nbctl let a user duplicate are refused by dvr-nbctl with
// OVN's wording, and UUIDs still resolve them.
func TestInteropOVNDuplicateNames(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl", "ovsdb-client")
	d := startOurs(t)
	d.ovn("init")
	d.ovn("ls-add", "dup", "--", "--add-duplicate", "ls-add", "dup")
	d.dvrFail("Multiple logical switches named 'dup'", "lsp-add", "dup", "p1")
	var ids []string
	for _, r := range d.rows("Logical_Switch", "_uuid") {
		ids = append(ids, ovsdbtest.Atoms(r["_uuid"])[0])
	}
	d.dvr("lsp-add", ids[0], "p1", "--", "lsp-set-addresses", "p1", "00:00:00:00:00:01 10.0.0.1")
	if g := d.ovn("lsp-list", ids[0]); !strings.HasSuffix(g, " (p1)\n") {
		t.Fatalf("ovn-nbctl lsp-list %s: %q", ids[0], g)
	}
	// Another client's rows that dvr-nbctl would refuse to write (an invalid
	// IP, "dynamic") are read back verbatim and do not block other writes.
	d.ovn("lsp-add", ids[0], "bad", "--", "lsp-set-addresses", "bad", "00:00:00:00:00:02 10.0.0.300", "dynamic")
	if g := d.dvr("lsp-get-addresses", "bad"); g != "00:00:00:00:00:02 10.0.0.300\ndynamic\n" {
		t.Fatalf("lsp-get-addresses bad: %q", g)
	}
	d.dvr("lsp-set-addresses", "p1", "00:00:00:00:00:03 10.0.0.3")
	d.dvrFail("10.0.0.3", "lsp-add", ids[0], "p2", "--", "lsp-set-addresses", "p2", "00:00:00:00:00:04 10.0.0.3")
	if g := d.names("Logical_Switch_Port"); !slices.Equal(g, []string{"bad", "p1"}) {
		t.Fatalf("ports: %q", g)
	}
}
