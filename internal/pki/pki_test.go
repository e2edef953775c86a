package pki

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"testing"
)

// Every pair is signed by the one CA and carries exactly the name asked
// for as its common name (what SB RBAC matches a chassis by).
func TestSignNamesAndOneCA(t *testing.T) {
	if _, err := exec.LookPath("ovs-pki"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ovs-pki not found (CI=true: never skipped)")
		}
		t.Skip("ovs-pki not found")
	}
	dir, err := os.MkdirTemp("", "pki")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(parse(t, p.CACert))
	for _, name := range []string{"hv1", "ovsdb-server", "dvr-northd"} {
		pair, err := p.Sign(name)
		if err != nil {
			t.Fatal(err)
		}
		c := parse(t, pair.Cert)
		if c.Subject.CommonName != name {
			t.Errorf("%s: CN %q", name, c.Subject.CommonName)
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: not signed by the CA: %v", name, err)
		}
		again, err := p.Sign(name)
		if err != nil || again != pair {
			t.Errorf("%s signed twice: %+v %v", name, again, err)
		}
	}
	if _, err := p.Sign("../x"); err == nil {
		t.Error("a name with a slash was accepted")
	}
	if q, err := Open(dir); err != nil || q.CACert != p.CACert {
		t.Errorf("Open: %+v %v", q, err)
	}
}

func parse(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", file)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
