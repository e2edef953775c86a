package trace

import (
	"fmt"
	"strings"
)

// Text renders the report for an operator: the packet, one block per
// bridge (a hit a line, its actions under it), OVS's final flow and
// datapath actions, then where the packet left or where it was dropped.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "packet: %s\n", r.Packet)
	for _, bl := range r.Blocks {
		fmt.Fprintf(&b, "\n%s\n", bl.Bridge)
		for _, h := range bl.Hits {
			if h.Parent < 0 || !inBlock(bl, h.Parent) {
				writeHit(&b, bl, h)
			}
		}
	}
	fmt.Fprintf(&b, "\nfinal flow: %s\n", r.Final)
	fmt.Fprintf(&b, "datapath actions: %s\n", r.Datapath)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	b.WriteString("\n")
	for _, e := range r.Exits {
		fmt.Fprintf(&b, "=> %s\n", e.Text)
	}
	for _, d := range r.Drops {
		verb := "a copy was dropped"
		if len(r.Exits) == 0 {
			verb = "dropped"
		}
		fmt.Fprintf(&b, "=> %s in %s by %s\n", verb, d.where(), d.flowWords())
	}
	if len(r.Exits) == 0 && len(r.Drops) == 0 {
		b.WriteString("=> dropped (no flow output it)\n")
	}
	return b.String()
}

func inBlock(bl Block, step int) bool {
	for _, h := range bl.Hits {
		if h.Index == step {
			return true
		}
	}
	return false
}

// writeHit writes a hit, its actions and, after the action that
// resubmitted to them, the hits nested in it.
func writeHit(b *strings.Builder, bl Block, h Hit) {
	ind := "  " + strings.Repeat("    ", h.Depth)
	fmt.Fprintf(b, "%s%s\n", ind, h.line())
	if h.Match != "" {
		fmt.Fprintf(b, "%s    match %s\n", ind, h.Match)
	}
	children := func(at int) {
		for _, c := range bl.Hits {
			if c.Parent == h.Index && c.At == at {
				writeHit(b, bl, c)
			}
		}
	}
	for i, a := range h.Actions {
		if a.Text != "" {
			fmt.Fprintf(b, "%s    %s\n", ind, a.Text)
		}
		for _, n := range a.Notes {
			fmt.Fprintf(b, "%s      %s\n", ind, n)
		}
		children(i + 1)
	}
	if len(h.Actions) == 0 {
		children(0)
	}
}

// line: "table DVR_PROCESS(1) prio 2  [router-port(datapath=2,port=1) → Port_Binding r1-sw1 (...)]  purpose".
func (h Hit) line() string {
	if h.Miss {
		return fmt.Sprintf("table %s  no match: drop", h.Table)
	}
	s := fmt.Sprintf("table %s prio %d  [%s]", h.tableWord(), h.Prio, h.tag())
	if h.Purpose != "" {
		s += "  " + h.Purpose
	}
	return s
}

func (h Hit) tableWord() string { return strings.TrimPrefix(h.Table, "table ") }

func (h Hit) tag() string {
	var parts []string
	if h.Owner != "" && h.Owner != "learned" {
		parts = append(parts, h.Owner)
	}
	parts = append(parts, h.Object)
	s := strings.Join(parts, ", ")
	if h.Row != "" {
		s += " → " + h.Row
	}
	return s
}

func (h Hit) where() string { return h.Bridge + " " + h.tableWord() }

// flowWords: "the flow prio 2 dl_vlan=..., [router-port(...) → ...]", or
// "a table miss".
func (h Hit) flowWords() string {
	if h.Miss {
		return "a table miss (no flow matched)"
	}
	s := fmt.Sprintf("the flow prio %d", h.Prio)
	if h.Match != "" {
		s += " " + h.Match
	}
	s += " [" + h.tag() + "]"
	for _, a := range h.Actions {
		for _, n := range a.Notes {
			if strings.Contains(n, "dropping") {
				s += ": " + strings.Trim(n, "<>> ")
			}
		}
	}
	return s
}
