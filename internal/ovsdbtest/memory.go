package ovsdbtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/go-logr/logr"
	"github.com/go-logr/stdr"
	"github.com/ovn-org/libovsdb/database/inmemory"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/ovn-org/libovsdb/server"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// libovsdb's server package calls stdr.SetVerbosity(5) in its init, and
// its server, database and cache build stdr loggers of their own (there is
// no option to pass one), so every cache insert would be logged. Put the
// global verbosity back to 0 here: this init runs after the server
// package's (we import it) and before any test, so it races with nothing.
// Errors would still be printed (one stderr line per rejected transaction):
// quiet replaces the server's logger.
func init() {
	stdr.SetVerbosity(0)
}

// MemoryServer is libovsdb's in-memory OVSDB server on a unix socket.
//
// It is a test double for fast unit tests of libovsdb client code, not a
// replacement for ovsdb-server: it has no _Server database (so no
// LeaderOnly clients), no locks, ignores monitor conditions, does not
// enforce maxRows, integer ranges or set sizes, and cannot serve ovn-nbctl
// or ovn-sbctl. Unique indexes, strong references and garbage collection
// of non-root rows are enforced.
type MemoryServer struct {
	Name   string // database name
	Socket string // unix socket path
	Dir    string // temp dir holding the socket
	srv    *server.OvsdbServer
	done   chan struct{}
}

// Endpoint is the server's unix remote, as clients take it.
func (m *MemoryServer) Endpoint() string { return "unix:" + m.Socket }

// StartMemoryNB starts an in-memory server with the NB model and schema,
// holding the seed rows.
func StartMemoryNB(tb testing.TB, seed ...model.Model) *MemoryServer {
	tb.Helper()
	m, err := nbdb.FullDatabaseModel()
	if err != nil {
		tb.Fatal(err)
	}
	return StartMemory(tb, m, nbdb.Schema(), seed...)
}

// StartMemorySB starts an in-memory server with the SB model and schema,
// holding the seed rows.
func StartMemorySB(tb testing.TB, seed ...model.Model) *MemoryServer {
	tb.Helper()
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		tb.Fatal(err)
	}
	return StartMemory(tb, m, sbdb.Schema(), seed...)
}

// StartMemory starts libovsdb's in-memory server for one database on a
// short unix socket and stops it in tb.Cleanup. The seed rows are inserted
// in one transaction; their UUID fields may hold named UUIDs that other seed
// rows reference (e.g. a Logical_Switch with Ports ["p1"] and a
// Logical_Switch_Port with UUID "p1").
func StartMemory(tb testing.TB, dbModel model.ClientDBModel, schema ovsdb.DatabaseSchema, seed ...model.Model) *MemoryServer {
	tb.Helper()
	dbm, errs := model.NewDatabaseModel(schema, dbModel)
	if len(errs) > 0 {
		tb.Fatalf("database model %s: %v", dbModel.Name(), errs)
	}
	dir, err := os.MkdirTemp("", "mem")
	if err != nil {
		tb.Fatal(err)
	}
	ms := &MemoryServer{
		Name:   schema.Name,
		Dir:    dir,
		Socket: filepath.Join(dir, "db.sock"),
		done:   make(chan struct{}),
	}
	db := inmemory.NewDatabase(map[string]model.ClientDBModel{schema.Name: dbModel})
	ms.srv, err = server.NewOvsdbServer(db, dbm)
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("in-memory server for %s: %v", schema.Name, err)
	}
	quiet(ms.srv, logr.Discard())
	serveErr := make(chan error, 1)
	go func() {
		defer close(ms.done)
		serveErr <- ms.srv.Serve("unix", ms.Socket)
	}()
	tb.Cleanup(ms.stop)
	if err := ms.waitReady(serveErr, 10*time.Second); err != nil {
		tb.Fatal(err)
	}
	if len(seed) > 0 {
		if err := ms.insert(tb, dbModel, seed); err != nil {
			tb.Fatalf("seeding %s: %v", schema.Name, err)
		}
	}
	return ms
}

func (m *MemoryServer) waitReady(serveErr chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-serveErr:
			return fmt.Errorf("in-memory server on %s: %v", m.Socket, err)
		default:
		}
		if m.srv.Ready() {
			return waitSocket(m.Socket, time.Until(deadline))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("in-memory server on %s not ready within %v", m.Socket, timeout)
}

// insert writes rows in one transaction through a short-lived client.
func (m *MemoryServer) insert(tb testing.TB, dbModel model.ClientDBModel, rows []model.Model) error {
	c := NewClient(tb, m.Endpoint(), dbModel)
	defer c.Close()
	ops, err := c.Create(rows...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	if err := opError(res, ops); err != nil {
		b, _ := json.Marshal(ops)
		return fmt.Errorf("%v (operations: %s)", err, b)
	}
	return nil
}

// opError is ovsdb.CheckOperationResults with the failed operations'
// errors in the message (its own error only counts them).
func opError(res []ovsdb.OperationResult, ops []ovsdb.Operation) error {
	opErrs, err := ovsdb.CheckOperationResults(res, ops)
	for _, e := range opErrs {
		err = fmt.Errorf("%w: %v", err, e)
	}
	return err
}

// quiet sets the server's logger, which NewOvsdbServer hard-wires to stderr
// with no option to pass one. The field is unexported, so this reaches it by
// reflection; if a libovsdb upgrade renames or retypes it, nothing happens
// and the server merely logs its errors again.
func quiet(srv *server.OvsdbServer, l logr.Logger) bool {
	f := reflect.ValueOf(srv).Elem().FieldByName("logger")
	if !f.IsValid() || f.Type() != reflect.TypeOf(l) {
		return false
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(l))
	return true
}

// stop closes the listener, waits for Serve to return and removes the dir.
// Connections still open are dropped when their clients close.
func (m *MemoryServer) stop() {
	m.srv.Close()
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
	}
	os.RemoveAll(m.Dir)
}
