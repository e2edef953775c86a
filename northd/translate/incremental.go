package translate

import (
	"slices"
	"strings"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// State is a translation kept between rounds. Full rounds build it with
// NewState; port-level changes (a VM port added, removed, its addresses
// changed, claimed or released) update it with ApplyPorts in work
// proportional to the ports changed, through the same per-record builders
// the full translation uses, so that both give the same Output.
type State struct{ s *state }

// NewState translates in fully. The State keeps in: the caller updates
// in's maps for the rows that change and then calls ApplyPorts.
func NewState(in Input) *State { return &State{s: newState(in)} }

// Output is the current desired SB (owned by the State: do not modify).
func (st *State) Output() *Output { return &st.s.out }

// Input is the input the State works from (its maps are the caller's).
func (st *State) Input() Input { return st.s.in }

// Delta is what an incremental update changed in the Output.
type Delta struct {
	Ports   []string  // logical ports whose Port_Binding changed (or went)
	Hosting []Hosting // hosting pairs added or removed
	LSPs    []string  // LSP UUIDs whose desired up changed (or went)
}

// PortChange names a VM port whose row, switch membership or claim
// changed. UUID and Switch are its LSP UUID and switch UUID now ("" when
// it no longer exists or is in no switch); OldUUID is the LSP UUID it had
// before ("" when it did not exist).
type PortChange struct {
	Name    string
	UUID    string
	Switch  string
	OldUUID string
}

// SetSBKey records a change of a port's tunnel key as SB holds it (a
// Port_Binding row inserted, moved or deleted): keys SB still holds are
// not handed to new ports, as in a full round.
func (st *State) SetSBKey(name string, old, cur *PortKey) {
	s := st.s
	if old != nil {
		if m := s.sbKeys[old.Datapath]; m[old.Key] == name {
			delete(m, old.Key)
		}
	}
	if cur != nil {
		s.keyMap(s.sbKeys, cur.Datapath)[cur.Key] = name
	}
}

// ApplyPorts re-derives the named VM ports after the caller updated the
// Input (SwitchPorts, the switches' Ports, Claims, PortKeys). It refuses,
// returning why (refused is "" when it applied the changes), what is not
// port-level in a way this path handles exactly (an address conflict on
// the switch, a port MAC equal to a DVR MAC, a port that is not a VM
// port, an exhausted allocation): the caller must then recompute fully
// (northd/portlevel.go has the caller's side of that rule).
func (st *State) ApplyPorts(changes []PortChange) (d Delta, refused string) {
	s := st.s
	if s.exhausted {
		return Delta{}, "an allocation is exhausted"
	}
	// Check first, so that a refusal leaves the State untouched.
	for _, ch := range changes {
		if s.sharedLSP[ch.UUID] || s.sharedLSP[ch.OldUUID] {
			return Delta{}, "a port listed by more than one switch"
		}
		if old := s.vms[ch.Name]; old != nil && s.conflicts[old.switchID] > 0 {
			return Delta{}, "an address conflict on the port's old switch"
		}
		if ch.UUID == "" {
			continue
		}
		p := s.in.SwitchPorts[ch.UUID]
		if p == nil || p.Type != "" || p.Name != ch.Name {
			return Delta{}, "not a VM port of that name"
		}
		if s.conflicts[ch.Switch] > 0 {
			return Delta{}, "an address conflict on the port's switch"
		}
		for _, a := range p.Addresses {
			if f := strings.Fields(a); len(f) > 0 {
				if m, err := addr.ParseMAC(f[0]); err == nil && s.macOwner[m] != "" {
					return Delta{}, "a port MAC equal to a DVR MAC"
				}
			}
		}
	}
	touchedPorts := map[string]bool{}
	touchedHosts := map[Hosting]bool{}
	touchedLSPs := map[string]bool{}
	// Remove every old contribution.
	for _, ch := range changes {
		touchedPorts[ch.Name] = true
		if ch.UUID != "" {
			touchedLSPs[ch.UUID] = true
		}
		s.dropProblems(ch.Name)
		if ch.OldUUID != "" && ch.OldUUID != ch.UUID {
			delete(s.out.LSPUp, ch.OldUUID)
			touchedLSPs[ch.OldUUID] = true
		}
		old := s.vms[ch.Name]
		if old == nil {
			continue
		}
		touchedLSPs[old.lsp.UUID] = true
		s.unhost(old, touchedHosts)
		for m, o := range s.swMACs[old.switchID] {
			if o == ch.Name {
				delete(s.swMACs[old.switchID], m)
			}
		}
		for ip, o := range s.swIPs[old.switchID] {
			if o == ch.Name {
				delete(s.swIPs[old.switchID], ip)
			}
		}
		if p, ok := s.out.Ports[ch.Name]; ok {
			if s.wantKeys[p.Datapath][p.Key] == ch.Name {
				delete(s.wantKeys[p.Datapath], p.Key)
			}
			delete(s.out.Ports, ch.Name)
		}
		delete(s.out.LSPUp, old.lsp.UUID)
		delete(s.vms, ch.Name)
	}
	// Re-add, in name order (the order a full round allocates keys in).
	var added []*vmPort
	sorted := slices.Clone(changes)
	slices.SortFunc(sorted, func(a, b PortChange) int { return strings.Compare(a.Name, b.Name) })
	for _, ch := range sorted {
		if ch.UUID == "" {
			continue
		}
		p := s.in.SwitchPorts[ch.UUID]
		s.out.LSPUp[p.UUID] = false
		if _, ok := s.out.Datapaths[ch.Switch]; !ok || ch.Switch == "" {
			continue
		}
		vm, err := s.parseVM(p, ch.Switch)
		if err != nil {
			s.p.add("Logical_Switch_Port", p.Name, err.Error())
			continue
		}
		if err := claimAddrs(p.Name, vm.macs, vm.ips, s.swMACs[ch.Switch], s.swIPs[ch.Switch]); err != nil {
			// A conflict: which port wins depends on the whole switch.
			return Delta{}, "a new address conflict on the switch"
		}
		vm.switchID = ch.Switch
		s.vms[p.Name] = vm
		added = append(added, vm)
	}
	// Keys: adopt SB's key on the same datapath, else the lowest free.
	for _, vm := range added {
		if pk, ok := s.in.PortKeys[vm.lsp.Name]; ok && pk.Datapath == vm.switchID && pk.Key >= 1 && pk.Key <= MaxPortKey {
			if o, used := s.wantKeys[vm.switchID][pk.Key]; !used || o == vm.lsp.Name {
				s.bind(vm, pk.Key)
			}
		}
	}
	for _, vm := range added {
		if _, ok := s.out.Ports[vm.lsp.Name]; ok {
			continue
		}
		k := s.freeKey(vm.switchID)
		if k == 0 {
			return Delta{}, "the switch's port keys are exhausted" // let a full round report it
		}
		s.bind(vm, k)
	}
	for _, vm := range added {
		s.host(vm, touchedHosts)
		s.out.LSPUp[vm.lsp.UUID] = s.vmUp(vm)
	}
	s.out.Problems = s.p.sorted()
	for n := range touchedPorts {
		d.Ports = append(d.Ports, n)
	}
	for h := range touchedHosts {
		d.Hosting = append(d.Hosting, h)
	}
	for u := range touchedLSPs {
		d.LSPs = append(d.LSPs, u)
	}
	slices.Sort(d.Ports)
	slices.Sort(d.LSPs)
	return d, ""
}

func (s *state) bind(vm *vmPort, key int) {
	p := s.vmBinding(vm)
	p.Key = key
	s.out.Ports[p.Name] = p
	s.keyMap(s.wantKeys, p.Datapath)[key] = p.Name
}

// freeKey is the lowest key on dp that neither SB nor the desired state
// holds (0 when none is left).
func (s *state) freeKey(dp string) int {
	want, sb := s.wantKeys[dp], s.sbKeys[dp]
	for k := 1; k <= MaxPortKey; k++ {
		_, w := want[k]
		_, b := sb[k]
		if !w && !b {
			return k
		}
	}
	return 0
}

// dropProblems forgets the problems reported for one switch port.
func (s *state) dropProblems(name string) {
	s.p.list = slices.DeleteFunc(s.p.list, func(p Problem) bool {
		return p.Table == "Logical_Switch_Port" && p.Name == name
	})
}
