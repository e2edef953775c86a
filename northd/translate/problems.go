package translate

import "sort"

type problems struct{ list []Problem }

func (p *problems) add(table, name, reason string) {
	p.list = append(p.list, Problem{Table: table, Name: name, Reason: reason})
}

func (p *problems) sorted() []Problem {
	sort.Slice(p.list, func(i, j int) bool {
		a, b := p.list[i], p.list[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Reason < b.Reason
	})
	return p.list
}
