package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseDump reads `ovs-ofctl -O OpenFlow13 --no-names --no-stats
// dump-flows` output into entries, for tests and debugging (the daemon
// reads flows back over OpenFlow). Timeouts and other header fields are
// not part of an entry; lines that are not flows (a reply header) are
// skipped.
func ParseDump(text string) ([]Entry, error) {
	var es []Entry
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "OFPST_") || strings.HasPrefix(line, "NXST_") {
			continue
		}
		head, actions, ok := strings.Cut(line, " actions=")
		if !ok {
			return nil, fmt.Errorf("no actions in %q", line)
		}
		e := Entry{Actions: actions}
		prio := false
		for _, seg := range strings.Split(head, ", ") {
			k, v, _ := strings.Cut(seg, "=")
			switch k {
			case "cookie":
				c, err := strconv.ParseUint(v, 0, 64)
				if err != nil {
					return nil, fmt.Errorf("cookie in %q: %w", line, err)
				}
				e.Cookie = Cookie(c)
			case "table":
				t, err := strconv.ParseUint(v, 10, 8)
				if err != nil {
					return nil, fmt.Errorf("table in %q: %w", line, err)
				}
				e.Table = uint8(t)
			case "priority":
				p, match, _ := strings.Cut(v, ",")
				n, err := strconv.ParseUint(p, 10, 16)
				if err != nil {
					return nil, fmt.Errorf("priority in %q: %w", line, err)
				}
				e.Priority, e.Match, prio = uint16(n), match, true
			}
		}
		if !prio {
			// OVS omits priority=32768 (the default) and prints the match
			// as the last segment.
			segs := strings.Split(head, ", ")
			last := segs[len(segs)-1]
			if k, _, _ := strings.Cut(last, "="); k == "cookie" || k == "table" || strings.HasSuffix(k, "_timeout") {
				last = ""
			}
			e.Priority, e.Match = 32768, last
		}
		es = append(es, e)
	}
	return es, nil
}
