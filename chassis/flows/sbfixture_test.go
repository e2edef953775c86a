package flows

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The SB fixtures northd's scenario tests write (ovsdb-fixtures/northd/*.sb),
// read back into a topology, so the chassis' golden files follow what
// northd really writes.
const sbFixtures = "../../ovsdb-fixtures/northd"

var (
	reMACB = regexp.MustCompile(`^DVR_MAC_Binding (\S+) mac=(\S+)$`)
	reRB   = regexp.MustCompile(`^DVR_Router_Binding (\S+) chassis=(\S+)$`)
	reDPB  = regexp.MustCompile(`^Datapath_Binding (\S+) key=(\d+) external_ids=\{(.*)\}$`)
	rePB   = regexp.MustCompile(`^Port_Binding (\S+)/(\S+) key=(\d+) type="([^"]*)" mac=\[(.*)\] options=\{(.*)\} external_ids=\{.*\} chassis=(\S+) up=\S+$`)
)

// parseSB reads one .sb fixture. Chassis are those with a DVR MAC; their
// encap IP is 192.168.0.N for chassis hvN (the SB fixtures carry no Encap).
func parseSB(file string) (topo, error) {
	f, err := os.Open(file)
	if err != nil {
		return topo{}, err
	}
	defer f.Close()
	t := topo{hosted: map[string][]string{}}
	nets := map[string]uint32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case reMACB.MatchString(line):
			m := reMACB.FindStringSubmatch(line)
			n, _ := strconv.Atoi(strings.TrimPrefix(m[1], "hv"))
			t.chassis = append(t.chassis, tChassis{m[1], m[2], fmt.Sprintf("192.168.0.%d", n)})
		case reRB.MatchString(line):
			m := reRB.FindStringSubmatch(line)
			t.hosted[m[1]] = append(t.hosted[m[1]], m[2])
		case reDPB.MatchString(line):
			m := reDPB.FindStringSubmatch(line)
			if strings.Contains(m[3], "logical-switch=") {
				k, _ := strconv.Atoi(m[2])
				nets[m[1]] = uint32(k)
				t.nets = append(t.nets, Network{Name: m[1], Key: uint32(k)})
			}
		case rePB.MatchString(line):
			m := rePB.FindStringSubmatch(line)
			dp, ok := nets[m[1]]
			if !ok {
				return topo{}, fmt.Errorf("%s: port on unknown switch %q", file, m[1])
			}
			key, _ := strconv.Atoi(m[3])
			words := strings.Fields(strings.Trim(m[5], `"`))
			if len(words) == 0 {
				return topo{}, fmt.Errorf("%s: port %s has no mac", file, m[2])
			}
			switch m[4] {
			case "distributed-router-interface":
				router := strings.TrimPrefix(m[6], "router=")
				t.ifaces = append(t.ifaces, Interface{Name: m[2], Network: dp, Key: uint16(key), MAC: words[0],
					Addrs: words[1:], Router: router})
			case "":
				if m[7] != "-" {
					t.vms = append(t.vms, tVM{m[2], dp, uint16(key), words[0], words[1:], m[7]})
				}
			}
		default:
			return topo{}, fmt.Errorf("%s: cannot read %q", file, line)
		}
	}
	return t, sc.Err()
}
