package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Server is one ovsdb-server serving one database.
type Server struct {
	Dir       string
	Sock      string
	DB        string // the database name, from the schema
	Clustered bool
	P         *Proc
}

// Endpoint is the server's unix remote.
func (s *Server) Endpoint() string { return "unix:" + s.Sock }

// Kind is "standalone" or "clustered (1-node RAFT)".
func (s *Server) Kind() string {
	if s.Clustered {
		return "clustered (1-node RAFT)"
	}
	return "standalone"
}

// StartServer creates a fresh database from schema (the schema's JSON: one
// of the embedded schema.NB / schema.SB, or a file's contents), standalone or
// as a single-node RAFT cluster, in a temp dir, and runs ovsdb-server on it
// as a child. It returns once the server accepts a session and may take
// writes.
func StartServer(schema []byte, clustered bool) (*Server, error) {
	var hdr struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(schema, &hdr); err != nil || hdr.Name == "" {
		return nil, fmt.Errorf("schema without a name: %v", err)
	}
	dir, err := TempDir("odb")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Sock: filepath.Join(dir, "db.sock"), DB: hdr.Name, Clustered: clustered}
	schemaFile := filepath.Join(dir, "db.ovsschema")
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		return nil, err
	}
	dbFile := filepath.Join(dir, "db.db")
	args := []string{"create", dbFile, schemaFile}
	if clustered {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		args = []string{"create-cluster", dbFile, schemaFile, fmt.Sprintf("tcp:127.0.0.1:%d", port)}
	}
	if out, err := exec.Command("ovsdb-tool", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ovsdb-tool %v: %v: %s", args, err, out)
	}
	cmd := exec.Command("ovsdb-server", dbFile,
		"--remote=punix:"+s.Sock,
		"--unixctl="+filepath.Join(dir, "db.ctl"),
		"--pidfile="+filepath.Join(dir, "db.pid"),
		"--log-file="+filepath.Join(dir, "db.log"),
		"--no-chdir", "-vconsole:off")
	if s.P, err = StartChild("ovsdb-server", cmd); err != nil {
		return nil, err
	}
	// Ready when it accepts a session and may take writes (a cluster
	// needs its leader elected).
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := ovsdbrpc.Dial(ctx, s.Endpoint(), nil, nil)
		if err == nil {
			ok, lerr := c.IsLeader(ctx, s.DB)
			c.Close()
			cancel()
			if lerr == nil && ok {
				return s, nil
			}
			err = lerr
		} else {
			cancel()
		}
		if s.P.Gone() || time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "db.log"))
			s.Stop()
			return nil, fmt.Errorf("ovsdb-server not ready (%v); log:\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the server by pid and removes its dir (unless BENCH_KEEP).
func (s *Server) Stop() {
	if s.P != nil {
		s.P.Stop()
	}
	if !Keep() {
		_ = os.RemoveAll(s.Dir)
	}
}
