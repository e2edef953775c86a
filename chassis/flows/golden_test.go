package flows

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under ovsdb-fixtures/chassis/flows")

const goldenDir = "../../ovsdb-fixtures/chassis/flows"

// TestGoldenSeed compares each chassis' desired flows after each seed
// scenario step, as northd's SB fixture of that step describes it
// (ovsdb-fixtures/northd/<step>.sb), with
// ovsdb-fixtures/chassis/flows/<step>/<chassis>.flows. Steps before any
// chassis has a DVR MAC have no files: no chassis has a flow then.
func TestGoldenSeed(t *testing.T) {
	steps, err := filepath.Glob(filepath.Join(sbFixtures, "*.sb"))
	if err != nil || len(steps) == 0 {
		t.Fatalf("no SB fixtures in %s: %v", sbFixtures, err)
	}
	for _, sb := range steps {
		step := strings.TrimSuffix(filepath.Base(sb), ".sb")
		s, err := parseSB(sb)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chassisNames(s) {
			t.Run(step+"/"+ch, func(t *testing.T) { compareGolden(t, s, ch, filepath.Join(goldenDir, step, ch+".flows")) })
		}
	}
}

// The hand-written seed() is the 05-vms-bound fixture.
func TestSeedIsTheSBFixture(t *testing.T) {
	s, err := parseSB(filepath.Join(sbFixtures, "05-vms-bound.sb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chassisNames(s) {
		if a, b := Render(Compute(s.input(ch)).Int, false)+Render(Compute(s.input(ch)).Tun, false),
			Render(Compute(seed().input(ch)).Int, false)+Render(Compute(seed().input(ch)).Tun, false); a != b {
			t.Errorf("%s: seed() and 05-vms-bound.sb give other flows:\n%s", ch, lineDiff(a, b))
		}
	}
}

func compareGolden(t *testing.T, s topo, ch, file string) {
	{
		{
			in := s.input(ch)
			got := golden(in, Compute(in))
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./chassis/flows -run TestGoldenSeed -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (go test ./chassis/flows -run TestGoldenSeed -update, then review the diff):\n%s",
					file, lineDiff(string(want), got))
			}
		}
	}
}

// Symbolize of a computed flow's numeric entry is its Symbolic form, for
// every flow of every seed chassis: golden files compare with what a real
// hypervisor holds.
func TestSymbolizeIsSymbolic(t *testing.T) {
	s := seed()
	for _, c := range s.chassis {
		in := s.input(c.name)
		r := Compute(in)
		for _, br := range []Bridge{BrInt, BrTun} {
			names := Names{Ports: map[int32]string{}, VLANs: map[uint16]string{}}
			for _, nw := range in.Networks {
				names.VLANs[nw.VLAN] = nw.Name
			}
			if br == BrInt {
				names.Ports[in.PatchTun.OfPort] = in.PatchTun.Name
				for _, p := range in.LocalPorts {
					names.Ports[p.Port.OfPort] = p.Port.Name
				}
				for _, i := range in.Interfaces {
					if i.QR.Valid() {
						names.Ports[i.QR.OfPort] = i.QR.Name
					}
				}
			} else {
				names.Ports[in.PatchInt.OfPort] = in.PatchInt.Name
				for _, rm := range in.Remotes {
					if rm.Tunnel.Valid() {
						names.Ports[rm.Tunnel.OfPort] = rm.Tunnel.Name
					}
				}
			}
			for _, f := range r.Flows(br) {
				if g, w := Symbolize(f.Entry(), br, names), f.Symbolic(); g != w {
					t.Errorf("%s %s:\n got %s\nwant %s", c.name, br, g, w)
				}
			}
		}
	}
}
