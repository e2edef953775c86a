package daemon

import (
	"os"
	"runtime/debug"
)

// GCPercent sets the Go GC target percentage of a long-lived daemon whose
// heap is mostly its caches (the default, 100, lets RSS reach twice the
// live heap), unless the GOGC environment variable is set: that wins.
func GCPercent(p int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(p)
	}
}
