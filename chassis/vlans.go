package chassis

import "sort"

// MaxVLAN is the highest usable local VLAN (4095 is DeadVLAN).
const MaxVLAN = 4094

// AdoptedVLANs reads the local VLANs already in OVS: the tag of every port
// on the bridge whose other_config names its network (NetworkKey). Where
// ports disagree, the lowest tag wins; where two networks have one tag,
// the lowest network keeps it.
func AdoptedVLANs(v *LocalView, bridge string) map[string]int {
	br, ok := v.BridgeByName(bridge)
	if !ok {
		return nil
	}
	seen := map[string]int{}
	for _, pu := range br.Ports {
		p, ok := v.Ports[pu]
		if !ok || p.Tag == nil || *p.Tag < 1 || *p.Tag > MaxVLAN {
			continue
		}
		n := p.OtherConfig[NetworkKey]
		if n == "" {
			continue
		}
		if t, ok := seen[n]; !ok || *p.Tag < t {
			seen[n] = *p.Tag
		}
	}
	out := map[string]int{}
	owner := map[int]string{}
	for _, n := range sortedKeys(seen) {
		if _, taken := owner[seen[n]]; !taken {
			owner[seen[n]] = n
			out[n] = seen[n]
		}
	}
	return out
}

// AllocateVLANs gives every network in need a local VLAN: the one it had
// (adopted) when it still may, else the lowest free one, in network order.
// Networks not in need get none (their VLAN is free again). A network left
// without a VLAN (all 4094 taken) is returned in exhausted.
func AllocateVLANs(need []string, adopted map[string]int) (vlans map[string]int, exhausted []string) {
	need = append([]string(nil), need...)
	sort.Strings(need)
	vlans = map[string]int{}
	used := map[int]bool{}
	for _, n := range need {
		if t, ok := adopted[n]; ok && !used[t] {
			vlans[n] = t
			used[t] = true
		}
	}
	next := 1
	for _, n := range need {
		if _, ok := vlans[n]; ok {
			continue
		}
		for next <= MaxVLAN && used[next] {
			next++
		}
		if next > MaxVLAN {
			exhausted = append(exhausted, n)
			continue
		}
		vlans[n] = next
		used[next] = true
	}
	return vlans, exhausted
}
