package chassis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// A chassis registers its rows and, with no dvr-northd (no DVR MAC), says
// why in Chassis_Private and its log (once), still reports nb_cfg, and
// builds its bridges; once northd gives it a DVR MAC the status goes.
func TestRegisterAndWaitForDVRMAC(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	ovsdbtest.Transact(t, w.sb.Endpoint(), "OVN_Southbound",
		map[string]any{"op": "insert", "table": "SB_Global", "row": map[string]any{"nb_cfg": 5}})
	c := w.hypervisors("hv1")[0]
	c.start()
	eventually(t, "registration, status and nb_cfg", func() (bool, string) {
		ch, cp, es, ok := w.chassis("hv1")
		got := fmt.Sprintf("ok=%v host=%q encaps=%+v other=%v cp.chassis=%v ids=%v nb_cfg=%d", ok, ch.Hostname, es, ch.OtherConfig,
			cp.Chassis != nil && *cp.Chassis == ch.UUID, cp.ExternalIDs, cp.NbCfg)
		return ok && len(es) == 1 && es[0].Type == sbdb.EncapTypeVxlan && es[0].IP == "192.168.0.1" && es[0].ChassisName == "hv1" &&
			ch.OtherConfig[chassis.DatapathTypeKey] == "netdev" && cp.Chassis != nil && *cp.Chassis == ch.UUID &&
			cp.ExternalIDs[chassis.StatusKey] == chassis.StatusNoMAC && cp.NbCfg == 5 && cp.NbCfgTimestamp > 0, got
	})
	// Bridges: secure, the datapath type, the patch pair with owner marks.
	for _, br := range []string{"br-int", "br-tun"} {
		if g := c.get("Bridge", br, "fail_mode"); g != "secure" {
			t.Errorf("%s fail_mode %q", br, g)
		}
		if g := c.get("Bridge", br, "datapath_type"); g != "netdev" {
			t.Errorf("%s datapath_type %q", br, g)
		}
	}
	eventually(t, "patch ports", func() (bool, string) {
		a, b := c.get("Interface", "patch-tun", "options"), c.get("Interface", "patch-int", "options")
		return a == `{peer=patch-int}` && b == `{peer=patch-tun}`, a + " " + b
	})
	for _, p := range []string{"patch-tun", "patch-int"} {
		for _, table := range []string{"Port", "Interface"} {
			if g := c.get(table, p, "external_ids:"+chassis.OwnerKey); g != `hv1` && g != `"hv1"` {
				t.Errorf("%s %s owner mark %q", table, p, g)
			}
		}
	}
	if g := strings.Join(c.ports("br-int"), " "); g != "patch-tun" {
		t.Errorf("br-int ports %q", g)
	}
	// Logged once that it waits, and why.
	time.Sleep(300 * time.Millisecond)
	if n := strings.Count(c.p.Output(), "waiting for this chassis' DVR MAC"); n != 1 {
		t.Errorf("the wait was logged %d times, want 1:\n%s", n, c.p.Output())
	}
	w.startNorthd()
	eventually(t, "the status to clear", func() (bool, string) {
		_, cp, _, _ := w.chassis("hv1")
		_, has := cp.ExternalIDs[chassis.StatusKey]
		return !has, fmt.Sprint(cp.ExternalIDs)
	})
	if !strings.Contains(c.p.Output(), "has its DVR MAC") {
		t.Errorf("no log line for the DVR MAC:\n%s", c.p.Output())
	}
}
