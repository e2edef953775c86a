package trace

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// Trace is the text of one `ovs-appctl ofproto/trace` (OVS 3.1), split
// into what it says.
type Trace struct {
	Flow     string // the "Flow:" line: the packet as OVS read it
	Steps    []Step // every flow hit (or table miss), in order
	Final    string // "Final flow:" ("unchanged" when nothing changed)
	Megaflow string
	Datapath string   // "Datapath actions:"
	Notes    []string // lines after the datapath actions (slow path reasons, ...)
}

// Step is one table lookup: the flow it hit, or a miss.
type Step struct {
	Bridge string // from the last bridge("...") header
	Depth  int    // nesting of resubmits: 0 at the left margin
	// Parent is the index in Trace.Steps of the step whose resubmit
	// this one is nested in (-1 for none), At how many of the parent's
	// actions came before it.
	Parent, At int
	Table      uint8
	Miss       bool   // "No match."
	Match      string // the flow's match ("" for a catch-all)
	Prio       uint16
	Cookie     flows.Cookie // 0 when OVS printed none (cookie 0)
	// Actions are the flow's action lines, each with the notes OVS
	// printed under it ("-> output to native tunnel", ">> ...").
	Actions []Action
}

// Action is one action line of a step.
type Action struct {
	Text  string
	Notes []string
}

var (
	reBridge = regexp.MustCompile(`^bridge\("([^"]+)"\)$`)
	reStep   = regexp.MustCompile(`^( *)(\d+)\. (.*)$`)
	reHit    = regexp.MustCompile(`^(?:(.*), )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$`)
)

// Parse reads ofproto/trace output. An output without "Datapath
// actions:" is not a trace (OVS printed an error instead): its first
// line is the error.
func Parse(text string) (*Trace, error) {
	t := &Trace{}
	bridge := ""
	// open holds the steps whose actions may still follow, innermost
	// last, with the indent of their step line: an action line belongs
	// to the innermost one indented less than itself.
	type open struct{ step, indent int }
	var stack []open
	done := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case done:
			if trimmed != "" {
				t.Notes = append(t.Notes, trimmed)
			}
		case strings.HasPrefix(line, "Flow: "):
			t.Flow = strings.TrimPrefix(line, "Flow: ")
		case reBridge.MatchString(line):
			bridge, stack = reBridge.FindStringSubmatch(line)[1], nil
		case strings.HasPrefix(line, "Final flow: "):
			t.Final, stack = strings.TrimPrefix(line, "Final flow: "), nil
		case strings.HasPrefix(line, "Megaflow: "):
			t.Megaflow = strings.TrimPrefix(line, "Megaflow: ")
		case strings.HasPrefix(line, "Datapath actions: "):
			t.Datapath, done = strings.TrimPrefix(line, "Datapath actions: "), true
		case trimmed == "" || strings.Trim(trimmed, "-") == "":
		case reStep.MatchString(line):
			m := reStep.FindStringSubmatch(line)
			s, err := parseStep(bridge, len(m[1]), m[2], m[3])
			if err != nil {
				return nil, err
			}
			for len(stack) > 0 && stack[len(stack)-1].indent >= len(m[1]) {
				stack = stack[:len(stack)-1]
			}
			s.Parent = -1
			if len(stack) > 0 {
				s.Parent = stack[len(stack)-1].step
				s.At = len(t.Steps[s.Parent].Actions)
			}
			t.Steps = append(t.Steps, s)
			stack = append(stack, open{len(t.Steps) - 1, len(m[1])})
		default:
			indent := len(line) - len(strings.TrimLeft(line, " "))
			for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				continue // text outside any flow
			}
			cur := &t.Steps[stack[len(stack)-1].step]
			if n := len(cur.Actions); n > 0 && (strings.HasPrefix(trimmed, "->") || strings.HasPrefix(trimmed, ">>")) {
				cur.Actions[n-1].Notes = append(cur.Actions[n-1].Notes, trimmed)
			} else {
				cur.Actions = append(cur.Actions, Action{Text: trimmed})
			}
		}
	}
	if !done {
		msg, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
		if msg == "" {
			msg = "empty output"
		}
		return nil, errors.New(msg)
	}
	return t, nil
}

func parseStep(bridge string, indent int, table, rest string) (Step, error) {
	n, err := strconv.ParseUint(table, 10, 8)
	if err != nil {
		return Step{}, errors.New("bad table number in trace line: " + table + ". " + rest)
	}
	s := Step{Bridge: bridge, Depth: depth(indent), Table: uint8(n)}
	if strings.HasPrefix(rest, "No match") {
		s.Miss = true
		return s, nil
	}
	m := reHit.FindStringSubmatch(rest)
	if m == nil {
		return Step{}, errors.New("cannot read trace line: " + table + ". " + rest)
	}
	p, _ := strconv.ParseUint(m[2], 10, 16)
	s.Match, s.Prio = m[1], uint16(p)
	if m[3] != "" {
		c, err := strconv.ParseUint(m[3], 0, 64)
		if err != nil {
			return Step{}, err
		}
		s.Cookie = flows.Cookie(c)
	}
	return s, nil
}

// depth is the resubmit nesting: OVS indents a table number of 1-2
// digits by 4 per level (" 0." and "60." both sit at level 0).
func depth(indent int) int { return (indent + 1) / 4 }
