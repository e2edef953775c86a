package trace

import (
	"fmt"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// Options say how to read a trace: which bridges are dvr-chassis' (their
// tables get Neutron's names), the ports of the switch (dpif/show) and
// the SB names (nil: none).
type Options struct {
	IntBridge, TunBridge string // default br-int, br-tun
	Ports                Ports
	Resolver             Resolver
}

// Report is a trace explained.
type Report struct {
	Packet   string  // the trace's "Flow:"
	Blocks   []Block // consecutive hits on one bridge
	Final    string
	Megaflow string
	Datapath string
	Exits    []Exit // where copies of the packet left
	Drops    []Hit  // flows (or misses) that dropped it or a copy of it
	Notes    []string
}

// Block is a run of hits on one bridge; a patch port crossing starts a
// new block.
type Block struct {
	Bridge string
	Hits   []Hit
}

// Hit is one step of the trace, annotated.
type Hit struct {
	Step
	Index   int    // its index in Trace.Steps (Step.Parent refers to it)
	Table   string // "DVR_PROCESS(1)"; "table 7" outside the pipeline
	Owner   string // "" (ours), "learned", "not ours"
	Object  string // the cookie in words: "router-port(datapath=2,port=1)"
	Row     string // the SB row it stands for ("" if unknown)
	Purpose string
}

// Exit is one place the packet (or a copy) left the switch.
type Exit struct {
	Kind ExitKind
	Port string // the OVS port
	Text string // in words, for an operator
}

// ExitKind says where an Exit goes.
type ExitKind uint8

// The exits.
const (
	ExitPort   ExitKind = iota // a port we cannot say more about
	ExitVM                     // a VM port (its logical port named)
	ExitRouter                 // a qr-/qo- port: a router interface
	ExitTunnel                 // a VXLAN tunnel toward another chassis
)

// Explain annotates a parsed trace.
func Explain(t *Trace, o Options) Report {
	if o.IntBridge == "" {
		o.IntBridge = "br-int"
	}
	if o.TunBridge == "" {
		o.TunBridge = "br-tun"
	}
	r := Report{Packet: t.Flow, Final: t.Final, Megaflow: t.Megaflow, Datapath: t.Datapath, Notes: t.Notes}
	var hits []Hit
	for i, s := range t.Steps {
		h := o.hit(s)
		h.Index = i
		hits = append(hits, h)
		if n := len(r.Blocks); n == 0 || r.Blocks[n-1].Bridge != s.Bridge {
			r.Blocks = append(r.Blocks, Block{Bridge: s.Bridge})
		}
		b := &r.Blocks[len(r.Blocks)-1]
		b.Hits = append(b.Hits, h)
		if s.Miss || dropping(s) {
			r.Drops = append(r.Drops, h)
		}
	}
	x := exits{o: o, hits: hits}
	x.walk(ParseDatapath(t.Datapath), "")
	r.Exits = x.out
	return r
}

// dropping: the flow's actions are an explicit drop, or NORMAL said it
// dropped the packet.
func dropping(s Step) bool {
	if len(s.Actions) == 1 && s.Actions[0].Text == "drop" {
		return true
	}
	for _, a := range s.Actions {
		for _, n := range a.Notes {
			if strings.Contains(n, "dropping") {
				return true
			}
		}
	}
	return false
}

func (o Options) bridge(name string) (flows.Bridge, bool) {
	switch name {
	case o.IntBridge:
		return flows.BrInt, true
	case o.TunBridge:
		return flows.BrTun, true
	}
	return 0, false
}

func (o Options) hit(s Step) Hit {
	h := Hit{Step: s, Table: fmt.Sprintf("table %d", s.Table)}
	br, pipeline := o.bridge(s.Bridge)
	t, known := flows.TableOf(br, s.Table)
	if pipeline && known {
		h.Table = fmt.Sprintf("%s(%d)", t.Name(), s.Table)
	}
	if s.Miss {
		h.Purpose = "no flow matched: the table misses, drop"
		return h
	}
	c := s.Cookie
	switch {
	case !c.Ours() && c == 0:
		h.Owner = "not ours"
		h.Object = "no cookie"
		return h
	case !c.Ours():
		h.Owner = "not ours"
		h.Object = "cookie " + c.String()
		return h
	case c.Learned():
		h.Owner = "learned"
	}
	h.Object = c.Describe()
	h.Row = o.row(c)
	if pipeline && known {
		h.Purpose = flows.Purpose(t, s.Prio, c.Category())
	}
	return h
}

// row names the SB row behind one of our cookies.
func (o Options) row(c flows.Cookie) string {
	obj := c.Object()
	switch c.Category() {
	case flows.CatBase:
		return "the fixed pipeline"
	case flows.CatLearned:
		return "learned by LEARN_FROM_TUN from a tunnelled frame (OVS's, not the SB's)"
	}
	if o.Resolver == nil {
		return ""
	}
	switch c.Category() {
	case flows.CatOwnMAC, flows.CatRemoteMAC:
		if m, ok := o.Resolver.DVRMAC(obj); ok {
			return fmt.Sprintf("DVR_MAC_Binding %s of chassis %s", m.MAC, m.Chassis)
		}
	case flows.CatTunnel:
		ip := flows.IPv4(obj)
		if ch, ok := o.Resolver.ChassisByIP(ip); ok {
			return fmt.Sprintf("Encap %s of chassis %s", ip, ch)
		}
	case flows.CatNetwork:
		if d, ok := o.Resolver.Datapath(uint32(obj)); ok {
			return "Datapath_Binding " + d.words()
		}
	case flows.CatRouterPort, flows.CatLocalPort, flows.CatRemotePort:
		if b, ok := o.Resolver.Port(flows.PortKeys(obj)); ok {
			return "Port_Binding " + b.words()
		}
	}
	return "no such SB row"
}

// words: "16 (switch sw1)".
func (d Datapath) words() string {
	kind := "switch"
	if d.Router {
		kind = "router"
	}
	return fmt.Sprintf("%d (%s %s)", d.Key, kind, d.Name)
}

// words: "r1-sw1 (interface of router r1 on sw1)", "vm12 (VM on sw1, chassis hv2)".
func (b Binding) words() string {
	if b.Router != "" || b.Type != "" {
		return fmt.Sprintf("%s (interface of router %s on %s)", b.LogicalPort, b.Router, b.Datapath.Name)
	}
	where := "unbound"
	if b.Chassis != "" {
		where = "chassis " + b.Chassis
	}
	return fmt.Sprintf("%s (VM on %s, %s)", b.LogicalPort, b.Datapath.Name, where)
}
