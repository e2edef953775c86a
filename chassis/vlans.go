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

// PortTags says which tag and network each VM port on the integration
// bridge carries: a served port its network's local VLAN; any other port
// whose iface-id names a Port_Binding (ours to serve, not served yet) the
// dead VLAN. A port whose iface-id names no Port_Binding may be another
// agent's and is left alone, unless it carries our NetworkKey (we tagged
// it for a Port_Binding since deleted): then it goes to the dead VLAN too,
// so that it never keeps a network's VLAN.
func PortTags(v *LocalView, ifaces []LocalIface, claims ClaimPlan, vlans map[string]int) []PortTag {
	served := map[string]Served{}
	for _, s := range claims.Served {
		served[s.Iface] = s
	}
	var out []PortTag
	for _, li := range ifaces {
		s, ok := served[li.Iface]
		if t, has := vlans[s.Network]; ok && has {
			out = append(out, PortTag{Port: li.Port, Tag: t, Network: s.Network})
			continue
		}
		if claims.Unserved[li.Name] == NoPortBinding && v.Ports[li.Port].OtherConfig[NetworkKey] == "" {
			continue
		}
		out = append(out, PortTag{Port: li.Port, Tag: DeadVLAN})
	}
	return out
}
