package main

import (
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// A connection error names each endpoint once (it named the list, then
// each member again).
func TestMainConnectErrorNamesEachEndpointOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b, c := dir+"/a.sock", dir+"/b.sock", dir+"/c.sock"
	r := ovsdbtest.RunNbctl(t, "--db=unix:"+a, "ls-list")
	mustFail(t, r, "unix:"+a+": database connection failed (connect: no such file or directory)")
	r = ovsdbtest.RunNbctl(t, "--db=unix:"+a+",unix:"+b+",unix:"+c, "ls-list")
	mustFail(t, r, "database connection failed: unix:"+a+" (connect: no such file or directory); unix:"+b+" (")
	for _, p := range []string{a, b, c} {
		if n := strings.Count(r.Stderr, p); n != 1 {
			t.Errorf("%s named %d times: %s", p, n, r.Stderr)
		}
	}
}
