package chassis_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// The seed scenario with NB and SB as 3-member RAFT clusters, every
// program given the comma list of the members, and a RAFT leader killed
// -9 at most steps, right after the step's NB change and before its
// --wait=hv (dvr-northd is translating it, the chassis are applying it):
// the SB leader at five steps, the NB leader at two. Each step must
// still end exactly as without kills: every chassis holds the golden
// flows and router namespaces, the ports it serves are up, the routed
// and switched packets of the plain scenario get through, and no SB row
// is duplicated. The killed member is started again (and rejoins) before
// the next kill of its database, so the cluster always has a majority.
func TestSeedScenarioSurvivesLeaderKills(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true, clusters())
	kills := map[string]string{
		"02-interfaces-added":  "nb",
		"03-vms-added":         "sb",
		"04-chassis-added":     "sb",
		"05-vms-bound":         "sb",
		"06-vm-removed":        "nb",
		"07-interface-removed": "sb",
		"08-chassis-removed":   "sb",
	}
	killed := map[string]*ovsdbtest.Member{}
	seedScenario(t, w, func(step string) {
		if step != "01-router-created" {
			w.noDuplicates(step)
		}
		db := kills[step]
		if db == "" {
			return
		}
		s := w.nb
		if db == "sb" {
			s = w.sb
		}
		if m := killed[db]; m != nil {
			if err := s.RestartMember(m); err != nil {
				t.Fatal(err)
			}
			if err := s.WaitLeader(30 * time.Second); err != nil {
				t.Fatal(err)
			}
		}
		l := s.Leader()
		if l == nil {
			t.Fatalf("%s: no %s leader to kill", step, db)
		}
		s.KillMember(l)
		killed[db] = l
		t.Logf("%s: killed the %s leader m%d (pid gone) before --wait=hv", step, strings.ToUpper(db), l.Index)
		if db == "sb" {
			// The test's own reader may have been on it.
			w.sbc = ovsdbtest.SBClient(t, w.sb.RunningEndpoint(), ovsdbtest.MonitorAll())
		}
	})
	w.noDuplicates("the end")
	if !w.northd.Running() {
		t.Fatalf("dvr-northd exited:\n%s", w.northd.Output())
	}
}

// noDuplicates fails the test when an SB row that must be unique is not:
// one Chassis, Chassis_Private and DVR_MAC_Binding per chassis name, one
// Encap per Chassis, one Port_Binding per logical port, one
// Datapath_Binding per NB switch or router.
func (w *world) noDuplicates(when string) {
	w.t.Helper()
	ep := w.sb.RunningEndpoint()
	count := func(table, key string, get func(map[string]any) string) {
		seen := map[string]int{}
		for _, r := range ovsdbtest.SelectRows(w.t, ep, "OVN_Southbound", table) {
			seen[get(r)]++
		}
		var dups []string
		for k, n := range seen {
			if n > 1 {
				dups = append(dups, fmt.Sprintf("%s ×%d", k, n))
			}
		}
		sort.Strings(dups)
		if len(dups) > 0 {
			w.t.Errorf("%s: %s rows duplicated by %s: %v", when, table, key, dups)
		}
	}
	str := func(col string) func(map[string]any) string {
		return func(r map[string]any) string { return fmt.Sprint(r[col]) }
	}
	count("Chassis", "name", str("name"))
	count("Chassis_Private", "name", str("name"))
	count("DVR_MAC_Binding", "chassis_name", str("chassis_name"))
	count("Port_Binding", "logical_port", str("logical_port"))
	count("Encap", "chassis_name", str("chassis_name"))
	count("Datapath_Binding", "external_ids:name", func(r map[string]any) string {
		return ovsdbtest.StringMap(r["external_ids"])["name"]
	})
}
