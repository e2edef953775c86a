package flows

// Scoped is the desired flows of some scopes of both bridges (a part of
// Compute's Result, split by Cookie.Scope).
type Scoped struct {
	Int, Tun map[Scope][]Entry
	// Skipped is what of those scopes' input gave no flows, and why.
	Skipped []Skip
}

// ComputeNetworks is the part of Compute(in) that the networks of the
// given tunnel keys own (their scopes), by bridge and scope; every key
// gets an entry, empty when the network is not present or gives no flow,
// so that a scoped sync removes what it had. Each network's flows depend
// on the global parts of in (DVR MACs, remotes, patch ports) and on that
// network's own interfaces and ports only, so the caller may leave the
// ports of every other network out of in. Compute stays the oracle: over
// every network present, ComputeNetworks and ComputeGlobal are Compute
// (TestComputeNetworksIsCompute).
func ComputeNetworks(in Input, keys []uint32) Scoped {
	m := newModel(in)
	r := Scoped{Int: map[Scope][]Entry{}, Tun: map[Scope][]Entry{}}
	want := map[uint32]bool{}
	for _, k := range keys {
		want[k] = true
		r.Int[Scope(k)], r.Tun[Scope(k)] = nil, nil
	}
	if m.ready() {
		for _, n := range m.nets {
			if want[n.Key] {
				r.Int[Scope(n.Key)] = Entries(m.dedupe(m.intNetwork(n)))
				r.Tun[Scope(n.Key)] = Entries(m.dedupe(m.tunNetwork(n)))
			}
		}
	}
	for _, s := range m.sortedSkips() {
		if want[s.network] {
			r.Skipped = append(r.Skipped, s.Skip)
		}
	}
	return r
}

// ComputeGlobal is the part of Compute(in) of ScopeGlobal: the flows of
// no network, by bridge.
func ComputeGlobal(in Input) (brint, brtun []Entry) {
	m := newModel(in)
	if !m.ready() {
		return nil, nil
	}
	return Entries(m.dedupe(m.intGlobal())), Entries(m.dedupe(m.tunGlobal()))
}
