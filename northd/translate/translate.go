package translate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// attachment is a router port attached to a switch by a router-type LSP.
type attachment struct {
	lsp      *SwitchPort
	lrp      *RouterPort
	router   *Router
	switchID string
	mac      string
	networks []netip.Prefix
}

// vmPort is a valid VM port with its parsed addresses.
type vmPort struct {
	lsp      *SwitchPort
	switchID string
	macs     []string
	ips      []netip.Addr
}

// state is the working set of one translation.
type state struct {
	in       Input
	p        problems
	out      Output
	attached map[string][]*attachment // switch UUID → attachments
	byRouter map[string][]*attachment // router UUID → attachments
	vms      map[string]*vmPort       // LSP name → valid VM port
}

// Translate computes the desired SB from in. It is pure and deterministic.
func Translate(in Input) Output {
	s := &state{in: in,
		out:      Output{Datapaths: map[string]Datapath{}, Ports: map[string]Port{}, Hosting: map[Hosting]bool{}, LSPUp: map[string]bool{}},
		attached: map[string][]*attachment{}, byRouter: map[string][]*attachment{}, vms: map[string]*vmPort{},
	}
	s.datapaths()
	routerOf, lrpByName := s.routerPorts()
	for _, ls := range sortedSwitches(in.Switches) {
		if _, ok := s.out.Datapaths[ls.UUID]; ok {
			s.switchPorts(ls, routerOf, lrpByName)
		}
	}
	s.portBindings()
	s.out.DVRMACs = allocateDVRMACs(in.BaseMAC, in.Chassis, in.DVRMACs, s.portMACs(), &s.p)
	s.hosting()
	s.lspUp()
	s.out.Problems = s.p.sorted()
	return s.out
}

func sortedSwitches(m map[string]*Switch) []*Switch {
	out := make([]*Switch, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].UUID < out[j].UUID
	})
	return out
}

// distributed reports whether a router is distributed (the default).
func distributed(r *Router) bool { return r.Options["distributed"] != "false" }

// datapaths allocates a datapath per switch and per distributed router,
// new keys in (name, UUID) order.
func (s *state) datapaths() {
	type req struct {
		uuid, name string
		router     bool
	}
	var reqs []req
	for _, ls := range s.in.Switches {
		reqs = append(reqs, req{ls.UUID, ls.Name, false})
	}
	for _, lr := range s.in.Routers {
		if distributed(lr) {
			reqs = append(reqs, req{lr.UUID, lr.Name, true})
		}
	}
	sort.Slice(reqs, func(i, j int) bool {
		if reqs[i].name != reqs[j].name {
			return reqs[i].name < reqs[j].name
		}
		return reqs[i].uuid < reqs[j].uuid
	})
	owners := make([]string, len(reqs))
	for i, r := range reqs {
		owners[i] = r.uuid
	}
	keys, exhausted := allocate(owners, s.in.DatapathKeys, heldKeys(s.in.DatapathKeys), MaxDatapathKey)
	for _, u := range exhausted {
		table, name := "Logical_Switch", ""
		if lr := s.in.Routers[u]; lr != nil {
			table, name = "Logical_Router", lr.Name
		} else if ls := s.in.Switches[u]; ls != nil {
			name = ls.Name
		}
		s.p.add(table, name, fmt.Sprintf("datapath tunnel keys exhausted (1..%d): no datapath", MaxDatapathKey))
	}
	for _, r := range reqs {
		if k, ok := keys[r.uuid]; ok {
			s.out.Datapaths[r.uuid] = Datapath{NBUUID: r.uuid, Name: r.name, Router: r.router, Key: k}
		}
	}
}

// routerPorts maps router ports to their routers and by name.
func (s *state) routerPorts() (map[string]*Router, map[string]*RouterPort) {
	routerOf := map[string]*Router{}
	for _, lr := range s.in.Routers {
		for _, u := range lr.Ports {
			routerOf[u] = lr
		}
	}
	byName := map[string]*RouterPort{}
	for _, p := range s.in.RouterPorts {
		if routerOf[p.UUID] != nil {
			byName[p.Name] = p
		}
	}
	return routerOf, byName
}

// switchPorts validates the ports of one switch: router attachments
// first (the gateway owns its MAC and IPs), then VM ports, keeping on a
// MAC or IP conflict the port SB already has, else the lower name.
func (s *state) switchPorts(ls *Switch, routerOf map[string]*Router, lrpByName map[string]*RouterPort) {
	var ports []*SwitchPort
	for _, u := range ls.Ports {
		if p := s.in.SwitchPorts[u]; p != nil {
			ports = append(ports, p)
		}
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	macs := map[string]string{}
	ips := map[netip.Addr]string{}
	var vms []*SwitchPort
	for _, p := range ports {
		switch p.Type {
		case "router":
			s.attach(ls, p, routerOf, lrpByName, macs, ips)
		case "":
			vms = append(vms, p)
		default:
			s.p.add("Logical_Switch_Port", p.Name, fmt.Sprintf("type %q is not handled by DVR: no binding", p.Type))
		}
	}
	sort.SliceStable(vms, func(i, j int) bool {
		return s.hadBinding(vms[i].Name, ls.UUID) && !s.hadBinding(vms[j].Name, ls.UUID)
	})
	for _, p := range vms {
		vm, err := parseVM(p)
		if err != nil {
			s.p.add("Logical_Switch_Port", p.Name, err.Error())
			continue
		}
		if err := claimAddrs(p.Name, vm.macs, vm.ips, macs, ips); err != nil {
			s.p.add("Logical_Switch_Port", p.Name, err.Error())
			continue
		}
		vm.switchID = ls.UUID
		s.vms[p.Name] = vm
	}
}

func (s *state) hadBinding(name, dp string) bool {
	k, ok := s.in.PortKeys[name]
	return ok && k.Datapath == dp
}

// claimAddrs records an owner's MACs and IPs, failing on the first taken.
func claimAddrs(owner string, macList []string, ipList []netip.Addr, macs map[string]string, ips map[netip.Addr]string) error {
	for _, m := range macList {
		if o, ok := macs[m]; ok {
			return fmt.Errorf("MAC %s is also used by %s on the switch: no binding", m, o)
		}
	}
	for _, ip := range ipList {
		if o, ok := ips[ip]; ok {
			return fmt.Errorf("IP %s is also used by %s on the switch: no binding", ip, o)
		}
	}
	for _, m := range macList {
		macs[m] = owner
	}
	for _, ip := range ipList {
		ips[ip] = owner
	}
	return nil
}

// parseVM checks a VM port's addresses.
func parseVM(p *SwitchPort) (*vmPort, error) {
	vm := &vmPort{lsp: p}
	for _, a := range p.Addresses {
		pa, err := addr.ParsePortAddress(a)
		if err != nil {
			return nil, fmt.Errorf("bad address %q: %v: no binding", a, err)
		}
		switch pa.Keyword {
		case "unknown":
			continue
		case "router":
			return nil, fmt.Errorf("address \"router\" on a port of type \"\": no binding")
		}
		vm.macs = append(vm.macs, pa.MAC)
		vm.ips = append(vm.ips, pa.IPs...)
	}
	return vm, nil
}

// attach validates one router-type LSP and records its attachment.
func (s *state) attach(ls *Switch, p *SwitchPort, routerOf map[string]*Router, lrpByName map[string]*RouterPort,
	macs map[string]string, ips map[netip.Addr]string) {
	name := p.Options["router-port"]
	lrp := lrpByName[name]
	switch {
	case name == "":
		s.p.add("Logical_Switch_Port", p.Name, "router-type port without options:router-port: not attached")
		return
	case lrp == nil:
		s.p.add("Logical_Switch_Port", p.Name, fmt.Sprintf("router-port %q names no router port: not attached", name))
		return
	}
	lr := routerOf[lrp.UUID]
	if !distributed(lr) {
		s.p.add("Logical_Router_Port", lrp.Name, fmt.Sprintf("router %s is not distributed (options:distributed=false): interface not bound", lr.Name))
		return
	}
	if _, ok := s.out.Datapaths[lr.UUID]; !ok {
		return // exhausted, already reported
	}
	mac, err := addr.ParseMAC(lrp.MAC)
	if err != nil {
		s.p.add("Logical_Router_Port", lrp.Name, fmt.Sprintf("bad mac %q: %v: interface not bound", lrp.MAC, err))
		return
	}
	var nets []netip.Prefix
	for _, n := range lrp.Networks {
		pfx, err := addr.ParseNetwork(n)
		if err != nil {
			s.p.add("Logical_Router_Port", lrp.Name, fmt.Sprintf("bad network %q: %v: interface not bound", n, err))
			return
		}
		nets = append(nets, pfx)
	}
	if len(nets) == 0 {
		s.p.add("Logical_Router_Port", lrp.Name, "no networks: interface not bound")
		return
	}
	for _, other := range s.byRouter[lr.UUID] {
		if other.lrp == lrp {
			s.p.add("Logical_Switch_Port", p.Name, fmt.Sprintf("router port %s is already attached by %s: not attached", lrp.Name, other.lsp.Name))
			return
		}
		for _, a := range other.networks {
			for _, b := range nets {
				if addr.Overlaps(a, b) {
					s.p.add("Logical_Router_Port", lrp.Name, fmt.Sprintf("network %s overlaps %s of %s on router %s: interface not bound", b, a, other.lrp.Name, lr.Name))
					return
				}
			}
		}
	}
	var gw []netip.Addr
	for _, n := range nets {
		gw = append(gw, n.Addr())
	}
	if err := claimAddrs("router port "+lrp.Name, []string{mac}, gw, macs, ips); err != nil {
		s.p.add("Logical_Router_Port", lrp.Name, err.Error())
		return
	}
	a := &attachment{lsp: p, lrp: lrp, router: lr, switchID: ls.UUID, mac: mac, networks: nets}
	s.attached[ls.UUID] = append(s.attached[ls.UUID], a)
	s.byRouter[lr.UUID] = append(s.byRouter[lr.UUID], a)
}

// portBindings builds the Port_Binding rows with per-datapath keys.
func (s *state) portBindings() {
	perDP := map[string][]string{} // datapath → port names
	add := func(p Port) {
		s.out.Ports[p.Name] = p
		perDP[p.Datapath] = append(perDP[p.Datapath], p.Name)
	}
	for _, vm := range s.vms {
		add(Port{Name: vm.lsp.Name, Datapath: vm.switchID, MAC: append([]string{}, vm.lsp.Addresses...)})
	}
	for _, as := range s.attached {
		for _, a := range as {
			nets := make([]string, len(a.networks))
			for i, n := range a.networks {
				nets[i] = n.String()
			}
			add(Port{Name: a.lrp.Name, Datapath: a.switchID, Type: TypeRouterInterface, Router: a.router.UUID,
				MAC:         []string{a.mac + " " + strings.Join(nets, " ")},
				Options:     map[string]string{OptRouter: a.router.Name},
				ExternalIDs: map[string]string{KeyLogicalRouterPort: a.lrp.UUID, KeyLogicalRouter: a.router.UUID},
			})
		}
	}
	prevByDP := map[string]map[string]int{}
	for name, pk := range s.in.PortKeys {
		if prevByDP[pk.Datapath] == nil {
			prevByDP[pk.Datapath] = map[string]int{}
		}
		prevByDP[pk.Datapath][name] = pk.Key
	}
	for dp, names := range perDP {
		sort.Strings(names)
		prev := prevByDP[dp]
		keys, exhausted := allocate(names, prev, heldKeys(prev), MaxPortKey)
		for _, n := range exhausted {
			s.p.add("Logical_Switch_Port", n, fmt.Sprintf("port tunnel keys of its switch exhausted (1..%d): no binding", MaxPortKey))
			delete(s.out.Ports, n)
		}
		for n, k := range keys {
			p := s.out.Ports[n]
			p.Key = k
			s.out.Ports[n] = p
		}
	}
}

// portMACs are the MACs of every NB port, which no DVR MAC may equal.
func (s *state) portMACs() map[string]bool {
	m := map[string]bool{}
	for _, p := range s.in.SwitchPorts {
		for _, a := range p.Addresses {
			if f := strings.Fields(a); len(f) > 0 {
				if mac, err := addr.ParseMAC(f[0]); err == nil {
					m[mac] = true
				}
			}
		}
	}
	for _, p := range s.in.RouterPorts {
		if mac, err := addr.ParseMAC(p.MAC); err == nil {
			m[mac] = true
		}
	}
	return m
}

// hosting applies the hosting rule: a router is hosted where a claimed VM
// port has an IP in one of its interface subnets, and a router attached to
// a switch of such a router is hosted there too (one level).
func (s *state) hosting() {
	chassis := map[string]bool{}
	for _, c := range s.in.Chassis {
		chassis[c] = true
	}
	direct := map[Hosting]bool{}
	for name, vm := range s.vms {
		c := s.in.Claims[name].Chassis
		if c == "" || !chassis[c] {
			continue
		}
		for _, a := range s.attached[vm.switchID] {
			if inAny(vm.ips, a.networks) {
				direct[Hosting{Router: a.router.UUID, Chassis: c}] = true
			}
		}
	}
	for h := range direct {
		s.out.Hosting[h] = true
		for _, a := range s.byRouter[h.Router] {
			for _, b := range s.attached[a.switchID] {
				s.out.Hosting[Hosting{Router: b.router.UUID, Chassis: h.Chassis}] = true
			}
		}
	}
}

func inAny(ips []netip.Addr, nets []netip.Prefix) bool {
	for _, ip := range ips {
		for _, n := range nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// lspUp is the desired Logical_Switch_Port.up: a VM port is up when its
// binding is claimed by a registered chassis that reported it up; an
// attached router-type port is up; everything else is down.
func (s *state) lspUp() {
	chassis := map[string]bool{}
	for _, c := range s.in.Chassis {
		chassis[c] = true
	}
	for _, p := range s.in.SwitchPorts {
		s.out.LSPUp[p.UUID] = false
	}
	for name, vm := range s.vms {
		if _, bound := s.out.Ports[name]; !bound {
			continue
		}
		cl := s.in.Claims[name]
		s.out.LSPUp[vm.lsp.UUID] = cl.Chassis != "" && chassis[cl.Chassis] && cl.Up
	}
	for _, as := range s.attached {
		for _, a := range as {
			s.out.LSPUp[a.lsp.UUID] = true
		}
	}
}
