package pki

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
)

// PKI is a certificate authority made by ovs-pki, and where it signs.
type PKI struct {
	// Dir holds the CA (Dir/ca, ovs-pki's -d) and every signed pair.
	Dir string
	// CACert is the CA certificate every side verifies its peer with
	// (--ca-cert of ovsdb-server and of every program).
	CACert string
	mu     sync.Mutex // ovs-pki keeps state (serial numbers) in Dir/ca
}

// Pair is a private key and the certificate the CA signed for it.
type Pair struct {
	Name string // the certificate's common name
	Key  string // NAME-privkey.pem (--private-key)
	Cert string // NAME-cert.pem (--certificate)
}

// New makes a fresh CA in dir (created if missing; a CA already there is
// replaced).
func New(dir string) (*PKI, error) {
	if _, err := exec.LookPath("ovs-pki"); err != nil {
		return nil, fmt.Errorf("ovs-pki not found (Debian package openvswitch-pki): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	p := &PKI{Dir: abs, CACert: filepath.Join(abs, "ca", "switchca", "cacert.pem")}
	if err := p.run("init", "--force"); err != nil {
		return nil, err
	}
	return p, nil
}

// Open uses the CA that New made in dir earlier.
func Open(dir string) (*PKI, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	p := &PKI{Dir: abs, CACert: filepath.Join(abs, "ca", "switchca", "cacert.pem")}
	if _, err := os.Stat(p.CACert); err != nil {
		return nil, fmt.Errorf("no CA in %s: %w", dir, err)
	}
	return p, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Sign makes a key and a certificate with common name name, signed by the
// CA (ovs-pki -u req+sign NAME switch), or returns the pair made before
// under that name.
func (p *PKI) Sign(name string) (Pair, error) {
	if !validName.MatchString(name) {
		return Pair{}, fmt.Errorf("certificate name %q: use letters, digits, '.', '_' and '-'", name)
	}
	base := filepath.Join(p.Dir, name)
	pair := Pair{Name: name, Key: base + "-privkey.pem", Cert: base + "-cert.pem"}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := os.Stat(pair.Cert); err == nil {
		return pair, nil
	}
	// A bare name, run in Dir: ovs-pki puts its argument, a path
	// included, into the common name.
	if err := p.run("-u", "req+sign", name, "switch"); err != nil {
		return Pair{}, err
	}
	return pair, nil
}

func (p *PKI) run(args ...string) error {
	all := append([]string{"-d", filepath.Join(p.Dir, "ca"), "-l", filepath.Join(p.Dir, "ovs-pki.log")}, args...)
	cmd := exec.Command("ovs-pki", all...)
	cmd.Dir = p.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ovs-pki %v: %v: %s", args, err, out)
	}
	return nil
}
