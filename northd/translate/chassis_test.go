package translate_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/northd/translate"
)

func TestCheckChassis(t *testing.T) {
	vx := func(ip string) []translate.Encap { return []translate.Encap{{Type: "vxlan", IP: ip}} }
	rows := []translate.ChassisRow{
		{UUID: "u1", Name: "hv1", Encaps: vx("192.0.2.1")},
		{UUID: "u2", Name: "hv2", Encaps: []translate.Encap{{Type: "geneve", IP: "192.0.2.2"}, {Type: "vxlan", IP: "2001:db8::2"}}},
		{UUID: "u3", Name: "", Encaps: vx("192.0.2.3")},
		{UUID: "u4", Name: "geneve-only", Encaps: []translate.Encap{{Type: "geneve", IP: "192.0.2.4"}}},
		{UUID: "u5", Name: "no-encap"},
		{UUID: "u6", Name: "bad-ip", Encaps: vx("192.0.2.300")},
		{UUID: "u7", Name: "zero-ip", Encaps: vx("0.0.0.0")},
		{UUID: "u8", Name: "mcast-ip", Encaps: vx("239.1.1.1")},
	}
	names, ps := translate.CheckChassis(rows)
	if !slices.Equal(names, []string{"hv1", "hv2"}) {
		t.Fatalf("valid chassis %v", names)
	}
	want := map[string]string{"(uuid u3)": "empty name", "geneve-only": "no vxlan Encap", "no-encap": "no vxlan Encap",
		"bad-ip": `"192.0.2.300"`, "zero-ip": `"0.0.0.0"`, "mcast-ip": `"239.1.1.1"`}
	if len(ps) != len(want) {
		t.Fatalf("problems %v", ps)
	}
	for _, p := range ps {
		if p.Table != "Chassis" || !strings.Contains(p.Reason, want[p.Name]) || want[p.Name] == "" {
			t.Fatalf("problem %+v", p)
		}
	}
	// A bad chassis gets no DVR MAC and hosts nothing.
	in := seedInput()
	in.Chassis, in.ChassisProblems = translate.CheckChassis(append(rows, translate.ChassisRow{UUID: "u9", Name: "hv3", Encaps: vx("192.0.2.9")}))
	in.Claims["vm11"] = translate.Claim{Chassis: "bad-ip", Up: true}
	out := translate.Translate(in)
	if _, ok := out.DVRMACs["bad-ip"]; ok {
		t.Fatal("a bad chassis got a DVR MAC")
	}
	for h := range out.Hosting {
		if h.Chassis == "bad-ip" {
			t.Fatal("a bad chassis hosts a router")
		}
	}
	if len(out.Problems) < len(want) {
		t.Fatalf("chassis problems not reported: %v", out.Problems)
	}
}
