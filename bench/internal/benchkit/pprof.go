package benchkit

import (
	"fmt"
	"os/exec"
	"strings"
)

// PprofTop is `go tool pprof -top` of a profile file, its first nodes
// entries, without the header lines that name the file and the build;
// flags go to pprof before the file (e.g. -sample_index=inuse_space).
func PprofTop(file string, nodes int, flags ...string) string {
	args := append(append([]string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", nodes)}, flags...), file)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof: %v: %s", err, out)
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Time:") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}
