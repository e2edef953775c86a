package translate

// allocate gives each owner (in order) a key in [1, max]. An owner keeps
// its previous key when that is in range and not already taken by an
// earlier owner; the others take the lowest key that no owner of the
// previous round held (so a key freed this round is not handed to a new
// owner until the next round) and nobody took now. Owners left without a
// key are returned in exhausted.
func allocate(owners []string, prev map[string]int, held map[int]bool, max int) (keys map[string]int, exhausted []string) {
	keys = make(map[string]int, len(owners))
	taken := make(map[int]bool, len(owners))
	var rest []string
	for _, o := range owners {
		if k, ok := prev[o]; ok && k >= 1 && k <= max && !taken[k] {
			keys[o] = k
			taken[k] = true
			continue
		}
		rest = append(rest, o)
	}
	next := 1
	for _, o := range rest {
		for next <= max && (taken[next] || held[next]) {
			next++
		}
		if next > max {
			exhausted = append(exhausted, o)
			continue
		}
		keys[o] = next
		taken[next] = true
		next++
	}
	return keys, exhausted
}

// heldKeys is the set of every key in prev.
func heldKeys(prev map[string]int) map[int]bool {
	h := make(map[int]bool, len(prev))
	for _, k := range prev {
		h[k] = true
	}
	return h
}
