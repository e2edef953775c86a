package fixtures

// NbctlBatches renders the topology as dvr-nbctl invocations, one atomic
// transaction per router: each element is the argument list of one
// invocation (without the program and its global options), commands joined
// with "--":
//
//	lr-add r1 -- ls-add ls1-1 -- lr-attach r1 ls1-1 lrp1-1 MAC NETWORK --
//	lsp-add ls1-1 vm1-1-1 -- lsp-set-addresses vm1-1-1 "MAC IP" -- ...
//
// lr-attach creates the LRP on the router and the router-type LSP
// <SWITCH>-<ROUTER> on the switch. A router's batch grows with its ports
// (about 90 bytes of arguments per port): keep it under the system's
// ARG_MAX (2 MiB on Linux by default, so about 20,000 ports per router).
// The NB must already hold its NB_Global row (`dvr-nbctl init`).
func NbctlBatches(t Topology) [][]string {
	return batches(t, func(b *batch, r Router, s Subnet) {
		b.cmd("lr-attach", r.Name, s.Switch, s.LRP, s.MAC, s.Network.String())
	})
}

// OVNNbctlBatches renders the same transactions for ovn-nbctl, which has no
// lr-attach: each attachment becomes lrp-add, lsp-add, lsp-set-type router,
// lsp-set-addresses router and lsp-set-options router-port=<LRP>. The rows
// written are the same as NbctlBatches'.
func OVNNbctlBatches(t Topology) [][]string {
	return batches(t, func(b *batch, r Router, s Subnet) {
		b.cmd("lrp-add", r.Name, s.LRP, s.MAC, s.Network.String())
		b.cmd("lsp-add", s.Switch, s.RouterLSP)
		b.cmd("lsp-set-type", s.RouterLSP, "router")
		b.cmd("lsp-set-addresses", s.RouterLSP, "router")
		b.cmd("lsp-set-options", s.RouterLSP, "router-port="+s.LRP)
	})
}

type batch struct{ args []string }

func (b *batch) cmd(args ...string) {
	if len(b.args) > 0 {
		b.args = append(b.args, "--")
	}
	b.args = append(b.args, args...)
}

func batches(t Topology, attach func(*batch, Router, Subnet)) [][]string {
	out := make([][]string, 0, len(t.Routers))
	for _, r := range t.Routers {
		b := &batch{}
		b.cmd("lr-add", r.Name)
		for _, s := range r.Subnets {
			b.cmd("ls-add", s.Switch)
			attach(b, r, s)
			for _, p := range s.Ports {
				b.cmd("lsp-add", s.Switch, p.Name)
				b.cmd("lsp-set-addresses", p.Name, p.Addresses())
			}
		}
		out = append(out, b.args)
	}
	return out
}
