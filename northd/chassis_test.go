package northd

import (
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// TestBadChassisRows: a Chassis without a vxlan Encap, with an encap IP
// that is not an IP address, or with an empty name is logged and gets no
// DVR MAC and no router hosting (its claims count for nothing) until it
// is fixed.
func TestBadChassisRows(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.sbctl("chassis-add", "hv4", "geneve", "192.168.0.4")
	e.sbctl("chassis-add", "hv5", "vxlan", "not-an-ip")
	e.rawSB(
		ovsdb.Operation{Op: "insert", Table: "Encap", UUIDName: "en", Row: ovsdb.Row{"type": "vxlan", "ip": "192.168.0.6", "chassis_name": ""}},
		ovsdb.Operation{Op: "insert", Table: "Chassis", Row: ovsdb.Row{"name": "", "encaps": ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "en"}}}}},
	)
	e.sbctl("lsp-unbind", "vm12")
	e.sbctl("lsp-bind", "vm12", "hv4")
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("bad chassis")
	sb := e.canonical()
	for _, bad := range []string{"DVR_MAC_Binding hv4 ", "DVR_MAC_Binding hv5 ", "DVR_MAC_Binding  ", "chassis=hv4\n", "chassis=hv5\n", "chassis=\n"} {
		if strings.Contains(sb, bad) {
			t.Fatalf("a bad chassis got %q:\n%s", bad, sb)
		}
	}
	waitFor(t, "the bad chassis logged", func() bool {
		l := a.logText()
		return strings.Contains(l, "no vxlan Encap") && strings.Contains(l, `not-an-ip`) && strings.Contains(l, "is not a unicast IP address") &&
			strings.Contains(l, "empty name") && strings.Contains(l, "row=hv4") && strings.Contains(l, "row=hv5")
	})
	// Fixed: hv4 gets a vxlan encap.
	e.sbctl("chassis-del", "hv4")
	e.sbctl("chassis-add", "hv4", "vxlan", "192.168.0.4")
	e.sbctl("lsp-bind", "vm12", "hv4")
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("hv4 fixed")
	sb = e.canonical()
	if !strings.Contains(sb, "DVR_MAC_Binding hv4 ") {
		t.Fatalf("hv4 got no DVR MAC once fixed:\n%s", sb)
	}
	if !strings.Contains(a.logText(), "no longer skipped") {
		t.Fatal("the fix was not logged")
	}
}
