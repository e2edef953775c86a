package translate

import (
	"fmt"
	"net"
	"sort"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// macSpace is the set of DVR MACs under a base: the base's first 3 octets
// are fixed, and its 4th too when it is not 00 (Neutron's rule); the rest
// is allocated, from 1 up.
type macSpace struct {
	prefix [6]byte
	fixed  int // fixed octets: 3 or 4
}

func newMACSpace(base string) (macSpace, error) {
	m, err := addr.ParseMAC(base)
	if err != nil {
		return macSpace{}, err
	}
	hw, _ := net.ParseMAC(m)
	var s macSpace
	copy(s.prefix[:], hw)
	s.fixed = 3
	if hw[3] != 0 {
		s.fixed = 4
	}
	return s, nil
}

// size is the number of allocatable values (1..size).
func (s macSpace) size() int { return 1<<(8*(6-s.fixed)) - 1 }

func (s macSpace) mac(v int) string {
	b := s.prefix
	for i := 5; i >= s.fixed; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return net.HardwareAddr(b[:]).String()
}

// value is the allocated value of a MAC in this space, or 0.
func (s macSpace) value(mac string) int {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return 0
	}
	for i := 0; i < s.fixed; i++ {
		if hw[i] != s.prefix[i] {
			return 0
		}
	}
	v := 0
	for i := s.fixed; i < 6; i++ {
		v = v<<8 | int(hw[i])
	}
	return v
}

// allocateDVRMACs gives every chassis a MAC in the space of base, keeping
// previous ones that are still valid, never equal to a port MAC
// (forbidden), lowest free first in chassis-name order.
func allocateDVRMACs(base string, chassis []string, prev map[string]string, forbidden map[string]bool, p *problems) map[string]string {
	if base == "" {
		base = DefaultBaseMAC
	}
	space, err := newMACSpace(base)
	if err != nil {
		p.add("NB_Global", "options:dvr_base_mac", fmt.Sprintf("%s is not a unicast MAC (%v); using %s", base, err, DefaultBaseMAC))
		space, _ = newMACSpace(DefaultBaseMAC)
	}
	names := append([]string(nil), chassis...)
	sort.Strings(names)
	prevVals := make(map[string]int, len(prev))
	held := make(map[int]bool, len(prev)+len(forbidden))
	for c, m := range prev {
		if v := space.value(m); v > 0 && !forbidden[space.mac(v)] {
			prevVals[c] = v
			held[v] = true
		}
	}
	for m := range forbidden {
		if v := space.value(m); v > 0 {
			held[v] = true
		}
	}
	// A previous value is kept by its own chassis even though it is "held".
	vals, exhausted := allocate(names, prevVals, held, space.size())
	for _, c := range exhausted {
		p.add("Chassis", c, fmt.Sprintf("DVR MAC space under %s is exhausted (%d MACs): the chassis gets no DVR MAC", base, space.size()))
	}
	out := make(map[string]string, len(vals))
	for c, v := range vals {
		out[c] = space.mac(v)
	}
	return out
}
