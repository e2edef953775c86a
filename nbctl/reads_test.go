package nbctl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// recorder counts what a chain sends: reads (selects) per table and the
// operations of the commit.
type recorder struct {
	DB
	mu     sync.Mutex
	calls  [][]ovsdb.Operation
	selAll int // selects without conditions (whole-table reads)
}

func (r *recorder) Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	r.mu.Lock()
	r.calls = append(r.calls, ops)
	for _, op := range ops {
		if op.Op == ovsdb.OperationSelect && len(op.Where) == 0 {
			r.selAll++
		}
	}
	r.mu.Unlock()
	return r.DB.Transact(ctx, ops...)
}

// TransactJSON records encoded operations by their op, table and where.
func (r *recorder) TransactJSON(ctx context.Context, ops []json.RawMessage) (json.RawMessage, error) {
	call := make([]ovsdb.Operation, len(ops))
	for i, raw := range ops {
		var op struct {
			Op    string            `json:"op"`
			Table string            `json:"table"`
			Where []json.RawMessage `json:"where"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			return nil, err
		}
		call[i] = ovsdb.Operation{Op: op.Op, Table: op.Table, Where: make([]ovsdb.Condition, len(op.Where))}
	}
	r.mu.Lock()
	r.calls = append(r.calls, call)
	for _, op := range call {
		if op.Op == ovsdb.OperationSelect && len(op.Where) == 0 {
			r.selAll++
		}
	}
	r.mu.Unlock()
	return r.DB.TransactJSON(ctx, ops)
}

func (r *recorder) summary() string {
	var parts []string
	for _, call := range r.calls {
		var ops []string
		for _, op := range call {
			ops = append(ops, op.Op+":"+op.Table)
		}
		parts = append(parts, "["+strings.Join(ops, " ")+"]")
	}
	return strings.Join(parts, " ")
}

// runRecorded runs a chain on a real server through a recorder.
func runRecorded(t *testing.T, n *nb, args ...string) *recorder {
	t.Helper()
	ctx := context.Background()
	c, dbm, err := connect(ctx, Options{DB: n.db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	invs, err := parseChain(args)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{DB: nbDB{c}}
	if _, _, _, err := runChain(ctx, rec, dbm, "none", invs); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestOneShotCostIndependentOfSize: lsp-add and lsp-set-addresses send
// the same operations whatever the NB holds elsewhere; nothing reads a
// whole table.
func TestOneShotCostIndependentOfSize(t *testing.T) {
	n := startNB(t)
	n.seed()
	small := []string{
		runRecorded(t, n, "lsp-add", "sw1", "a1").summary(),
		runRecorded(t, n, "lsp-set-addresses", "a1", "fa:16:3e:00:01:a1 10.0.1.161").summary(),
		runRecorded(t, n, "lsp-del", "a1").summary(),
	}
	// Grow the NB with another router and 300 ports elsewhere.
	args := []string{"lr-add", "big"}
	for s := 0; s < 3; s++ {
		ls := fmt.Sprintf("big%d", s)
		args = append(args, "--", "ls-add", ls, "--", "lr-attach", "big", ls, "big-"+ls,
			fmt.Sprintf("fa:16:3e:10:%02x:01", s), fmt.Sprintf("10.%d.0.1/24", 100+s))
		for p := 0; p < 100; p++ {
			name := fmt.Sprintf("b%d-%d", s, p)
			args = append(args, "--", "lsp-add", ls, name, "--", "lsp-set-addresses", name,
				fmt.Sprintf("fa:16:3e:20:%02x:%02x 10.%d.0.%d", s, p, 100+s, p+10))
		}
	}
	n.must(args...)
	for i, args := range [][]string{
		{"lsp-add", "sw1", "a1"},
		{"lsp-set-addresses", "a1", "fa:16:3e:00:01:a1 10.0.1.161"},
		{"lsp-del", "a1"},
	} {
		rec := runRecorded(t, n, args...)
		if got := rec.summary(); got != small[i] {
			t.Errorf("%q sends different operations at a larger size:\nsmall: %s\nlarge: %s", args, small[i], got)
		}
		if rec.selAll != 0 {
			t.Errorf("%q read a whole table: %s", args, rec.summary())
		}
	}
	// lsp-add costs one read (the switch by name) and one commit.
	rec := runRecorded(t, n, "lsp-add", "sw2", "a2")
	if len(rec.calls) != 2 {
		t.Errorf("lsp-add: %d round trips, want 2: %s", len(rec.calls), rec.summary())
	}
}

// TestBigSwitchReadCost: on a switch of 1,200 ports, lsp-set-addresses reads
// the ports in transactions of rawChunk selects (3 here, not one per port
// nor one per 1,000 as before) and still guards every port it read.
func TestBigSwitchReadCost(t *testing.T) {
	n := startNB(t)
	n.must("init")
	args := []string{"ls-add", "big"}
	for i := 0; i < 1200; i++ {
		args = append(args, "--", "lsp-add", "big", fmt.Sprintf("p%d", i))
	}
	n.must(args...)
	rec := runRecorded(t, n, "lsp-set-addresses", "p0", "fa:16:3e:00:00:01 10.0.0.1")
	var selects, waits, calls int
	for _, call := range rec.calls {
		n := 0
		for _, op := range call {
			switch {
			case op.Op == ovsdb.OperationSelect && op.Table == "Logical_Switch_Port":
				n++
			case op.Op == ovsdb.OperationWait && op.Table == "Logical_Switch_Port":
				waits++
			}
		}
		if n > 0 {
			calls++
			selects += n
		}
	}
	// p0 by name, then the 1,199 others by _uuid.
	if calls != 1+3 || selects != 1200 {
		t.Errorf("port selects: %d in %d transactions, want 1,200 in 4: %s", selects, calls, rec.summary())
	}
	if waits != 1200 {
		t.Errorf("%d port waits at commit, want one per port read (1,200)", waits)
	}
}
