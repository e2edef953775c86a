package fixtures

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// nbJSON reads the topology tables of the NB at endpoint in fixture form.
func nbJSON(t testing.TB, endpoint string) string {
	t.Helper()
	rows, err := ReadNB(testCtx(t), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalNBJSON(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantJSON(t testing.TB, topo Topology) string {
	t.Helper()
	b, err := MarshalNBJSON(topo.NBRows())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runNbctl runs one nbctl invocation against endpoint.
func runNbctl(t testing.TB, prog, endpoint string, args ...string) string {
	t.Helper()
	cmd := exec.Command(prog, append([]string{"--db=" + endpoint}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// dvrNbctl is the repo's built dvr-nbctl. `make test` builds it first; a
// plain `go test` without it skips (CI=true fails instead).
func dvrNbctl(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "bin", "dvr-nbctl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (make build)", p)
		}
		t.Skipf("%s missing: run make build", p)
	}
	return p
}

// The ovn-nbctl seed script builds exactly nb.json in our NB.
func TestSeedOVNScriptBuildsSeedNB(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovn-nbctl")
	nb := ovsdbtest.StartNB(t)
	cmd := exec.Command("bash", "seed/seed-ovn.sh", "--db="+nb.Endpoint())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed-ovn.sh: %v\n%s", err, out)
	}
	want, _ := SeedFiles.ReadFile("seed/nb.json")
	if got := nbJSON(t, nb.Endpoint()); got != string(want) {
		t.Fatalf("NB after seed-ovn.sh:\n%s\nwant nb.json:\n%s", got, want)
	}
}

// The dvr-nbctl seed script builds exactly nb.json.
func TestSeedScriptBuildsSeedNB(t *testing.T) {
	prog := dvrNbctl(t)
	nb := ovsdbtest.StartNB(t)
	cmd := exec.Command("bash", "seed/seed.sh", "--db="+nb.Endpoint())
	cmd.Env = append(os.Environ(), "DVR_NBCTL="+prog)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed.sh: %v\n%s", err, out)
	}
	want, _ := SeedFiles.ReadFile("seed/nb.json")
	if got := nbJSON(t, nb.Endpoint()); got != string(want) {
		t.Fatalf("NB after seed.sh:\n%s\nwant nb.json:\n%s", got, want)
	}
}

// Loading the seed with libovsdb gives nb.json too.
func TestLoadSeed(t *testing.T) {
	nb := ovsdbtest.StartNB(t)
	if err := LoadNB(testCtx(t), nb.Endpoint(), Seed(), 0); err != nil {
		t.Fatal(err)
	}
	want, _ := SeedFiles.ReadFile("seed/nb.json")
	if got := nbJSON(t, nb.Endpoint()); got != string(want) {
		t.Fatalf("NB after Load:\n%s\nwant nb.json:\n%s", got, want)
	}
}

// The three renderers write the same rows: the ovn-nbctl batches and the
// dvr-nbctl batches (when built) give what Load inserts.
func TestBatchesMatchLoad(t *testing.T) {
	topo := MustGenerate(2, 3, 4, 2)
	want := wantJSON(t, topo)

	loaded := ovsdbtest.StartNB(t)
	if err := LoadNB(testCtx(t), loaded.Endpoint(), topo, 7); err != nil {
		t.Fatal(err)
	}
	if got := nbJSON(t, loaded.Endpoint()); got != want {
		t.Fatalf("Load:\n%s\nwant:\n%s", got, want)
	}

	t.Run("ovn-nbctl", func(t *testing.T) {
		ovsdbtest.RequireBinaries(t, "ovn-nbctl")
		nb := ovsdbtest.StartNB(t)
		runNbctl(t, "ovn-nbctl", nb.Endpoint(), "init")
		for _, b := range OVNNbctlBatches(topo) {
			runNbctl(t, "ovn-nbctl", nb.Endpoint(), b...)
		}
		if got := nbJSON(t, nb.Endpoint()); got != want {
			t.Fatalf("ovn-nbctl batches:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("dvr-nbctl", func(t *testing.T) {
		prog := dvrNbctl(t)
		nb := ovsdbtest.StartNB(t)
		runNbctl(t, prog, nb.Endpoint(), "init")
		for _, b := range NbctlBatches(topo) {
			runNbctl(t, prog, nb.Endpoint(), b...)
		}
		if got := nbJSON(t, nb.Endpoint()); got != want {
			t.Fatalf("dvr-nbctl batches:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestInsertOpsChunks(t *testing.T) {
	nb := ovsdbtest.StartNB(t)
	c, err := Connect(testCtx(t), nb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	topo := MustGenerate(2, 3, 4, 1) // units: LR+3 LRPs (4 rows), LS+5 LSPs (6 rows)
	chunks, err := InsertOps(c, topo, 10)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	total := 0
	for _, ops := range chunks {
		sizes = append(sizes, len(ops))
		total += len(ops)
	}
	// r1 (4) + ls1-1 (6) | ls1-2 | ls1-3 + r2 | ls2-1 | ls2-2 | ls2-3
	if want := []int{10, 6, 10, 6, 6, 6}; !equalInts(sizes, want) || total != 2+6+6+30 {
		t.Fatalf("chunk sizes %v (total %d); want %v", sizes, total, want)
	}
	// A unit larger than the chunk size is not split.
	chunks, err = InsertOps(c, MustGenerate(1, 1, 20, 1), 5)
	if err != nil || len(chunks) != 2 || len(chunks[1]) != 22 {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A 1,000-port topology loads in chunks into a real ovsdb-server (a
// single-node RAFT cluster, as the local default runs), and the server, asked
// through libovsdb and through ovn-nbctl, holds every row.
func TestLoad1000Ports(t *testing.T) {
	nb := ovsdbtest.StartNB(t, ovsdbtest.Clustered(1))
	topo := MustGenerate(4, 5, 50, 3) // 4 routers, 20 subnets, 1,000 VM ports
	start := time.Now()
	if err := LoadNB(testCtx(t), nb.Endpoint(), topo, 300); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded 1,000 ports (%d rows) in %v", 4+20+20+20+1000, time.Since(start))

	c, err := Connect(testCtx(t), nb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := CountRows(testCtx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{nbdb.NBGlobalTable: 1, nbdb.LogicalRouterTable: 4, nbdb.LogicalRouterPortTable: 20,
		nbdb.LogicalSwitchTable: 20, nbdb.LogicalSwitchPortTable: 1020}
	for table, w := range want {
		if n[table] != w {
			t.Errorf("%s: %d rows; want %d", table, n[table], w)
		}
	}
	// Loading again fails on the first duplicate and adds nothing.
	if err := Load(testCtx(t), c, topo, 300); err == nil || !strings.Contains(err.Error(), "constraint violation") {
		t.Errorf("second load: %v; want a constraint violation", err)
	}
	if again, _ := CountRows(testCtx(t), c); again[nbdb.LogicalSwitchPortTable] != 1020 {
		t.Errorf("after the failed reload: %v", again)
	}

	ovsdbtest.RequireBinaries(t, "ovn-nbctl")
	if lines := strings.Count(runNbctl(t, "ovn-nbctl", nb.Endpoint(), "ls-list"), "\n"); lines != 20 {
		t.Errorf("ovn-nbctl ls-list: %d switches; want 20", lines)
	}
	if lines := strings.Count(runNbctl(t, "ovn-nbctl", nb.Endpoint(), "lr-list"), "\n"); lines != 4 {
		t.Errorf("ovn-nbctl lr-list: %d routers; want 4", lines)
	}
	out := runNbctl(t, "ovn-nbctl", nb.Endpoint(), "lsp-list", "ls4-5")
	if strings.Count(out, "\n") != 51 || !strings.Contains(out, "(vm4-5-50)") || !strings.Contains(out, "(ls4-5-r4)") {
		t.Errorf("ovn-nbctl lsp-list ls4-5:\n%s", out)
	}
	if got := runNbctl(t, "ovn-nbctl", nb.Endpoint(), "lsp-get-addresses", "vm4-5-50"); got != "fa:16:3e:00:03:e7 10.0.19.59\n" {
		t.Errorf("vm4-5-50 addresses %q", got)
	}
	if got := wantJSON(t, topo); nbJSON(t, nb.Endpoint()) != got {
		t.Errorf("read back differs from the topology")
	}
}
