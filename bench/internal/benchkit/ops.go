package benchkit

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// Raw OVSDB operation builders for the benchmarks' own writes (on a DB
// session), the same on our schemas and on OVN's.

// Named is a reference to a row inserted in the same transaction.
func Named(n string) ovsdb.UUID { return ovsdb.UUID{GoUUID: n} }

// Set is an OVSDB set of vs.
func Set(vs ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: vs} }

// OMap is an OVSDB string map of key, value pairs.
func OMap(kv ...string) ovsdb.OvsMap {
	m := ovsdb.OvsMap{GoMap: map[any]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		m.GoMap[kv[i]] = kv[i+1]
	}
	return m
}

// Insert inserts row into table, named uuidName within the transaction.
func Insert(table, uuidName string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: table, UUIDName: uuidName, Row: row}
}

// AddRef adds ref to the set column of the row rowUUID.
func AddRef(table, rowUUID, column string, ref ovsdb.UUID) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: table, Where: []ovsdb.Condition{UUIDIs(rowUUID)},
		Mutations: []ovsdb.Mutation{{Column: column, Mutator: ovsdb.MutateOperationInsert, Value: Set(ref)}}}
}

// Claim is chassis' claim on port as dvr-chassis writes it: a
// DVR_Port_Claim row, which dvr-northd copies into Port_Binding.chassis
// and up (schema/README.md).
func Claim(port, chassis string, up bool) ovsdb.Operation {
	return Insert("DVR_Port_Claim", "", ovsdb.Row{"logical_port": port, "chassis_name": chassis, "up": up})
}

// ovsLogLine is a line of OVS's log format (time|seq|module|level|text).
var ovsLogLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT[^|]*\|\d+\|[^|]*\|(EMER|ERR|WARN|INFO|DBG)\|`)

// DropOVSLog removes the log lines an OVS tool writes among its output
// on a loaded machine ("Unreasonably long ... poll interval"): hvtest
// returns stdout and stderr together.
func DropOVSLog(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !ovsLogLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Update sets row's columns in the row rowUUID.
func Update(table, rowUUID string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: table, Where: []ovsdb.Condition{UUIDIs(rowUUID)}, Row: row}
}

// WaitBackoff is WaitFor polling every 2 ms until 20 ms after from, then
// every 4, 8 and at most 16 ms: a change that fast is timed within 2 ms,
// anything slower within 2%, and the polled process is not kept busy.
func WaitBackoff(what string, from time.Time, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	step := 2 * time.Millisecond
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %v", what, timeout)
		}
		if time.Since(from) > 20*time.Millisecond && step < 16*time.Millisecond {
			step *= 2
		}
		time.Sleep(step)
	}
}

// WaitFor polls cond every step until it holds or timeout passes.
func WaitFor(what string, step, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %v", what, timeout)
		}
		time.Sleep(step)
	}
}

// TimeProc runs bin to completion (killed after timeout, and with the
// benchmark by Pdeathsig) and returns its wall time, fork+exec to exit;
// the error carries the tail of its stderr.
func TimeProc(timeout time.Duration, bin string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		short := strings.Join(args, " ")
		if len(short) > 200 {
			short = short[:200] + "..."
		}
		return d, fmt.Errorf("%s %s: %v: %s", bin, short, err, Tail(stderr.String(), 2000))
	}
	return d, nil
}

// Tail is the last n bytes of s, marked as cut when it was.
func Tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
