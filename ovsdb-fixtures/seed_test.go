package fixtures

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the seed's nb.json and placement.json from Seed()")

func TestSeedValid(t *testing.T) {
	if err := Seed().Validate(); err != nil {
		t.Fatal(err)
	}
	want := Placement{"hv1": {"vm11", "vm21"}, "hv2": {"vm12"}, "hv3": {"vm22"}}
	if got := SeedPlacement(); !reflect.DeepEqual(got, want) {
		t.Fatalf("placement %v", got)
	}
}

// nb.json and placement.json are the JSON forms of Seed(); `go test
// ./ovsdb-fixtures -run Golden -update` rewrites them.
func TestSeedGoldenFiles(t *testing.T) {
	nb, err := MarshalNBJSON(SeedNB())
	if err != nil {
		t.Fatal(err)
	}
	pl, err := json.MarshalIndent(SeedPlacement(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	pl = append(pl, '\n')
	for name, want := range map[string][]byte{"seed/nb.json": nb, "seed/placement.json": pl} {
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := SeedFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from Seed() (run go test ./ovsdb-fixtures -run Golden -update):\n got:\n%s\nwant:\n%s",
				name, got, want)
		}
	}
	// placement.json decodes to the Go placement.
	var p Placement
	b, _ := SeedFiles.ReadFile("seed/placement.json")
	if err := json.Unmarshal(b, &p); err != nil || !reflect.DeepEqual(p, SeedPlacement()) {
		t.Fatalf("placement.json: %v %v", p, err)
	}
}

// recordArgs runs a seed script with a fake nbctl that records its
// arguments, and returns one argument list per invocation.
func recordArgs(t *testing.T, script, envVar string, extra ...string) [][]string {
	t.Helper()
	dir := t.TempDir()
	fake := filepath.Join(dir, "nbctl")
	log := filepath.Join(dir, "args")
	body := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\037' \"$a\" >>" + log + "; done\necho >>" + log + "\n"
	if err := os.WriteFile(fake, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{filepath.Join("seed", script)}, extra...)...)
	cmd.Env = append(os.Environ(), envVar+"="+fake)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		calls = append(calls, strings.Split(strings.TrimSuffix(line, "\x1f"), "\x1f"))
	}
	return calls
}

// commands splits an argument list on "--" into sorted commands.
func commands(args []string) []string {
	var out []string
	for _, c := range strings.Split(strings.Join(args, "\x1f"), "\x1f--\x1f") {
		out = append(out, strings.ReplaceAll(c, "\x1f", " | "))
	}
	slices.Sort(out)
	return out
}

// The scripts issue the same commands as the batch renderers on Seed(), in
// one transaction after init, and pass global options through.
func TestSeedScriptsMatchRenderers(t *testing.T) {
	for _, c := range []struct {
		script, env string
		batches     [][]string
	}{
		{"seed.sh", "DVR_NBCTL", NbctlBatches(Seed())},
		{"seed-ovn.sh", "OVN_NBCTL", OVNNbctlBatches(Seed())},
	} {
		calls := recordArgs(t, c.script, c.env, "--db=unix:/x", "--wait=sb")
		if len(calls) != 2 || !slices.Equal(calls[0], []string{"--db=unix:/x", "--wait=sb", "init"}) {
			t.Fatalf("%s: calls %q", c.script, calls)
		}
		if !slices.Equal(calls[1][:2], []string{"--db=unix:/x", "--wait=sb"}) {
			t.Fatalf("%s: global options not passed: %q", c.script, calls[1])
		}
		got, want := commands(calls[1][2:]), commands(c.batches[0])
		if !slices.Equal(got, want) {
			t.Errorf("%s commands:\n got %q\nwant %q", c.script, got, want)
		}
	}
}
