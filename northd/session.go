package northd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Database names.
const (
	nbDatabase = "OVN_Northbound"
	sbDatabase = "OVN_Southbound"
)

// writer is a session to a database's leader that carries northd's writes.
// For the SB it also holds the lock.
type writer struct {
	db        string
	endpoints []string
	tls       *tls.Config
	lock      string // "" for no lock (NB)
	poke      func()

	mu     sync.Mutex
	conn   *ovsdbrpc.Conn
	locked bool
}

// connected returns the live session, dialing the leader if needed, and
// requests the lock on a fresh session.
func (w *writer) session(ctx context.Context) (*ovsdbrpc.Conn, error) {
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	if c != nil && c.Err() == nil {
		return c, nil
	}
	var self *ovsdbrpc.Conn
	notify := func(method string, params json.RawMessage) {
		switch method {
		case "locked":
			w.mu.Lock()
			if w.conn == self {
				w.locked = true
			}
			w.mu.Unlock()
			w.poke()
		case "stolen":
			w.mu.Lock()
			if w.conn == self {
				w.locked = false
			}
			w.mu.Unlock()
			w.poke()
		}
	}
	c, err := ovsdbrpc.DialLeader(ctx, w.endpoints, w.db, w.tls, notify)
	if err != nil {
		return nil, err
	}
	self = c
	w.mu.Lock()
	w.conn, w.locked = c, false
	w.mu.Unlock()
	go func() { <-c.Done(); w.poke() }()
	if w.lock != "" {
		var reply struct {
			Locked bool `json:"locked"`
		}
		if err := c.Call(ctx, "lock", []any{w.lock}, &reply); err != nil {
			w.drop(c)
			return nil, fmt.Errorf("lock request: %w", err)
		}
		if reply.Locked {
			w.mu.Lock()
			w.locked = true
			w.mu.Unlock()
		}
	}
	return c, nil
}

// hasLock reports whether the current session holds the lock.
func (w *writer) hasLock() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn != nil && w.conn.Err() == nil && w.locked
}

// drop closes a session (releasing its lock) so the next use redials.
func (w *writer) drop(c *ovsdbrpc.Conn) {
	w.mu.Lock()
	if w.conn == c {
		w.conn, w.locked = nil, false
	}
	w.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// close ends the session.
func (w *writer) close() {
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	w.drop(c)
}

// txnTimeout bounds one transaction; a session that does not answer in
// time is dropped and redialed.
const txnTimeout = 60 * time.Second

// txnError classifies a failed write.
type txnError struct {
	fenced bool // lost the lock or the epoch: stop writing
	msg    string
}

func (e *txnError) Error() string { return e.msg }

// transact sends ops prefixed with the fence (assert of the lock, when
// this writer has one, and a wait that the epoch is still ours). The
// prefix results are checked here.
func (w *writer) transact(ctx context.Context, globalTable, epoch string, ops []ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	c, err := w.session(ctx)
	if err != nil {
		return nil, err
	}
	var fence []ovsdb.Operation
	if w.lock != "" {
		fence = append(fence, ovsdbops.Assert(w.lock))
	}
	fence = append(fence, ovsdbops.WaitHasKey(globalTable, "external_ids", sbkeys.KeyEpoch, epoch))
	all := append(fence, ops...)
	tctx, cancel := context.WithTimeout(ctx, txnTimeout)
	defer cancel()
	res, err := c.Transact(tctx, w.db, all...)
	if err != nil {
		w.drop(c)
		return nil, err
	}
	if e := ovsdbrpc.FirstError(all, 0, res); e != nil {
		switch {
		case e.Index >= 0 && e.Index < len(fence) && e.Err == "not owner":
			return nil, &txnError{fenced: true, msg: "lost the lock (not owner)"}
		case e.Index >= 0 && e.Index < len(fence):
			return nil, &txnError{fenced: true, msg: fmt.Sprintf("epoch %s is no longer ours (%s)", epoch, e.Err)}
		default:
			return nil, &txnError{msg: fmt.Sprintf("%s transaction failed: %v", w.db, e)}
		}
	}
	return res[len(fence):], nil
}

// epochOf parses "<n>:<instance>" (0 when absent or malformed).
func epochOf(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ":", 2)[0])
	return n
}

// globalRow is the _uuid and external_ids of NB_Global or SB_Global.
type globalRow struct {
	uuid string
	ids  map[string]string
}

func readGlobal(ctx context.Context, c *ovsdbrpc.Conn, db, table string) (*globalRow, error) {
	res, err := c.Transact(ctx, db, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: table,
		Where: []ovsdb.Condition{}, Columns: []string{"_uuid", "external_ids"}})
	if err != nil {
		return nil, err
	}
	if len(res) != 1 || res[0].Error != "" {
		return nil, fmt.Errorf("select %s: %v", table, res)
	}
	if len(res[0].Rows) == 0 {
		return nil, nil
	}
	r := res[0].Rows[0]
	g := &globalRow{ids: map[string]string{}}
	if u, ok := r["_uuid"].(ovsdb.UUID); ok {
		g.uuid = u.GoUUID
	}
	if m, ok := r["external_ids"].(ovsdb.OvsMap); ok {
		for k, v := range m.GoMap {
			g.ids[fmt.Sprint(k)] = fmt.Sprint(v)
		}
	}
	return g, nil
}

// bumpOps are the operations that move a global row's epoch from what was
// read (g; nil when the row does not exist) to epoch.
func bumpOps(table string, g *globalRow, epoch string) []ovsdb.Operation {
	if g == nil {
		return []ovsdb.Operation{
			{Op: ovsdb.OperationWait, Table: table, Where: []ovsdb.Condition{}, Columns: []string{}, Until: "==", Rows: []ovsdb.Row{}, Timeout: ovsdbops.Ptr(0)},
			{Op: ovsdb.OperationInsert, Table: table, Row: ovsdb.Row{"external_ids": ovsdb.OvsMap{GoMap: map[interface{}]interface{}{sbkeys.KeyEpoch: epoch}}}},
		}
	}
	old := ovsdb.OvsMap{GoMap: map[interface{}]interface{}{}}
	for k, v := range g.ids {
		old.GoMap[k] = v
	}
	ops := []ovsdb.Operation{{Op: ovsdb.OperationWait, Table: table, Where: []ovsdb.Condition{ovsdbops.UUIDCond(g.uuid)},
		Columns: []string{"external_ids"}, Until: "==", Rows: []ovsdb.Row{{"external_ids": old}}, Timeout: ovsdbops.Ptr(0)}}
	return append(ops, ovsdbops.SetMapKey(table, g.uuid, "external_ids", sbkeys.KeyEpoch, epoch)...)
}
