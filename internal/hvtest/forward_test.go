package hvtest

import (
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// A database's SSL remote on the host's loopback, forwarded into a
// hypervisor: a client there reaches it at the same address with its
// certificate checked end to end, and once the server is killed the
// client gets an error, not a hang.
func TestForwardSSLIntoHypervisor(t *testing.T) {
	t.Parallel()
	sb := ovsdbtest.StartSB(t, ovsdbtest.WithSSL())
	hv := Start(t, "hv1")
	p := sb.PKI
	listDBs := func() (string, error) {
		return hv.Exec("ovsdb-client", "--timeout=10", "-p", p.ClientKey, "-c", p.ClientCert, "-C", p.CACert, "list-dbs", sb.SSLEndpoint())
	}
	if out, err := listDBs(); err == nil {
		t.Fatalf("reached %s from the hypervisor before forwarding: %s", sb.SSLEndpoint(), out)
	}
	if err := hv.ForwardEndpoints(sb.SSLEndpoint() + ",unix:/nowhere"); err != nil {
		t.Fatal(err)
	}
	if out, err := listDBs(); err != nil || !strings.Contains(out, "OVN_Southbound") {
		t.Fatalf("list-dbs through the forward: %v: %s", err, out)
	}
	sb.KillMember(sb.Members[0])
	if out, err := listDBs(); err == nil {
		t.Fatalf("list-dbs succeeded with the server killed: %s", out)
	}
}
