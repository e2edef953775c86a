package ovsdbtest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireBinaries fails the test (CI=true) or skips it (otherwise) when one
// of the named programs is not on PATH.
func RequireBinaries(tb testing.TB, names ...string) {
	tb.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("required binary %q not found on PATH (CI=true: integration tests never skip)", n)
			}
			tb.Skipf("binary %q not found on PATH", n)
		}
	}
}
