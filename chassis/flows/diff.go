package flows

import "sort"

// Changes is what turns the installed flows of one bridge into the desired
// ones.
type Changes struct {
	// Add are desired flows with no installed flow of that identity.
	Add []Entry
	// Modify are desired flows whose installed flow of the same identity
	// has other actions or another cookie. Send them as adds: an OpenFlow
	// add replaces the flow of the same identity, cookie included (a
	// modify cannot change a cookie).
	Modify []Entry
	// Delete are installed flows of ours that are not desired (send as
	// strict deletes: table, priority and match).
	Delete []Entry
	// Conflicts are desired flows whose identity an installed flow of
	// another owner (or a learned flow) holds: left alone, for the daemon
	// to log.
	Conflicts []Entry
}

// Empty reports whether nothing is to be done.
func (c Changes) Empty() bool {
	return len(c.Add)+len(c.Modify)+len(c.Delete)+len(c.Conflicts) == 0
}

// Diff compares the desired flows of a bridge with the installed ones.
// Installed flows whose cookie is not ours, and flows our learn action
// wrote (CatLearned), are never changed or deleted; desired entries of the
// learned category are ignored. Both lists are keyed by (table, priority,
// match); when a key repeats, the last entry wins. The result is sorted.
func Diff(desired, installed []Entry) Changes {
	have := make(map[Key]Entry, len(installed))
	for _, e := range installed {
		have[e.Key] = e
	}
	want := make(map[Key]Entry, len(desired))
	for _, e := range desired {
		if !e.Cookie.Learned() {
			want[e.Key] = e
		}
	}
	var c Changes
	for k, d := range want {
		h, ok := have[k]
		switch {
		case !ok:
			c.Add = append(c.Add, d)
		case !h.Cookie.Ours() || h.Cookie.Learned():
			c.Conflicts = append(c.Conflicts, d)
		case h.Actions != d.Actions || h.Cookie != d.Cookie:
			c.Modify = append(c.Modify, d)
		}
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && h.Cookie.Ours() && !h.Cookie.Learned() {
			c.Delete = append(c.Delete, h)
		}
	}
	for _, l := range [][]Entry{c.Add, c.Modify, c.Delete, c.Conflicts} {
		sortEntries(l)
	}
	return c
}

// Entries is the flows in the diff's form.
func Entries(fs []Flow) []Entry {
	es := make([]Entry, len(fs))
	for i, f := range fs {
		es[i] = f.Entry()
	}
	return es
}

func sortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool { return keyLess(es[i].Key, es[j].Key) })
}
