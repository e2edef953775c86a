package nbctl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/northd"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// TestOneRuleOfValidity walks every class of internal/nbvalid both ways,
// against a real ovsdb-server, with dvr-nbctl on one side and dvr-northd's
// translation of what the server then holds on the other:
//
//   - refused: dvr-nbctl refuses the command (one line naming the value,
//     nothing written); the same row written by another client (raw) is
//     skipped by the translation with a Problem naming the value, and the
//     rest of the seed is still translated;
//   - accepted: dvr-nbctl writes it, and the translation has no Problem
//     and binds the ports it should.
func TestOneRuleOfValidity(t *testing.T) {
	vm12 := func(addrs ...string) func(r raw) {
		return func(r raw) {
			r.setLSP("vm12", func(p *nbdb.LogicalSwitchPort) []any { p.Addresses = addrs; return []any{&p.Addresses} })
		}
	}
	nets2 := func(nets ...string) func(r raw) {
		return func(r raw) {
			r.setLRP("r1-sw2", func(p *nbdb.LogicalRouterPort) []any { p.Networks = nets; return []any{&p.Networks} })
		}
	}
	refused := []struct {
		name    string
		setup   []string // dvr-nbctl, accepted, before both sides
		args    []string // dvr-nbctl, refused
		want    string   // in dvr-nbctl's error
		raw     func(r raw)
		skipped string // row without a binding, with a Problem
		problem string // in its Problem
		bound   []string
		before  string // the one Problem the setup leaves, if any
	}{
		// VM port addresses (nbvalid.VMPort)
		{name: "malformed MAC", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:zz 10.0.1.12"}, want: "fa:16:3e:00:01:zz: invalid MAC",
			raw: vm12("fa:16:3e:00:01:zz 10.0.1.12"), skipped: "vm12", problem: "fa:16:3e:00:01:zz: invalid MAC"},
		{name: "IPv4 out of range", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.300"}, want: "10.0.1.300: invalid IP",
			raw: vm12("fa:16:3e:00:01:0c 10.0.1.300"), skipped: "vm12", problem: "10.0.1.300: invalid IP"},
		{name: "dynamic", args: []string{"lsp-set-addresses", "vm12", "dynamic"}, want: "dynamic addresses are not supported",
			raw: vm12("dynamic"), skipped: "vm12", problem: "dynamic addresses are not supported"},
		{name: "router address on a VM port", args: []string{"lsp-set-addresses", "vm12", "router"}, want: `router: address "router" on a port of type ""`,
			raw: vm12("router"), skipped: "vm12", problem: `router: address "router" on a port of type ""`},
		{name: "router-type port made a VM port", args: []string{"lsp-set-type", "sw1-r1", ""}, want: `router: address "router" on a port of type ""`,
			raw: func(r raw) {
				r.setLSP("sw1-r1", func(p *nbdb.LogicalSwitchPort) []any { p.Type = ""; return []any{&p.Type} })
			}, skipped: "sw1-r1", problem: `router: address "router" on a port of type ""`},
		{name: "MAC twice in one port", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12", "fa:16:3e:00:01:0c 10.0.1.13"},
			want: "fa:16:3e:00:01:0c: MAC address given twice",
			raw:  vm12("fa:16:3e:00:01:0c 10.0.1.12", "fa:16:3e:00:01:0c 10.0.1.13"), skipped: "vm12", problem: "fa:16:3e:00:01:0c: MAC address given twice"},
		{name: "IP twice in one port", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12", "fa:16:3e:00:01:0d 10.0.1.12"},
			want: "10.0.1.12: IP address given twice",
			raw:  vm12("fa:16:3e:00:01:0c 10.0.1.12", "fa:16:3e:00:01:0d 10.0.1.12"), skipped: "vm12", problem: "10.0.1.12: IP address given twice"},
		{name: "VM loopback IP", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 127.0.0.5"}, want: "127.0.0.5: loopback",
			raw: vm12("fa:16:3e:00:01:0c 127.0.0.5"), skipped: "vm12", problem: "127.0.0.5: loopback"},
		// addresses in use on the switch (taken / claimAddrs)
		{name: "IP used by a port", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.11"}, want: "10.0.1.11: IP address already used on switch sw1 by port vm11",
			raw: vm12("fa:16:3e:00:01:0c 10.0.1.11"), skipped: "vm12", problem: "IP 10.0.1.11 is also used by vm11"},
		{name: "IP is the gateway's", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.1"}, want: "10.0.1.1: IP address already used on switch sw1 by router port r1-sw1",
			raw: vm12("fa:16:3e:00:01:0c 10.0.1.1"), skipped: "vm12", problem: "IP 10.0.1.1 is also used by router port r1-sw1"},
		// a VM address against an attached router's subnet (nbvalid.VMOnSubnets / NetworksOverVMs)
		{name: "VM on the network address", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.0"},
			want: "10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1",
			raw:  vm12("fa:16:3e:00:01:0c 10.0.1.0"), skipped: "vm12", problem: "10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1", bound: []string{"r1-sw1"}},
		{name: "VM on the broadcast address", args: []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.255"},
			want: "10.0.1.255: the broadcast address of subnet 10.0.1.0/24 of router port r1-sw1",
			raw:  vm12("fa:16:3e:00:01:0c 10.0.1.255"), skipped: "vm12", problem: "10.0.1.255: the broadcast address of subnet 10.0.1.0/24", bound: []string{"r1-sw1"}},
		{name: "lr-attach over a VM on the broadcast address",
			setup: []string{"ls-add", "sw3", "--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.255"},
			args:  []string{"lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24"}, want: "10.0.3.1/24: its broadcast address 10.0.3.255 is used by port vm31 on switch sw3",
			raw: func(r raw) {
				r.addLRP("r1", &nbdb.LogicalRouterPort{Name: "r1-sw3", MAC: "fa:16:3e:00:ff:03", Networks: []string{"10.0.3.1/24"}})
				r.addLSP("sw3", &nbdb.LogicalSwitchPort{Name: "sw3-r1", Type: "router", Addresses: []string{"router"}, Options: map[string]string{"router-port": "r1-sw3"}})
			}, skipped: "vm31", problem: "10.0.3.255: the broadcast address of subnet 10.0.3.0/24 of router port r1-sw3", bound: []string{"r1-sw3"}},
		{name: "lrp-add under a router-type port over a VM on the network address",
			setup: []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.9.0", "--", "lrp-del", "r1-sw1"},
			args:  []string{"lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.9.1/24"}, want: "10.0.9.1/24: its network address 10.0.9.0 is used by port vm13 on switch sw1",
			raw: func(r raw) {
				r.addLRP("r1", &nbdb.LogicalRouterPort{Name: "r1-sw1", MAC: "fa:16:3e:00:ff:01", Networks: []string{"10.0.9.1/24"}})
			}, skipped: "vm13", problem: "10.0.9.0: the network address of subnet 10.0.9.0/24 of router port r1-sw1", bound: []string{"r1-sw1", "vm11", "vm12"},
			// lrp-del leaves the router-type port, as ovn-nbctl does: dangling until the lrp-add
			before: `router-port "r1-sw1" names no router port`},
		{name: "IPv6 VM on the subnet-router anycast address",
			setup: []string{"lr-add", "r6", "--", "ls-add", "sw6", "--", "lr-attach", "r6", "sw6", "r6-sw6", "fa:16:3e:00:ff:06", "fd00:6::1/64", "--", "lsp-add", "sw6", "vm61"},
			args:  []string{"lsp-set-addresses", "vm61", "fa:16:3e:00:06:0b fd00:6::"}, want: "fd00:6::: the subnet-router anycast address of subnet fd00:6::/64 of router port r6-sw6",
			raw: func(r raw) {
				r.setLSP("vm61", func(p *nbdb.LogicalSwitchPort) []any {
					p.Addresses = []string{"fa:16:3e:00:06:0b fd00:6::"}
					return []any{&p.Addresses}
				})
			}, skipped: "vm61", problem: "fd00:6::: the subnet-router anycast address of subnet fd00:6::/64 of router port r6-sw6", bound: []string{"r6-sw6"}},
		// router port mac, networks, peer (nbvalid.RouterPort)
		{name: "router multicast MAC", args: []string{"lrp-add", "r1", "r1-x", "03:00:00:00:00:01", "10.0.9.1/24"}, want: "03:00:00:00:00:01: MAC address is multicast",
			raw: func(r raw) {
				r.setLRP("r1-sw2", func(p *nbdb.LogicalRouterPort) []any { p.MAC = "03:00:00:00:00:01"; return []any{&p.MAC} })
			}, skipped: "r1-sw2", problem: "03:00:00:00:00:01: MAC address is multicast"},
		{name: "empty peer", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24", "peer="}, want: "peer=: empty peer",
			raw: func(r raw) {
				r.setLRP("r1-sw2", func(p *nbdb.LogicalRouterPort) []any { e := ""; p.Peer = &e; return []any{&p.Peer} })
			}, skipped: "r1-sw2", problem: "peer=: empty peer"},
		{name: "network without prefix", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1"}, want: "10.0.9.1: invalid network: a prefix length is required",
			raw: nets2("10.0.2.1"), skipped: "r1-sw2", problem: "10.0.2.1: invalid network: a prefix length is required"},
		{name: "network is the subnet address", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.0/24"}, want: "10.0.9.0 is the subnet's network address",
			raw: nets2("10.0.2.0/24"), skipped: "r1-sw2", problem: "10.0.2.0 is the subnet's network address"},
		{name: "two networks of one port overlap", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24", "10.0.9.129/25"}, want: "10.0.9.129/25: network overlaps 10.0.9.1/24",
			raw: nets2("10.0.2.1/24", "10.0.2.129/25"), skipped: "r1-sw2", problem: "10.0.2.129/25: network overlaps 10.0.2.1/24"},
		{name: "network on loopback", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "127.0.9.1/24"}, want: "127.0.9.1/24: invalid network: it overlaps 127.0.0.0/8 (loopback)",
			raw: nets2("127.0.2.1/24"), skipped: "r1-sw2", problem: "127.0.2.1/24: invalid network: it overlaps 127.0.0.0/8 (loopback)"},
		{name: "network over multicast", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "208.0.0.1/2"}, want: "208.0.0.1/2: invalid network: it overlaps 224.0.0.0/4 (multicast)",
			raw: nets2("208.0.0.1/2"), skipped: "r1-sw2", problem: "208.0.0.1/2: invalid network: it overlaps 224.0.0.0/4 (multicast)"},
		{name: "network on the limited broadcast", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "255.255.255.255/32"}, want: "255.255.255.255/32: invalid network: it overlaps 255.255.255.255/32",
			raw: nets2("255.255.255.255/32"), skipped: "r1-sw2", problem: "255.255.255.255/32: invalid network: it overlaps 255.255.255.255/32"},
		{name: "network on 0.0.0.0/8", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "0.0.9.1/8"}, want: "0.0.9.1/8: invalid network: it overlaps 0.0.0.0/8",
			raw: nets2("0.0.2.1/8"), skipped: "r1-sw2", problem: "0.0.2.1/8: invalid network: it overlaps 0.0.0.0/8"},
		{name: "IPv6 network on loopback", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "::1/128"}, want: "::1/128: invalid network: it overlaps ::1/128 (loopback)",
			raw: nets2("::1/128"), skipped: "r1-sw2", problem: "::1/128: invalid network: it overlaps ::1/128 (loopback)"},
		{name: "IPv6 network on ::", args: []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "::2/64"}, want: "::2/64: invalid network: it overlaps ::/128",
			raw: nets2("::2/64"), skipped: "r1-sw2", problem: "::2/64: invalid network: it overlaps ::/128"},
	}
	for _, c := range refused {
		t.Run("refused/"+c.name, func(t *testing.T) {
			n := startNB(t)
			n.seed()
			if c.setup != nil {
				n.must(c.setup...)
			}
			before := n.dump()
			_, err := n.run(c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("dvr-nbctl %q: error %v, want one line containing %q", c.args, err, c.want)
			}
			if n.dump() != before {
				t.Fatal("a refused command wrote to the database")
			}
			if out := translateNB(t, n); len(out.Problems) > 0 && (len(out.Problems) > 1 || c.before == "" || !strings.Contains(out.Problems[0].Reason, c.before)) {
				t.Fatalf("problems before the raw write: %v", out.Problems)
			}
			c.raw(raw{t, ovsdbtest.NBClient(t, n.db, ovsdbtest.MonitorAll())})
			out := translateNB(t, n)
			if _, ok := out.Ports[c.skipped]; ok {
				t.Fatalf("%s was bound", c.skipped)
			}
			var found bool
			for _, p := range out.Problems {
				found = found || p.Name == c.skipped && strings.Contains(p.Reason, c.problem)
			}
			if !found {
				t.Fatalf("no problem on %s containing %q: %v", c.skipped, c.problem, out.Problems)
			}
			for _, b := range append([]string{"vm11", "vm21"}, c.bound...) {
				if _, ok := out.Ports[b]; !ok {
					t.Fatalf("%s lost its binding too (problems %v)", b, out.Problems)
				}
			}
		})
	}

	accepted := []struct {
		name  string
		args  []string
		bound []string
	}{
		{"VM port", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13"}, []string{"vm13"}},
		{"VM port with several addresses and unknown", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13",
			"fa:16:3e:00:01:0d 10.0.1.13", "fa:16:3e:00:01:0e 10.0.1.14 fd00:1::e", "unknown"}, []string{"vm13"}},
		{"VM port without addresses", []string{"lsp-add", "sw1", "vm13"}, []string{"vm13"}},
		{"VM port off every attached subnet", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.9.0"}, []string{"vm13"}},
		{"VM port on .255 of a /23", []string{"lr-add", "r2", "--", "ls-add", "sw3", "--", "lr-attach", "r2", "sw3", "r2-sw3", "fa:16:3e:00:ff:23", "10.8.0.1/23",
			"--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.8.0.255"}, []string{"vm31", "r2-sw3"}},
		{"both addresses of a /31 and an IPv6 /127", []string{"ls-add", "sw3", "--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.0/31", "fd00:3::/127",
			"--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.1 fd00:3::1"}, []string{"vm31", "r1-sw3"}},
		{"router-type port in ovn-nbctl's order, addresses before type", []string{"lrp-add", "r1", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24", "--", "ls-add", "sw3",
			"--", "lsp-add", "sw3", "sw3-r1", "--", "lsp-set-addresses", "sw3-r1", "router", "--", "lsp-set-type", "sw3-r1", "router",
			"--", "lsp-set-options", "sw3-r1", "router-port=r1-sw3", "--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.11"},
			[]string{"r1-sw3", "vm31"}},
		{"router port with a peer, last", []string{"ls-add", "sw3", "--", "lrp-add", "r1", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24", "fd00:3::1/64", "peer=r9-r1",
			"--", "lsp-add", "sw3", "sw3-r1", "--", "lsp-set-type", "sw3-r1", "router", "--", "lsp-set-addresses", "sw3-r1", "router", "--", "lsp-set-options", "sw3-r1", "router-port=r1-sw3"},
			[]string{"r1-sw3"}},
		{"router networks next to the special ranges", []string{"ls-add", "sw3", "--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03",
			"1.0.0.1/8", "126.255.255.254/8", "128.0.0.1/8", "223.255.255.1/24", "fe80::1/64", "2001:db8::1/64"}, []string{"r1-sw3"}},
		{"lrp-del then lrp-add under the router-type port", []string{"lrp-del", "r1-sw1", "--", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24"}, []string{"r1-sw1", "vm11", "vm12"}},
	}
	for _, c := range accepted {
		t.Run("accepted/"+c.name, func(t *testing.T) {
			n := startNB(t)
			n.seed()
			if _, err := n.run(c.args...); err != nil {
				t.Fatalf("dvr-nbctl %q: %v", c.args, err)
			}
			out := translateNB(t, n)
			if len(out.Problems) != 0 {
				t.Fatalf("dvr-nbctl wrote rows dvr-northd skips: %v", out.Problems)
			}
			for _, b := range append([]string{"vm11", "vm12", "r1-sw1", "r1-sw2"}, c.bound...) {
				if _, ok := out.Ports[b]; !ok {
					t.Fatalf("%s is not bound", b)
				}
			}
		})
	}
}

// translateNB reads the whole NB with a fresh monitor, as dvr-northd does,
// and translates it (no SB state: no chassis, no previous keys).
func translateNB(t *testing.T, n *nb) translate.Output {
	t.Helper()
	c := ovsdbtest.NBClient(t, n.db, ovsdbtest.MonitorAll())
	ctx := context.Background()
	var st northd.NBState
	for _, l := range []any{&st.Switches, &st.SwitchPorts, &st.Routers, &st.RouterPorts} {
		if err := c.List(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	return translate.Translate(northd.Input(&st, &northd.SBState{}, ""))
}

// raw writes rows as another client would, with no validation.
type raw struct {
	t *testing.T
	c client.Client
}

func (r raw) transact(ops []ovsdb.Operation, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.c.Transact(ctx, ops...)
	if err == nil {
		_, err = ovsdb.CheckOperationResults(res, ops)
	}
	if err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

func (r raw) setLSP(name string, f func(*nbdb.LogicalSwitchPort) []any) {
	r.t.Helper()
	p := &nbdb.LogicalSwitchPort{Name: name}
	if err := r.c.Get(context.Background(), p); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	fields := f(p)
	r.transact(r.c.Where(p).Update(p, fields...))
}

func (r raw) setLRP(name string, f func(*nbdb.LogicalRouterPort) []any) {
	r.t.Helper()
	p := &nbdb.LogicalRouterPort{Name: name}
	if err := r.c.Get(context.Background(), p); err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	fields := f(p)
	r.transact(r.c.Where(p).Update(p, fields...))
}

// addLRP inserts p into the router named lr.
func (r raw) addLRP(lr string, p *nbdb.LogicalRouterPort) {
	r.t.Helper()
	var rs []nbdb.LogicalRouter
	if err := r.c.WhereCache(func(x *nbdb.LogicalRouter) bool { return x.Name == lr }).List(context.Background(), &rs); err != nil || len(rs) != 1 {
		r.t.Fatalf("router %s: %v %v", lr, rs, err)
	}
	p.UUID = "newlrp"
	ops, err := r.c.Create(p)
	if err != nil {
		r.t.Fatal(err)
	}
	router := &rs[0]
	mut, err := r.c.Where(router).Mutate(router, model.Mutation{Field: &router.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{p.UUID}})
	r.transact(append(ops, mut...), err)
}

// addLSP inserts p into the switch named ls.
func (r raw) addLSP(ls string, p *nbdb.LogicalSwitchPort) {
	r.t.Helper()
	var ss []nbdb.LogicalSwitch
	if err := r.c.WhereCache(func(x *nbdb.LogicalSwitch) bool { return x.Name == ls }).List(context.Background(), &ss); err != nil || len(ss) != 1 {
		r.t.Fatalf("switch %s: %v %v", ls, ss, err)
	}
	p.UUID = "newlsp"
	ops, err := r.c.Create(p)
	if err != nil {
		r.t.Fatal(err)
	}
	sw := &ss[0]
	mut, err := r.c.Where(sw).Mutate(sw, model.Mutation{Field: &sw.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{p.UUID}})
	r.transact(append(ops, mut...), err)
}
