package ovsdbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/pki"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	members int // 0: standalone; 1 or 3: RAFT cluster
	ssl     bool
	pki     *PKI  // WithPKI: certificates made for another server
	tmpfs   int64 // >0: each member's database file on a tmpfs of this size
	// dbRemotes: the table whose connections column names more remotes
	// (WithDBRemotes); "" for none.
	dbRemotes string
}

// Clustered makes the database a RAFT cluster of n members (1 or 3).
func Clustered(n int) Option { return func(c *config) { c.members = n } }

// WithSSL adds an SSL remote to every member, with a PKI made by ovs-pki.
func WithSSL() Option { return func(c *config) { c.ssl = true } }

// WithPKI is WithSSL with the certificates of another server (its CA and
// its server and client certificates), for a deployment whose programs
// reach NB and SB with one CA certificate and one key pair, as
// dvr-northd's flags do.
func WithPKI(p *PKI) Option { return func(c *config) { c.ssl, c.pki = true, p } }

// WithDBRemotes makes every member also serve the remotes that the
// database's Connection rows name through table's connections column
// (--remote=db:DB,TABLE,connections), each with its role and read_only:
// how ovsdb-server learns an RBAC role. With WithSSL, a pssl: row uses
// the member's key and certificate and trusts the client CA (PKI.Sign).
func WithDBRemotes(table string) Option { return func(c *config) { c.dbRemotes = table } }

// Server is a running database: one ovsdb-server process per member.
type Server struct {
	Dir     string    // temp dir holding sockets, pid files, logs, db files
	Name    string    // database name from the schema
	Members []*Member // one for standalone
	PKI     *PKI      // nil without WithSSL
	tb      testing.TB
	schema  string
	// dbRemotes is config.dbRemotes.
	dbRemotes string
}

// Member is one ovsdb-server process.
type Member struct {
	Index    int
	Dir      string
	Socket   string // unix socket path
	Ctl      string // unixctl socket path
	SSLPort  int    // 0 without SSL
	RaftAddr string // "" for standalone
	DBFile   string
	cmd      *exec.Cmd
	exited   chan struct{}
	args     []string
	// dataMount is the tmpfs holding DBFile (OnTmpfs), "" otherwise.
	dataMount string
}

// PKI holds the certificate files made by ovs-pki (internal/pki): one CA
// signs the server's certificate, the client's, and any more that Sign
// makes (a chassis certificate with CN = the chassis name, say), so
// CACert and ClientCACert are the same file.
type PKI struct {
	Dir          string
	ServerKey    string
	ServerCert   string
	ClientKey    string
	ClientCert   string
	CACert       string // CA that signed the server: clients verify with it
	ClientCACert string // CA that signed the clients: the server verifies with it
	CA           *pki.PKI
}

// Sign makes (once) a key and certificate with common name name, signed
// by the server's CA.
func (p *PKI) Sign(name string) (pki.Pair, error) { return p.CA.Sign(name) }

// ClientFlags are the SSL flags of every program of this project
// (--private-key, --certificate, --ca-cert) with the client certificate.
func (p *PKI) ClientFlags() []string {
	return []string{"--private-key=" + p.ClientKey, "--certificate=" + p.ClientCert, "--ca-cert=" + p.CACert}
}

// Endpoint is the comma list of every member's unix remote, as clients take it.
func (s *Server) Endpoint() string {
	var eps []string
	for _, m := range s.Members {
		eps = append(eps, "unix:"+m.Socket)
	}
	return strings.Join(eps, ",")
}

// SSLEndpoint is the comma list of every member's SSL remote.
func (s *Server) SSLEndpoint() string {
	var eps []string
	for _, m := range s.Members {
		eps = append(eps, fmt.Sprintf("ssl:127.0.0.1:%d", m.SSLPort))
	}
	return strings.Join(eps, ",")
}

// Start runs a real ovsdb-server serving schemaFile and registers its stop
// with tb.Cleanup. It returns once every member accepts connections (and, for
// a cluster, once a leader is elected).
func Start(tb testing.TB, schemaFile string, opts ...Option) *Server {
	tb.Helper()
	RequireBinaries(tb, "ovsdb-server", "ovsdb-tool", "ovs-appctl")
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.ssl {
		RequireBinaries(tb, "ovs-pki")
	}
	if cfg.tmpfs > 0 && os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			tb.Fatal("OnTmpfs needs root (mount)")
		}
		tb.Skip("OnTmpfs needs root (mount)")
	}
	dir, err := os.MkdirTemp("", "odb")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Dir: dir, tb: tb, schema: schemaFile, dbRemotes: cfg.dbRemotes}
	tb.Cleanup(s.Stop)
	name, err := schemaName(schemaFile)
	if err != nil {
		tb.Fatal(err)
	}
	s.Name = name
	if cfg.pki != nil {
		s.PKI = cfg.pki
	} else if cfg.ssl {
		s.PKI, err = makePKI(filepath.Join(dir, "pki"))
		if err != nil {
			tb.Fatal(err)
		}
	}
	n := cfg.members
	if n == 0 {
		n = 1
	}
	for i := 0; i < n; i++ {
		m := &Member{Index: i, Dir: filepath.Join(dir, fmt.Sprintf("m%d", i))}
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		m.Socket = filepath.Join(m.Dir, "db.sock")
		m.Ctl = filepath.Join(m.Dir, "db.ctl")
		m.DBFile = filepath.Join(m.Dir, "db.db")
		if cfg.tmpfs > 0 {
			if err := m.mountData(cfg.tmpfs); err != nil {
				tb.Fatal(err)
			}
		}
		if cfg.ssl {
			m.SSLPort = freePort(tb)
		}
		if cfg.members > 0 {
			// With SSL the RAFT links are SSL too (the server's
			// certificate on both ends): every connection is.
			proto := "tcp"
			if cfg.ssl {
				proto = "ssl"
			}
			m.RaftAddr = fmt.Sprintf("%s:127.0.0.1:%d", proto, freePort(tb))
		}
		s.Members = append(s.Members, m)
	}
	for _, m := range s.Members {
		var args []string
		switch {
		case cfg.members == 0:
			args = []string{"create", m.DBFile, schemaFile}
		case m.Index == 0:
			args = []string{"create-cluster", m.DBFile, schemaFile, m.RaftAddr}
		default:
			args = []string{"join-cluster", m.DBFile, name, m.RaftAddr, s.Members[0].RaftAddr}
		}
		if out, err := exec.Command("ovsdb-tool", args...).CombinedOutput(); err != nil {
			tb.Fatalf("ovsdb-tool %v: %v: %s", args, err, out)
		}
	}
	for _, m := range s.Members {
		if err := s.startMember(m); err != nil {
			tb.Fatal(err)
		}
	}
	for _, m := range s.Members {
		if err := m.waitReady(10 * time.Second); err != nil {
			tb.Fatalf("member %d: %v; log:\n%s", m.Index, err, s.Log(m))
		}
	}
	if cfg.members > 0 {
		if err := s.WaitLeader(20 * time.Second); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

func (s *Server) startMember(m *Member) error {
	args := []string{
		m.DBFile,
		"--remote=punix:" + m.Socket,
		"--unixctl=" + m.Ctl,
		"--pidfile=" + filepath.Join(m.Dir, "db.pid"),
		"--log-file=" + filepath.Join(m.Dir, "db.log"),
		"--no-chdir",
		"-vconsole:off",
	}
	if m.SSLPort != 0 {
		args = append(args,
			fmt.Sprintf("--remote=pssl:%d:127.0.0.1", m.SSLPort),
			"--private-key="+s.PKI.ServerKey,
			"--certificate="+s.PKI.ServerCert,
			"--ca-cert="+s.PKI.ClientCACert)
	}
	if s.dbRemotes != "" {
		args = append(args, fmt.Sprintf("--remote=db:%s,%s,connections", s.Name, s.dbRemotes))
	}
	m.args = args
	cmd := exec.Command("ovsdb-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ovsdb-server: %w", err)
	}
	m.cmd = cmd
	m.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, m.exited)
	return nil
}

// Pid is the member's process id (0 when stopped).
func (m *Member) Pid() int {
	if m.cmd == nil || m.cmd.Process == nil {
		return 0
	}
	return m.cmd.Process.Pid
}

// Log returns the member's log file contents.
func (s *Server) Log(m *Member) string {
	b, _ := os.ReadFile(filepath.Join(m.Dir, "db.log"))
	return string(b)
}

// StopMember stops one member by pid (SIGTERM, then SIGKILL after 5 s).
func (s *Server) StopMember(m *Member) {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
}

// KillMember kills one member with SIGKILL (by pid), as a crash would,
// and waits for its exit.
func (s *Server) KillMember(m *Member) {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// Running reports whether the member's process runs (not stopped or
// killed by the harness).
func (m *Member) Running() bool { return m.cmd != nil }

// RunningEndpoint is the comma list of the unix remotes of the members
// that run: for a client that must connect now.
func (s *Server) RunningEndpoint() string {
	var eps []string
	for _, m := range s.Members {
		if m.cmd != nil {
			eps = append(eps, "unix:"+m.Socket)
		}
	}
	return strings.Join(eps, ",")
}

// RestartMember starts a stopped member again on the same files and sockets.
func (s *Server) RestartMember(m *Member) error {
	if m.cmd != nil {
		return fmt.Errorf("member %d is running", m.Index)
	}
	if err := s.startMember(m); err != nil {
		return err
	}
	return m.waitReady(10 * time.Second)
}

// Recreate stops a standalone server, replaces its database with an
// empty one of the same schema, and starts it again on the same sockets:
// a database rebuilt from nothing.
func (s *Server) Recreate() error {
	if len(s.Members) != 1 || s.Members[0].RaftAddr != "" {
		return fmt.Errorf("Recreate needs a standalone server")
	}
	m := s.Members[0]
	s.StopMember(m)
	if err := os.Remove(m.DBFile); err != nil {
		return err
	}
	if out, err := exec.Command("ovsdb-tool", "create", m.DBFile, s.schema).CombinedOutput(); err != nil {
		return fmt.Errorf("ovsdb-tool create: %v: %s", err, out)
	}
	return s.RestartMember(m)
}

// Stop stops every member and removes the temp dir. Safe to call twice.
func (s *Server) Stop() {
	for _, m := range s.Members {
		s.StopMember(m)
		m.unmountData()
	}
	if s.Dir != "" && (s.tb == nil || !s.tb.Failed() || os.Getenv("OVSDBTEST_KEEP") == "") {
		_ = os.RemoveAll(s.Dir)
	}
}

// Appctl runs ovs-appctl against a member's unixctl socket.
func (s *Server) Appctl(m *Member, args ...string) (string, error) {
	out, err := exec.Command("ovs-appctl", append([]string{"-t", m.Ctl}, args...)...).CombinedOutput()
	return string(out), err
}

// Leader returns the member that is the RAFT leader (the only member when
// standalone), or nil if none is.
func (s *Server) Leader() *Member {
	if len(s.Members) == 1 && s.Members[0].RaftAddr == "" {
		return s.Members[0]
	}
	for _, m := range s.Members {
		if m.cmd == nil {
			continue
		}
		out, err := s.Appctl(m, "cluster/status", s.Name)
		if err == nil && strings.Contains(out, "Role: leader") {
			return m
		}
	}
	return nil
}

// WaitLeader waits until a leader is elected and every running member has
// joined the cluster.
func (s *Server) WaitLeader(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.Leader() != nil && s.allJoined() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no RAFT leader for %s within %v", s.Name, timeout)
}

func (s *Server) allJoined() bool {
	for _, m := range s.Members {
		if m.cmd == nil {
			continue
		}
		out, err := s.Appctl(m, "cluster/status", s.Name)
		if err != nil || !strings.Contains(out, "Status: cluster member") || strings.Contains(out, "Leader: unknown") {
			return false
		}
	}
	return true
}

func waitSocket(path string, timeout time.Duration) error { return waitListener("unix", path, timeout) }

// waitReady waits until every remote of a member accepts connections: the
// unix socket, and the SSL port when there is one (ovsdb-server opens them
// one after the other, so the first being ready says nothing of the next).
func (m *Member) waitReady(timeout time.Duration) error {
	if err := waitSocket(m.Socket, timeout); err != nil {
		return err
	}
	if m.SSLPort != 0 {
		return waitListener("tcp", fmt.Sprintf("127.0.0.1:%d", m.SSLPort), timeout)
	}
	return nil
}

func waitListener(network, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.Dial(network, path)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s socket %s not ready within %v", network, path, timeout)
}

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(tb testing.TB) int { return freePort(tb) }

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func schemaName(file string) (string, error) {
	out, err := exec.Command("ovsdb-tool", "schema-name", file).Output()
	if err != nil {
		return "", fmt.Errorf("ovsdb-tool schema-name %s: %w", file, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func makePKI(dir string) (*PKI, error) {
	ca, err := pki.New(dir)
	if err != nil {
		return nil, err
	}
	srv, err := ca.Sign("ovsdb-server")
	if err != nil {
		return nil, err
	}
	cl, err := ca.Sign("client")
	if err != nil {
		return nil, err
	}
	return &PKI{
		Dir: dir, CA: ca,
		ServerKey: srv.Key, ServerCert: srv.Cert,
		ClientKey: cl.Key, ClientCert: cl.Cert,
		CACert: ca.CACert, ClientCACert: ca.CACert,
	}, nil
}
