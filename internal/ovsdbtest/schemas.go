package ovsdbtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dvr-ovn/dvr/schema"
)

// SchemaFile writes one of the embedded schemas (schema.NB or schema.SB) to
// a temp file and returns its path.
func SchemaFile(tb testing.TB, content []byte) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "schema")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "db.ovsschema")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// StartNB starts a real ovsdb-server with the project's NB schema.
func StartNB(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return Start(tb, SchemaFile(tb, schema.NB), opts...)
}

// StartSB starts a real ovsdb-server with the project's SB schema.
func StartSB(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	return Start(tb, SchemaFile(tb, schema.SB), opts...)
}

// OVNNBSchema is the real OVN NB schema installed by the ovn-central package.
const OVNNBSchema = "/usr/share/ovn/ovn-nb.ovsschema"
