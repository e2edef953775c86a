package ovsdbrpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// Conn is one JSON-RPC session to an ovsdb-server.
type Conn struct {
	Endpoint string

	nc      net.Conn
	wmu     sync.Mutex
	enc     *json.Encoder
	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan response
	closed  chan struct{}
	err     error
	notify  func(method string, params json.RawMessage)
}

type request struct {
	Method string `json:"method"`
	Params any    `json:"params"`
	ID     any    `json:"id"`
}

type message struct {
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	ID     json.RawMessage `json:"id,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

type response struct {
	result json.RawMessage
	err    error
}

// Dial opens a session to one endpoint (unix:PATH, tcp:IP:PORT,
// ssl:IP:PORT). notify, if set, receives the server's notifications
// (monitor updates, lock notifications) on the reader goroutine.
func Dial(ctx context.Context, endpoint string, tc *tls.Config, notify func(string, json.RawMessage)) (*Conn, error) {
	kind, addr, _ := strings.Cut(endpoint, ":")
	var d net.Dialer
	var nc net.Conn
	var err error
	switch kind {
	case "unix":
		nc, err = d.DialContext(ctx, "unix", addr)
	case "tcp":
		nc, err = d.DialContext(ctx, "tcp", addr)
	case "ssl":
		if tc == nil {
			return nil, fmt.Errorf("%s: ssl endpoint without SSL configuration", endpoint)
		}
		td := tls.Dialer{NetDialer: &d, Config: tc}
		nc, err = td.DialContext(ctx, "tcp", addr)
	default:
		return nil, fmt.Errorf("%s: invalid endpoint", endpoint)
	}
	if err != nil {
		return nil, err
	}
	c := &Conn{Endpoint: endpoint, nc: nc, enc: json.NewEncoder(nc), pending: map[uint64]chan response{},
		closed: make(chan struct{}), notify: notify}
	go c.readLoop()
	return c, nil
}

// Close ends the session (and releases any lock it held).
func (c *Conn) Close() error {
	return c.nc.Close()
}

// Done is closed when the session ends.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err is why the session ended.
func (c *Conn) Err() error {
	select {
	case <-c.closed:
		return c.err
	default:
		return nil
	}
}

func (c *Conn) readLoop() {
	dec := json.NewDecoder(bufio.NewReaderSize(c.nc, 1<<16))
	var err error
	for {
		var m message
		if err = dec.Decode(&m); err != nil {
			break
		}
		switch {
		case m.Method == "echo" && len(m.ID) > 0 && string(m.ID) != "null":
			c.send(map[string]any{"result": m.Params, "error": nil, "id": m.ID})
		case m.Method != "":
			if c.notify != nil {
				c.notify(m.Method, m.Params)
			}
		default:
			var id uint64
			if json.Unmarshal(m.ID, &id) != nil {
				continue
			}
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch == nil {
				continue
			}
			r := response{result: m.Result}
			if len(m.Error) > 0 && string(m.Error) != "null" {
				r.err = fmt.Errorf("%s", rpcError(m.Error))
			}
			ch <- r
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%s: connection closed: %w", c.Endpoint, err)
	for id, ch := range c.pending {
		ch <- response{err: c.err}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.closed)
}

func rpcError(raw json.RawMessage) string {
	var e struct {
		Error   string `json:"error"`
		Details string `json:"details"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error != "" {
		if e.Details != "" {
			return e.Error + ": " + e.Details
		}
		return e.Error
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (c *Conn) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.enc.Encode(v)
}

// Call sends a request and decodes its result into out (if not nil).
func (c *Conn) Call(ctx context.Context, method string, params any, out any) error {
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.send(request{Method: method, Params: params, ID: id}); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", c.Endpoint, err)
	}
	return c.await(ctx, id, ch, out)
}

// await waits for the response to request id and decodes it into out.
func (c *Conn) await(ctx context.Context, id uint64, ch chan response, out any) error {
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = r.result // already checked and copied by the reader
			return nil
		}
		if out != nil {
			return json.Unmarshal(r.result, out)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// TransactJSON sends operations already encoded as JSON to database db and
// returns the raw array of results: the request is written as it is and
// the reply handed back as read, for transactions of thousands of
// operations where encoding/json's reflection is the cost.
func (c *Conn) TransactJSON(ctx context.Context, db string, ops []json.RawMessage) (json.RawMessage, error) {
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	n := 64 + len(db)
	for _, op := range ops {
		n += len(op) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"method":"transact","params":[`...)
	b = strconv.AppendQuote(b, db) // database names are plain ASCII
	for _, op := range ops {
		b = append(b, ',')
		b = append(b, op...)
	}
	b = append(b, `],"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, "}\n"...)
	c.wmu.Lock()
	_, err := c.nc.Write(b)
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", c.Endpoint, err)
	}
	var out json.RawMessage
	if err := c.await(ctx, id, ch, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// EncodeOp encodes one operation as Transact sends it.
func EncodeOp(op ovsdb.Operation) (json.RawMessage, error) { return encodeOp(op) }

// Echo checks the session is alive within timeout.
func (c *Conn) Echo(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out []any
	return c.Call(ctx, "echo", []any{"ping"}, &out)
}

// Transact sends ops to database db as they are: an empty "where" or an
// empty "rows" is sent as [] (libovsdb would drop them), and so is a wait's
// non-nil empty "columns".
func (c *Conn) Transact(ctx context.Context, db string, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	params := make([]any, 0, len(ops)+1)
	params = append(params, db)
	for _, op := range ops {
		raw, err := encodeOp(op)
		if err != nil {
			return nil, err
		}
		params = append(params, raw)
	}
	var res []ovsdb.OperationResult
	if err := c.Call(ctx, "transact", params, &res); err != nil {
		return nil, err
	}
	return res, nil
}

func encodeOp(op ovsdb.Operation) (json.RawMessage, error) {
	b, err := json.Marshal(op)
	if err != nil {
		return nil, err
	}
	needsWhere := op.Op == ovsdb.OperationUpdate || op.Op == ovsdb.OperationMutate ||
		op.Op == ovsdb.OperationDelete || op.Op == ovsdb.OperationWait || op.Op == ovsdb.OperationSelect
	needsRows := op.Op == ovsdb.OperationWait
	needsCols := op.Op == ovsdb.OperationWait && op.Columns != nil
	if (!needsWhere || len(op.Where) > 0) && (!needsRows || len(op.Rows) > 0) && (!needsCols || len(op.Columns) > 0) {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if needsWhere && len(op.Where) == 0 {
		m["where"] = json.RawMessage("[]")
	}
	if needsRows && len(op.Rows) == 0 {
		m["rows"] = json.RawMessage("[]")
	}
	if needsCols && len(op.Columns) == 0 {
		m["columns"] = json.RawMessage("[]") // compare no column: "exactly this many rows match"
	}
	return json.Marshal(m)
}

// GetSchema fetches a database's schema.
func (c *Conn) GetSchema(ctx context.Context, db string) (*ovsdb.DatabaseSchema, error) {
	var s ovsdb.DatabaseSchema
	if err := c.Call(ctx, "get_schema", []any{db}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ErrNotLeader is returned by DialLeader for a member that is not the leader.
var ErrNotLeader = errors.New("not the cluster leader")

// serverInfo is what _Server says about a database on this server.
type serverInfo struct {
	Model     string `json:"model"`
	Leader    bool   `json:"leader"`
	Connected bool   `json:"connected"`
}

// IsLeader reports whether this server may take writes for db: a
// standalone database always; a clustered one when it is the connected
// leader. Servers without _Server count as standalone.
func (c *Conn) IsLeader(ctx context.Context, db string) (bool, error) {
	res, err := c.Transact(ctx, "_Server", ovsdb.Operation{
		Op: ovsdb.OperationSelect, Table: "Database",
		Where:   []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, db)},
		Columns: []string{"model", "leader", "connected"},
	})
	if err != nil {
		if strings.Contains(err.Error(), "unknown database") {
			return true, nil
		}
		return false, err
	}
	if len(res) != 1 || res[0].Error != "" {
		return false, fmt.Errorf("_Server query failed: %v", res)
	}
	if len(res[0].Rows) == 0 {
		return false, fmt.Errorf("%s: server does not serve database %s", c.Endpoint, db)
	}
	r := res[0].Rows[0]
	if m, _ := r["model"].(string); m != "clustered" {
		return m != "relay", nil
	}
	leader, _ := r["leader"].(bool)
	connected, _ := r["connected"].(bool)
	return leader && connected, nil
}

// Member is what a server's _Server database says of db there.
type Member struct {
	Clustered bool  // a RAFT member (false: standalone, or no _Server)
	Connected bool  // in touch with its cluster's majority
	Index     int64 // RAFT log index of the newest change it has applied
}

// MemberState reads _Server's row for db. A server without _Server is
// reported standalone.
func (c *Conn) MemberState(ctx context.Context, db string) (Member, error) {
	res, err := c.Transact(ctx, "_Server", ovsdb.Operation{
		Op: ovsdb.OperationSelect, Table: "Database",
		Where:   []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, db)},
		Columns: []string{"model", "connected", "index"},
	})
	if err != nil {
		if strings.Contains(err.Error(), "unknown database") {
			return Member{}, nil
		}
		return Member{}, err
	}
	if len(res) != 1 || res[0].Error != "" {
		return Member{}, fmt.Errorf("_Server query failed: %v", res)
	}
	if len(res[0].Rows) == 0 {
		return Member{}, fmt.Errorf("%s: server does not serve database %s", c.Endpoint, db)
	}
	r := res[0].Rows[0]
	if m, _ := r["model"].(string); m != "clustered" {
		return Member{}, nil
	}
	st := Member{Clustered: true}
	st.Connected, _ = r["connected"].(bool)
	switch v := r["index"].(type) { // an optional integer: a number or ["set",[]]
	case float64:
		st.Index = int64(v)
	case int:
		st.Index = int64(v)
	case int64:
		st.Index = v
	}
	return st, nil
}

// DialLeader tries each endpoint of a comma list in order and returns a
// session to the first that may take writes for db. When none does, the
// error is a *DialError naming each endpoint once.
func DialLeader(ctx context.Context, endpoints []string, db string, tc *tls.Config, notify func(string, json.RawMessage)) (*Conn, error) {
	de := &DialError{}
	for _, ep := range endpoints {
		c, err := Dial(ctx, ep, tc, notify)
		if err != nil {
			de.Failures = append(de.Failures, EndpointError{ep, unwrapOp(err)})
			continue
		}
		ok, err := c.IsLeader(ctx, db)
		if err == nil && ok {
			return c, nil
		}
		c.Close()
		if err == nil {
			err = ErrNotLeader
		}
		de.Failures = append(de.Failures, EndpointError{ep, err})
	}
	return nil, de
}

// DialLeaderWait is DialLeader for a one-shot client that must not fail
// because it ran during a RAFT election: while some member answers but
// none is the connected leader (the leader was just killed or stepped
// down, and the others have not elected one yet), it tries again, backing
// off from 50 ms to 500 ms, until ctx ends; then it returns the last
// *DialError. When no member answers at all (wrong addresses, every
// server down) it fails at once, as DialLeader does.
func DialLeaderWait(ctx context.Context, endpoints []string, db string, tc *tls.Config, notify func(string, json.RawMessage)) (*Conn, error) {
	delay := 50 * time.Millisecond
	for {
		c, err := DialLeader(ctx, endpoints, db, tc, notify)
		var de *DialError
		if err == nil || !errors.As(err, &de) || !de.Electing() {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// Electing reports whether some member answered and said it is not the
// leader: a cluster that may elect one soon.
func (e *DialError) Electing() bool {
	for _, f := range e.Failures {
		if errors.Is(f.Err, ErrNotLeader) {
			return true
		}
	}
	return false
}

// DialError is why DialLeader found no usable member: one entry per
// endpoint, in the order tried.
type DialError struct{ Failures []EndpointError }

// EndpointError is why one endpoint was not used.
type EndpointError struct {
	Endpoint string
	Err      error
}

// Reason is Err's text without a leading "Endpoint: " (errors from a
// session already name their endpoint).
func (e EndpointError) Reason() string {
	return strings.TrimPrefix(e.Err.Error(), e.Endpoint+": ")
}

func (e *DialError) Error() string {
	var parts []string
	for _, f := range e.Failures {
		parts = append(parts, f.Endpoint+": "+f.Reason())
	}
	return strings.Join(parts, "; ")
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
