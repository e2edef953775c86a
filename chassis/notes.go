package chassis

// notes remembers the last line logged per subject, so that a condition
// that holds round after round is logged once, and again only when it
// changes or ends.
type notes struct{ last map[string]string }

func newNotes() *notes { return &notes{last: map[string]string{}} }

// set records msg for key; it reports whether that is news.
func (n *notes) set(key, msg string) bool {
	if n.last[key] == msg {
		return false
	}
	n.last[key] = msg
	return true
}

// clear forgets key; it reports whether something was recorded.
func (n *notes) clear(key string) bool {
	_, ok := n.last[key]
	delete(n.last, key)
	return ok
}

// keep forgets every key with the prefix that is not in live, and returns
// those forgotten.
func (n *notes) keep(prefix string, live map[string]bool) []string {
	var gone []string
	for k := range n.last {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix && !live[k[len(prefix):]] {
			gone = append(gone, k[len(prefix):])
			delete(n.last, k)
		}
	}
	return gone
}
