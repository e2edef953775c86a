package flows

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under ovsdb-fixtures/chassis/flows")

const goldenDir = "../../ovsdb-fixtures/chassis/flows"

// TestGoldenSeed compares each chassis' desired flows for the seed
// topology with ovsdb-fixtures/chassis/flows/<chassis>.flows.
func TestGoldenSeed(t *testing.T) {
	s := seed()
	for _, ch := range chassisNames(s) {
		t.Run(ch, func(t *testing.T) {
			in := s.input(ch)
			got := golden(in, Compute(in))
			file := filepath.Join(goldenDir, "seed-"+ch+".flows")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
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
		})
	}
}
