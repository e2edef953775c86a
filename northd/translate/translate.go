package translate

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/addr"
	"github.com/dvr-ovn/dvr/internal/nbvalid"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
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
	hostedOn string // chassis its claim counts towards hosting ("" if none)
}

// state is the working set of one translation, kept by State between
// rounds so that port-level changes can be applied incrementally.
type state struct {
	in       Input
	p        problems
	out      Output
	attached map[string][]*attachment // switch UUID → attachments
	byRouter map[string][]*attachment // router UUID → attachments
	vms      map[string]*vmPort       // LSP name → valid VM port

	swMACs     map[string]map[string]string     // switch → MAC → owner
	swIPs      map[string]map[netip.Addr]string // switch → IP → owner
	conflicts  map[string]int                   // switch → VM ports skipped for an address conflict
	subnets    map[string][]nbvalid.Subnet      // switch → its attached routers' subnets (see subnetsOf)
	sbKeys     map[string]map[int]string        // datapath → key → port, as SB has them
	wantKeys   map[string]map[int]string        // datapath → key → port, as desired
	direct     map[Hosting]int                  // claimed VM ports hosting a router directly
	implied    map[Hosting]int                  // direct pairs that imply each hosting pair
	closure    map[string][]string              // router → routers hosted with it (itself included)
	macOwner   map[string]string                // DVR MAC → chassis
	registered map[string]bool                  // chassis names
	// shared are the LSP UUIDs and LRP names that more than one parent
	// lists (bad rows: skipped until one parent is left).
	sharedLSP map[string]bool
	sharedLRP map[string]bool
	exhausted bool // an allocation ran out: only full rounds are exact
}

// Translate computes the desired SB from in. It is pure and deterministic.
func Translate(in Input) Output {
	return newState(in).out
}

func newState(in Input) *state {
	n := len(in.SwitchPorts)
	s := &state{in: in,
		out: Output{Datapaths: make(map[string]Datapath, len(in.Switches)+len(in.Routers)), Ports: make(map[string]Port, n),
			Hosting: map[Hosting]bool{}, LSPUp: make(map[string]bool, n)},
		attached: map[string][]*attachment{}, byRouter: map[string][]*attachment{}, vms: make(map[string]*vmPort, n),
		swMACs: map[string]map[string]string{}, swIPs: map[string]map[netip.Addr]string{}, conflicts: map[string]int{},
		sbKeys: map[string]map[int]string{}, wantKeys: map[string]map[int]string{},
		direct: map[Hosting]int{}, implied: map[Hosting]int{}, closure: map[string][]string{},
		macOwner: map[string]string{}, registered: map[string]bool{},
	}
	for _, c := range in.Chassis {
		s.registered[c] = true
	}
	s.p.list = append(s.p.list, in.ChassisProblems...)
	s.sharedRows()
	s.datapaths()
	routerOf, lrpByName := s.routerPorts()
	for _, ls := range sortedSwitches(in.Switches) {
		if _, ok := s.out.Datapaths[ls.UUID]; ok {
			s.switchPorts(ls, routerOf, lrpByName)
		}
	}
	s.portBindings()
	nProblems := len(s.p.list)
	s.out.DVRMACs = allocateDVRMACs(in.BaseMAC, in.Chassis, in.DVRMACs, s.portMACs(), &s.p)
	for c, m := range s.out.DVRMACs {
		s.macOwner[m] = c
	}
	s.exhausted = s.exhausted || len(s.p.list) > nProblems
	s.hosting()
	s.lspUp()
	s.out.Problems = s.p.sorted()
	return s
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
	s.exhausted = s.exhausted || len(exhausted) > 0
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

// sharedRows finds switch ports listed in the ports of more than one
// switch and router ports listed by more than one router. OVSDB allows it
// (other writers than dvr-nbctl can make it), but a port has one place:
// which parent would win could only depend on the order rows were seen,
// so such a port is a bad row, skipped in every parent and picked up once
// a single parent lists it.
func (s *state) sharedRows() {
	s.sharedLSP, s.sharedLRP = map[string]bool{}, map[string]bool{}
	for u, parents := range multiParent(s.in.Switches, func(ls *Switch) (string, []string) { return ls.Name, ls.Ports }) {
		s.sharedLSP[u] = true
		name := u
		if p := s.in.SwitchPorts[u]; p != nil {
			name = p.Name
		}
		s.p.add("Logical_Switch_Port", name, sharedReason("switches", parents, "no binding"))
	}
	for u, parents := range multiParent(s.in.Routers, func(lr *Router) (string, []string) { return lr.Name, lr.Ports }) {
		name := u
		if p := s.in.RouterPorts[u]; p != nil {
			name = p.Name
		}
		s.sharedLRP[name] = true
		s.p.add("Logical_Router_Port", name, sharedReason("routers", parents, "interface not bound"))
	}
}

// multiParent maps each child UUID that more than one parent lists to the
// names of those parents. It runs in every full round over every port, so
// the common case (one parent each) allocates one set and nothing more.
func multiParent[P any](parents map[string]*P, children func(*P) (string, []string)) map[string][]string {
	n := 0
	for _, p := range parents {
		_, kids := children(p)
		n += len(kids)
	}
	seen := make(map[string]struct{}, n)
	var dups map[string][]string
	for _, p := range parents {
		_, kids := children(p)
		for _, u := range kids {
			if _, ok := seen[u]; !ok {
				seen[u] = struct{}{}
			} else if dups == nil {
				dups = map[string][]string{u: nil}
			} else {
				dups[u] = nil
			}
		}
	}
	for _, p := range parents {
		name, kids := children(p)
		for _, u := range kids {
			if ps, ok := dups[u]; ok {
				dups[u] = append(ps, name)
			}
		}
	}
	return dups
}

func sharedReason(what string, parents []string, result string) string {
	slices.Sort(parents)
	return fmt.Sprintf("listed in the ports of %d %s (%s): %s until only one lists it", len(parents), what, strings.Join(parents, ", "), result)
}

// routerPorts maps router ports to their routers and by name (router
// ports more than one router lists are left out).
func (s *state) routerPorts() (map[string]*Router, map[string]*RouterPort) {
	routerOf := map[string]*Router{}
	for _, lr := range s.in.Routers {
		for _, u := range lr.Ports {
			routerOf[u] = lr
		}
	}
	byName := map[string]*RouterPort{}
	for _, p := range s.in.RouterPorts {
		if routerOf[p.UUID] != nil && !s.sharedLRP[p.Name] {
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
		if p := s.in.SwitchPorts[u]; p != nil && !s.sharedLSP[u] {
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
	sort.SliceStable(vms, func(i, j int) bool { return s.seniority(vms[i], ls.UUID) < s.seniority(vms[j], ls.UUID) })
	for _, p := range vms {
		vm, err := s.parseVM(p, ls.UUID)
		if err != nil {
			s.p.add("Logical_Switch_Port", p.Name, err.Error())
			continue
		}
		if err := claimAddrs(p.Name, vm.macs, vm.ips, macs, ips); err != nil {
			s.p.add("Logical_Switch_Port", p.Name, err.Error())
			s.conflicts[ls.UUID]++
			continue
		}
		vm.switchID = ls.UUID
		s.vms[p.Name] = vm
	}
	s.swMACs[ls.UUID], s.swIPs[ls.UUID] = macs, ips
}

// seniority orders VM ports for the conflict rule (schema/README.md,
// "Conflicts"): 0 for a port whose Port_Binding on this switch already
// carries exactly its addresses, 1 for a port with a Port_Binding on this
// switch, 2 for the rest; the caller breaks ties by name. It reads only
// NB rows and SB Port_Bindings, never the order changes arrived in.
func (s *state) seniority(p *SwitchPort, dp string) int {
	switch {
	case !s.hadBinding(p.Name, dp):
		return 2
	case sameStrings(s.in.BoundMACs[p.Name], p.Addresses):
		return 0
	default:
		return 1
	}
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
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

// parseVM checks a VM port on switch sw with nbvalid's rules: its
// addresses (VMPort), then its IPs against the subnets of the routers
// attached to sw (VMOnSubnets: on such a conflict the VM port is skipped
// and the router interface keeps working).
func (s *state) parseVM(p *SwitchPort, sw string) (*vmPort, error) {
	v, err := nbvalid.VMPort(p.Addresses)
	if err != nil {
		return nil, fmt.Errorf("%s: no binding", badField(err))
	}
	if err := nbvalid.VMOnSubnets(v.IPs, s.subnetsOf(sw)); err != nil {
		return nil, fmt.Errorf("%v: no binding", err)
	}
	return &vmPort{lsp: p, macs: v.MACs, ips: v.IPs}, nil
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
	case lrp == nil && s.sharedLRP[name]:
		return // reported on the router port
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
	rp, err := nbvalid.RouterPort(lrp.MAC, lrp.Networks, lrp.Peer)
	if err != nil {
		s.p.add("Logical_Router_Port", lrp.Name, badField(err)+": interface not bound")
		return
	}
	mac, nets := rp.MAC, rp.Networks
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
		add(s.vmBinding(vm))
	}
	for _, as := range s.attached {
		for _, a := range as {
			nets := make([]string, len(a.networks))
			for i, n := range a.networks {
				nets[i] = n.String()
			}
			add(Port{Name: a.lrp.Name, Datapath: a.switchID, Type: sbkeys.TypeRouterInterface, Router: a.router.UUID,
				MAC:         []string{a.mac + " " + strings.Join(nets, " ")},
				Options:     map[string]string{sbkeys.OptRouter: a.router.Name},
				ExternalIDs: map[string]string{sbkeys.KeyLogicalRouterPort: a.lrp.UUID, sbkeys.KeyLogicalRouter: a.router.UUID},
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
		s.exhausted = s.exhausted || len(exhausted) > 0
		for _, n := range exhausted {
			s.p.add("Logical_Switch_Port", n, fmt.Sprintf("port tunnel keys of its switch exhausted (1..%d): no binding", MaxPortKey))
			delete(s.out.Ports, n)
		}
		for n, k := range keys {
			p := s.out.Ports[n]
			p.Key = k
			s.out.Ports[n] = p
			s.keyMap(s.wantKeys, dp)[k] = n
		}
	}
	for name, pk := range s.in.PortKeys {
		s.keyMap(s.sbKeys, pk.Datapath)[pk.Key] = name
	}
}

func (s *state) keyMap(m map[string]map[int]string, dp string) map[int]string {
	if m[dp] == nil {
		m[dp] = map[int]string{}
	}
	return m[dp]
}

// vmBinding is the Port_Binding of a valid VM port (its key is set by
// the caller).
func (s *state) vmBinding(vm *vmPort) Port {
	// MAC shares the input's slice: inputs are replaced, never modified.
	p := Port{Name: vm.lsp.Name, Datapath: vm.switchID, MAC: vm.lsp.Addresses}
	if cl := s.in.Claims[vm.lsp.Name]; cl.Chassis != "" && s.registered[cl.Chassis] {
		p.Chassis, p.Up = cl.Chassis, cl.Up
	}
	return p
}

// portMACs are the MACs of every NB port, which no DVR MAC may equal
// (valid VM ports' MACs are already parsed).
func (s *state) portMACs() map[string]bool {
	m := make(map[string]bool, len(s.in.SwitchPorts)+len(s.in.RouterPorts))
	for _, p := range s.in.SwitchPorts {
		if vm := s.vms[p.Name]; vm != nil && vm.lsp == p {
			for _, mac := range vm.macs {
				m[mac] = true
			}
			continue
		}
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
// port has an IP in one of its interface subnets (direct), and a router
// attached to a switch of such a router is hosted there too (one level).
// Both are kept as reference counts so that one port's change updates
// them in O(routers it touches).
func (s *state) hosting() {
	for r, as := range s.byRouter {
		seen := map[string]bool{}
		for _, a := range as {
			for _, b := range s.attached[a.switchID] {
				if !seen[b.router.UUID] {
					seen[b.router.UUID] = true
					s.closure[r] = append(s.closure[r], b.router.UUID)
				}
			}
		}
	}
	for _, vm := range s.vms {
		s.host(vm, nil)
	}
}

// directRouters are the routers a VM port hosts where it is claimed: those
// with an interface on its switch whose subnet holds one of its IPs.
func (s *state) directRouters(vm *vmPort) []string {
	var out []string
	for _, a := range s.attached[vm.switchID] {
		if inAny(vm.ips, a.networks) && !slices.Contains(out, a.router.UUID) {
			out = append(out, a.router.UUID)
		}
	}
	return out
}

// host counts vm's claim towards hosting; touched collects changed pairs.
func (s *state) host(vm *vmPort, touched map[Hosting]bool) {
	c := s.in.Claims[vm.lsp.Name].Chassis
	if c == "" || !s.registered[c] {
		return
	}
	vm.hostedOn = c
	s.countDirect(vm, c, +1, touched)
}

// unhost removes what host counted.
func (s *state) unhost(vm *vmPort, touched map[Hosting]bool) {
	if vm.hostedOn == "" {
		return
	}
	s.countDirect(vm, vm.hostedOn, -1, touched)
	vm.hostedOn = ""
}

func (s *state) countDirect(vm *vmPort, c string, delta int, touched map[Hosting]bool) {
	for _, r := range s.directRouters(vm) {
		h := Hosting{Router: r, Chassis: c}
		before := s.direct[h]
		s.direct[h] += delta
		if s.direct[h] == 0 {
			delete(s.direct, h)
		}
		if (before == 0) == (s.direct[h] == 0) {
			continue
		}
		for _, r2 := range s.closure[r] {
			h2 := Hosting{Router: r2, Chassis: c}
			s.implied[h2] += delta
			switch s.implied[h2] {
			case 0:
				delete(s.implied, h2)
				delete(s.out.Hosting, h2)
			case 1:
				if delta > 0 {
					s.out.Hosting[h2] = true
				}
			default:
				continue
			}
			if touched != nil {
				touched[h2] = true
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

// vmUp: a bound VM port is up when a registered chassis claimed it and
// reported it up.
func (s *state) vmUp(vm *vmPort) bool {
	cl := s.in.Claims[vm.lsp.Name]
	return cl.Chassis != "" && s.registered[cl.Chassis] && cl.Up
}

// lspUp is the desired Logical_Switch_Port.up: a VM port is up when its
// binding is claimed by a registered chassis that reported it up; an
// attached router-type port is up; everything else is down.
func (s *state) lspUp() {
	for _, p := range s.in.SwitchPorts {
		up := false
		if vm := s.vms[p.Name]; vm != nil && vm.lsp == p {
			if _, bound := s.out.Ports[p.Name]; bound {
				up = s.vmUp(vm)
			}
		}
		s.out.LSPUp[p.UUID] = up
	}
	for _, as := range s.attached {
		for _, a := range as {
			s.out.LSPUp[a.lsp.UUID] = true
		}
	}
}
